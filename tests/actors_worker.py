"""``python -m dramatiq tests.actors_worker``: the product's worker plus the test actors."""

from tests.actors import declare
from worker.main import broker

declare(broker)
