"""The Dramatiq broker on Redis, its middleware and the record keeping."""

from __future__ import annotations

import logging
import traceback
from typing import Any

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

from app.config import QUEUES, Settings
from app.records import Records, now

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
        if self.records.exists(message.message_id):
            self.records.update(message.message_id, state=state, queue=queue)
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
        error = f"{type(exception).__name__}: {exception}"
        if message.failed:
            self.records.update(message.message_id, state="failed", error=error, finished_at=now())
        else:
            # A retry is already enqueued; keep its state, note why this attempt failed.
            self.records.update(message.message_id, error=error)
        log.debug("task %s failed: %s", message.message_id, traceback.format_exception(exception))

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self.records.update(message.message_id, state="cancelled", finished_at=now())


def records_for(settings: Settings, client: Any) -> Records:
    return Records(client, settings.redis.namespace, settings.tasks.record_retention_days * 86400)


def build_broker(settings: Settings, records: Records) -> RedisBroker:
    t = settings.tasks
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=t.time_limit_s * 1000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        TaskRecords(records),  # before Retries: see TaskRecords
        Retries(
            max_retries=t.max_retries, min_backoff=t.min_backoff_ms, max_backoff=t.max_backoff_ms
        ),
        CurrentMessage(),
    ]
    broker = RedisBroker(url=settings.redis.url, middleware=middleware)
    for queue in QUEUES.values():
        broker.declare_queue(queue)
    return broker
