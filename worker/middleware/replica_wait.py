"""Enqueues that return once replicas hold the message."""

from __future__ import annotations

import logging
from typing import Any

import redis
from dramatiq import Middleware

log = logging.getLogger(__name__)


class ReplicaWait(Middleware):
    """Returns from an enqueue only once ``replicas`` replicas hold the message.

    Redis replicates asynchronously, so a master that dies right after an enqueue can take
    the message with it.  WAIT covers the writes of its own connection, and the pool may
    have sent the enqueue on another; so a marker is written on one connection and WAITed
    for there: the replication stream is ordered, so the replicas then hold the enqueue too.
    With fewer replicas than asked (one is down, or just failed over) the enqueue goes on
    after ``timeout_ms``, with a warning: refusing work would end the availability Sentinel
    is there for.
    """

    def __init__(self, client: redis.Redis, key: str, replicas: int, timeout_ms: int) -> None:
        self.client = client
        self.key = key
        self.replicas = replicas
        self.timeout_ms = timeout_ms
        self.short = False

    def after_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(self.key)
        pipe.wait(self.replicas, self.timeout_ms)
        acked = pipe.execute()[1]
        if acked < self.replicas and not self.short:
            log.warning(
                "only %d of %d replica(s) confirmed enqueued messages within %d ms",
                acked,
                self.replicas,
                self.timeout_ms,
            )
        elif acked >= self.replicas and self.short:
            log.info("replicas confirm enqueued messages again")
        self.short = acked < self.replicas
