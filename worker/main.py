"""The module Dramatiq workers load: ``dramatiq worker.main --queues ...``.

Its lines are JSON with the task id, name and queue (app.logs); the supervising process
dramatiq starts keeps dramatiq's own text format.
"""

import logging

from app import logs
from worker import runtime


class _ResultsKept(logging.Filter):
    # Results go to the task records, not to Dramatiq's results backend.
    def filter(self, record: logging.LogRecord) -> bool:
        return "Results middleware" not in record.getMessage()


logging.getLogger("dramatiq.worker.WorkerThread").addFilter(_ResultsKept())
logs.setup(runtime.current().settings)
broker = runtime.current().broker
