"""The Dramatiq broker on Redis with the middleware of this service.

``Broker.do_enqueue`` writes in place of a command of Dramatiq's own dispatch script, and
worker.queues works in the broker's Redis keys: the Dramatiq internals these lean on, and
the tests that fail when an upgrade changes one, are listed in docs/internals.md.
"""

from __future__ import annotations

from typing import Any

import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import q_name
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq_abort import Abortable
from dramatiq_abort.backends import RedisBackend

from app.config import QUEUES, Settings
from worker.middleware.replica_wait import Replicas, ReplicaWait
from worker.middleware.retries import RetriesUnlessCancelled
from worker.middleware.task_metrics import TaskMetrics
from worker.middleware.task_records import TaskRecords
from worker.records import Records

MAINTENANCE_CHANCE = 100_000  # per million Redis commands; see build_broker


class Broker(RedisBroker):
    """Dramatiq's Redis broker, writing each message and its task record in one Redis
    transaction.

    Written one after the other, a process killed between the two (a worker SIGKILLed
    while it fans out) leaves a record pending for a message that never reached Redis,
    and its task tree never ends; or a message without a record, which its tree does not
    wait for.
    """

    def __init__(self, records: Records, **options: Any) -> None:
        super().__init__(**options)
        self.records = records

    def key(self, name: str, suffix: str = "") -> str:
        """A key of the broker's Redis layout (docs/internals.md): ``key(Q)`` is queue Q's
        list of message keys, ``key(Q, ".msgs")`` their data."""
        return f"{self.namespace}:{name}{suffix}"

    def do_enqueue(self, queue_name: str, key: str, data: bytes) -> None:
        # Called by RedisBroker.enqueue after the before_enqueue hooks, with the message
        # encoded, in place of its dispatch script's "enqueue": the same two writes (that
        # script also registered the sender in the workers' heartbeats, which only workers
        # need).  queue_name is the delay queue for a delayed message (a retry).  Guarded
        # by tests/unit/test_dramatiq_internals.py: see docs/internals.md, section 1.
        message = Message.decode(data)
        queue = q_name(queue_name)
        pipe = self.client.pipeline(transaction=True)
        self.records.enqueued(
            pipe,
            message.message_id,
            message.actor_name,
            message.args[0] if message.args else {},
            queue,
            "pending" if queue_name == queue else "delayed",
            message.options.get("parent"),
            message.options.get("root"),
            key,
        )
        pipe.hset(self.key(queue_name, ".msgs"), key, data)
        pipe.rpush(self.key(queue_name), key)
        pipe.execute()


def abortable(broker: RedisBroker) -> Abortable:
    """The broker's cancel middleware (``dramatiq-abort``), to signal cancels through."""
    return next(m for m in broker.middleware if isinstance(m, Abortable))


def records_for(settings: Settings, client: Any) -> Records:
    return Records(client, settings.redis.namespace, settings.tasks.record_retention_days * 86400)


def build_broker(settings: Settings, records: Records, client: redis.Redis) -> Broker:
    t, r = settings.tasks, settings.redis
    # With replicas to wait for, the writes a failover must not lose (worker.middleware.
    # replica_wait): enqueues, acknowledgements and final task states.
    replicas = (
        Replicas(client, f"{r.namespace}:replication-marker", r.wait_replicas, r.wait_timeout_ms)
        if r.wait_replicas
        else None
    )
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=t.time_limit_s * 1000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        TaskRecords(records, replicas),  # before Retries: see TaskRecords
        RetriesUnlessCancelled(
            max_retries=t.max_retries, min_backoff=t.min_backoff_ms, max_backoff=t.max_backoff_ms
        ),
        CurrentMessage(),
    ]
    # A worker that dies (SIGKILL, lost host) stops heartbeating; after this long its
    # unacknowledged messages go back to their queues for another worker.  That happens in
    # the broker's maintenance, which runs on a chance per Redis command on the queue
    # (Dramatiq's default: 1 in 1,000).  On a quiet queue, where an idle worker fetches
    # about once a second, that can leave a dead worker's messages waiting many minutes;
    # 1 in 10 makes it seconds.  Maintenance with no dead worker is a few sorted-set reads.
    broker = Broker(
        records,
        client=client,
        middleware=middleware,
        heartbeat_timeout=t.heartbeat_timeout_s * 1000,
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    # Cancels go through the broker's own Redis. Before TaskRecords, so that a message
    # cancelled before it starts is skipped without ever showing as active. A cancel is
    # remembered as long as the record, however long the message waits for a worker.
    cancels = Abortable(
        backend=RedisBackend(client=broker.client),
        abort_ttl=int(t.record_retention_days * 86_400_000),
    )
    broker.add_middleware(cancels, before=TaskRecords)
    broker.add_middleware(TaskMetrics(), before=TaskRecords)  # before Retries, as TaskRecords
    if replicas is not None:
        broker.add_middleware(ReplicaWait(replicas))
    for queue in QUEUES.values():
        broker.declare_queue(queue)
    return broker
