"""Task records kept in step with what the broker does with each message."""

from __future__ import annotations

import logging
import os
import socket
import traceback
from typing import Any

from dramatiq import Middleware

from worker.middleware.replica_wait import Replicas
from worker.middleware.retries import cancelled
from worker.records import Records, now

log = logging.getLogger(__name__)


class TaskRecords(Middleware):
    """Keeps each message's task record in step with what the broker does with it.

    The record is made, and marked pending or delayed, with the message itself by
    ``worker.broker.Broker``; from then on these hooks follow it.

    Must be listed before Retries: Dramatiq runs ``after_*`` hooks in reverse order, so
    by the time ``after_process_message`` runs here a retry has been enqueued (state
    delayed) or the message has been failed for good.
    """

    def __init__(self, records: Records, replicas: Replicas | None = None) -> None:
        self.records = records
        self.replicas = replicas  # with Sentinel: final states that outlive a failover

    def _final(self, task_id: str, **fields: Any) -> None:
        if self.replicas is None:
            self.records.update(task_id, **fields)
        else:
            self.replicas.durably(lambda: self.records.update(task_id, **fields))

    def before_process_message(self, broker: Any, message: Any) -> None:
        self.records.update(
            message.message_id,
            state="active",
            attempts=message.options.get("retries", 0) + 1,
            started_at=now(),
            worker=f"{socket.gethostname()}:{os.getpid()}",  # which process runs it
        )

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is None:
            skipped = isinstance(result, dict) and "skipped" in result
            state = "skipped" if skipped else "succeeded"
            self._final(
                message.message_id, state=state, result=result, error=None, finished_at=now()
            )
            return
        if cancelled(exception):
            self._final(message.message_id, state="cancelled", finished_at=now())
            return
        error = f"{type(exception).__name__}: {exception}"
        if message.failed:
            self._final(message.message_id, state="failed", error=error, finished_at=now())
        else:
            # A retry is already enqueued; keep its state, note why this attempt failed.
            self.records.update(message.message_id, error=error)
        log.debug("task %s failed: %s", message.message_id, traceback.format_exception(exception))

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self.records.update(message.message_id, state="cancelled", finished_at=now())
