"""``python -m dramatiq tests.actors_worker``: the product's worker plus the test actors."""

from app.worker import broker
from tests.actors import declare

declare(broker)
