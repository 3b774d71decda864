"""Prometheus metrics of the workers, the schedulers and the API (docs/metrics.md).

A worker pool is dramatiq's supervisor and the worker processes it forks.  Each worker
process writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
multiprocess mode; ``inventory worker`` makes the folder before dramatiq starts), and
``serve_pool``, which dramatiq runs as a fork of its own, serves their sum.  A scheduler
is one process and serves its own registry (see app.scheduler for its metrics).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.exceptions
from dramatiq import Middleware
from dramatiq.common import q_name
from dramatiq_abort import Abort
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.config import ConfigError, load_settings
from app.dev import alive

if TYPE_CHECKING:
    from app.queues import Queues

log = logging.getLogger(__name__)

TASKS = Counter(
    "inventory_tasks_total",
    "Task attempts ended, by outcome: succeeded, retried, failed, cancelled or skipped",
    ["task", "queue", "outcome"],
)
DURATION = Histogram(
    "inventory_task_duration_seconds",
    "How long task attempts ran",
    ["task", "queue"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600),
)
NODES_WRITTEN = Counter(
    "inventory_nodes_written_total", "Nodes merged (new or seen again)", ["provider", "label"]
)
NODES_REMOVED = Counter(
    "inventory_nodes_removed_total", "Nodes removed as gone or stale", ["provider", "label"]
)
LINKS_WRITTEN = Counter(
    "inventory_links_written_total",
    "Relationships merged (new or held again)",
    ["provider", "type"],
)
LINKS_REMOVED = Counter(
    "inventory_links_removed_total",
    "Relationships removed as no longer holding",
    ["provider", "type"],
)


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


class QueueDepth(Collector):
    """Messages per queue and state at scrape time, counted as ``inventory task stats`` does."""

    def __init__(self, queues: Queues) -> None:
        self.queues = queues

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stats = self.queues.stats()
        except redis.exceptions.RedisError as exc:
            log.warning("queue depth left out of the metrics: Redis is unavailable: %s", exc)
            return
        gauge = GaugeMetricFamily(
            "inventory_queue_messages", "Messages per queue and state", labels=["queue", "state"]
        )
        for queue, counts in stats["queues"].items():
            for state, count in counts.items():
                gauge.add_metric([queue, state], count)
        yield gauge


def serve(port: int) -> None:
    """Serve this process's metrics on 127.0.0.1:``port`` from a thread."""
    try:
        start_http_server(port, addr="127.0.0.1")
    except OSError as exc:
        raise ConfigError(f"cannot serve metrics on 127.0.0.1:{port}: {exc.strerror}") from None
    log.info("metrics on http://127.0.0.1:%d/metrics", port)


def serve_pool() -> int:
    """Dramatiq runs this in a process of its own: the sum of the pool's worker processes."""
    port = load_settings().tasks.metrics_port
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    try:
        _, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    except OSError as exc:
        log.error("cannot serve metrics on 127.0.0.1:%d (%s); choose --metrics-port", port, exc)
        return 1
    thread.join()
    return 0


def pool_dir() -> Path:
    """A fresh folder for this pool's sample files, named for this process; the folders of
    pools that have ended are removed."""
    base = Path(tempfile.gettempdir()) / f"inventory-metrics-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    for old in base.iterdir():
        if not old.name.isdigit() or not alive(int(old.name)) or int(old.name) == os.getpid():
            shutil.rmtree(old, ignore_errors=True)
    path = base / str(os.getpid())
    path.mkdir()
    return path
