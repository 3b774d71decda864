"""Writes that outlive a Redis failover: enqueues, acknowledgements and final task states
that return once replicas hold them.

Redis replicates asynchronously: a master that dies right after a write can take the
write with it, and Sentinel promotes a replica without it.  Lost, an enqueue loses a
message; a lost acknowledgement leaves the message in its (living) worker's set of
unacknowledged ones, where nothing takes it back; a lost final state leaves a finished
task's record ``active`` for good.  So after each of these a marker is written and WAITed
for on one connection (the replication stream is ordered, so the replicas then hold every
write made before it, on any connection).  An acknowledgement or a final state that is
not confirmed is made again, so that after a failover it is on the new master too; an
enqueue is not (that would send the message twice) but warned about.  With fewer
replicas than asked (one is down, or just failed over) the work goes on after
``timeout_ms``: refusing it would end the availability Sentinel is there for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from dramatiq import Middleware

log = logging.getLogger(__name__)
TRIES = 3


class Replicas:
    def __init__(self, client: redis.Redis, key: str, replicas: int, timeout_ms: int) -> None:
        self.client = client
        self.key = key
        self.replicas = replicas
        self.timeout_ms = timeout_ms
        self.short = False

    def confirmed(self) -> bool:
        """Whether the replicas hold every write made so far (warned about once when not)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(self.key)
        pipe.wait(self.replicas, self.timeout_ms)
        acked = pipe.execute()[1]
        if acked < self.replicas and not self.short:
            log.warning(
                "only %d of %d replica(s) confirmed writes within %d ms",
                acked,
                self.replicas,
                self.timeout_ms,
            )
        elif acked >= self.replicas and self.short:
            log.info("replicas confirm writes again")
        self.short = acked < self.replicas
        return not self.short

    def durably(self, write: Callable[[], Any], written: bool = False) -> None:
        """``write`` (an idempotent one) until the replicas confirm it, a few times at most:
        a write the failed master took with it is made again on the new one."""
        for _ in range(TRIES):
            if not written:
                write()
            if self.confirmed():
                return
            written = False


class ReplicaWait(Middleware):
    def __init__(self, replicas: Replicas) -> None:
        self.replicas = replicas

    def after_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        self.replicas.confirmed()

    def after_ack(self, broker: Any, message: Any) -> None:
        self._again(message, broker.do_ack)

    def after_nack(self, broker: Any, message: Any) -> None:
        self._again(message, broker.do_nack)

    def _again(self, message: Any, do: Callable[[str, str], Any]) -> None:
        """Made already by the broker; made again until the replicas hold it.  On the queue
        the message was fetched from, as the consumer made it (a delayed message's is
        ``Q.DQ``, and is acknowledged there once moved onto Q): see docs/internals.md."""
        key = message.options["redis_message_id"]
        queue = message.queue_name
        self.replicas.durably(lambda: do(queue, key), written=True)
