"""Retries that leave cancelled messages alone."""

from __future__ import annotations

from typing import Any

from dramatiq.middleware import Retries
from dramatiq_abort import Abort


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
