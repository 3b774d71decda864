"""The baseline for bench/queue.py: a bare Dramatiq Redis broker (default middleware, no
task records, cancels or metrics) with a no-op actor on the same queue name."""

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(url=os.environ["BENCH_BARE_REDIS_URL"])
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name="test:noop", queue_name="inventory.default")
def noop(payload: dict) -> None:
    return None
