"""The module Dramatiq workers load: ``dramatiq app.worker --queues ...``."""

import logging

from app import runtime


class _ResultsKept(logging.Filter):
    # Results go to the task records, not to Dramatiq's results backend.
    def filter(self, record: logging.LogRecord) -> bool:
        return "Results middleware" not in record.getMessage()


logging.getLogger("dramatiq.worker.WorkerThread").addFilter(_ResultsKept())
broker = runtime.current().broker
