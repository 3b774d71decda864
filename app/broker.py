"""The Dramatiq broker on Redis, its middleware and the record keeping."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import redis
from dramatiq import Middleware
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import q_name
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq_abort import Abort, Abortable
from dramatiq_abort.backends import RedisBackend

from app.config import QUEUES, Settings
from app.metrics import TaskMetrics
from app.records import Records, now
from app.redisconn import ReplicaWait

log = logging.getLogger(__name__)


class TaskRecords(Middleware):
    """Keeps each message's task record in step with what the broker does with it.

    Must be listed before Retries: Dramatiq runs ``after_*`` hooks in reverse order, so
    by the time ``after_process_message`` runs here a retry has been enqueued (state
    delayed) or the message has been failed for good.
    """

    def __init__(self, records: Records) -> None:
        self.records = records

    def before_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        queue = q_name(message.queue_name)
        state = "delayed" if delay else "pending"
        # Each enqueue (each retry too) gets a new key in the broker's structures; the
        # record keeps the current one so that app.queues can find the message.
        redis_id = message.options["redis_message_id"]
        if self.records.exists(message.message_id):
            self.records.update(
                message.message_id, state=state, queue=queue, redis_message_id=redis_id
            )
            return
        payload = message.args[0] if message.args else {}
        self.records.create(
            message.message_id,
            message.actor_name,
            payload,
            queue,
            state,
            parent=message.options.get("parent"),
            root=message.options.get("root"),
            redis_message_id=redis_id,
        )

    def before_process_message(self, broker: Any, message: Any) -> None:
        self.records.update(
            message.message_id,
            state="active",
            attempts=message.options.get("retries", 0) + 1,
            started_at=now(),
        )

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is None:
            self.records.update(
                message.message_id, state="succeeded", result=result, error=None, finished_at=now()
            )
            return
        if cancelled(exception):
            self.records.update(message.message_id, state="cancelled", finished_at=now())
            return
        error = f"{type(exception).__name__}: {exception}"
        if message.failed:
            self.records.update(message.message_id, state="failed", error=error, finished_at=now())
        else:
            # A retry is already enqueued; keep its state, note why this attempt failed.
            self.records.update(message.message_id, error=error)
        log.debug("task %s failed: %s", message.message_id, traceback.format_exception(exception))

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self.records.update(message.message_id, state="cancelled", finished_at=now())


def cancelled(exception: BaseException | None) -> bool:
    """Whether a message stopped because it was cancelled: the Abort that dramatiq-abort
    raises in a running task may surface as the error of some library's clean-up (the
    Neo4j driver's, say), with the Abort as its context."""
    while exception is not None:
        if isinstance(exception, Abort):
            return True
        exception = exception.__cause__ or exception.__context__
    return False


class RetriesUnlessCancelled(Retries):
    """Retries, except for a message cancelled while it ran: it is acknowledged, so it
    neither runs again nor lands in the dead letters."""

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if not cancelled(exception):
            super().after_process_message(broker, message, result=result, exception=exception)


def abortable(broker: RedisBroker) -> Abortable:
    """The broker's cancel middleware (``dramatiq-abort``), to signal cancels through."""
    return next(m for m in broker.middleware if isinstance(m, Abortable))


def records_for(settings: Settings, client: Any) -> Records:
    return Records(client, settings.redis.namespace, settings.tasks.record_retention_days * 86400)


def build_broker(settings: Settings, records: Records, client: redis.Redis) -> RedisBroker:
    t = settings.tasks
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=t.time_limit_s * 1000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        TaskRecords(records),  # before Retries: see TaskRecords
        RetriesUnlessCancelled(
            max_retries=t.max_retries, min_backoff=t.min_backoff_ms, max_backoff=t.max_backoff_ms
        ),
        CurrentMessage(),
    ]
    # A worker that dies (SIGKILL, lost host) stops heartbeating; after this long its
    # unacknowledged messages go back to their queues for another worker.
    broker = RedisBroker(
        client=client, middleware=middleware, heartbeat_timeout=t.heartbeat_timeout_s * 1000
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
    r = settings.redis
    if r.wait_replicas:
        marker = f"{r.namespace}:replication-marker"
        broker.add_middleware(ReplicaWait(client, marker, r.wait_replicas, r.wait_timeout_ms))
    for queue in QUEUES.values():
        broker.declare_queue(queue)
    return broker
