"""Prometheus counts and times of task attempts."""

from __future__ import annotations

import time
from typing import Any

from dramatiq import Middleware
from dramatiq.common import q_name
from dramatiq_abort import Abort

from app.metrics import DURATION, TASKS


class TaskMetrics(Middleware):
    """Counts each attempt by its outcome and times it.

    Listed before Retries, as TaskRecords is, so that ``message.failed`` is known here.
    """

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def before_process_message(self, broker: Any, message: Any) -> None:
        self.started[message.message_id] = time.monotonic()

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        labels = (message.actor_name, q_name(message.queue_name))
        started = self.started.pop(message.message_id, None)
        if started is not None:
            DURATION.labels(*labels).observe(time.monotonic() - started)
        TASKS.labels(*labels, _outcome(message, exception)).inc()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self.started.pop(message.message_id, None)
        TASKS.labels(message.actor_name, q_name(message.queue_name), "skipped").inc()


def _outcome(message: Any, exception: BaseException | None) -> str:
    if exception is None:
        return "succeeded"
    if isinstance(exception, Abort):
        return "cancelled"
    return "failed" if message.failed else "retried"
