"""Prometheus metrics of the workers, the schedulers and the API (docs/metrics.md).

Worker processes count into these in prometheus_client's multiprocess mode and their
pool serves the sum (``worker.pool_metrics``); a scheduler serves its own registry (see
``worker.scheduler``); the API adds the depth of every queue at scrape time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import redis.exceptions
from prometheus_client import Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.errors import ActionableError

if TYPE_CHECKING:
    from worker.queues import Queues
    from worker.report_rows import ReportRows

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
WARNINGS = Counter(
    "inventory_collection_warnings_total",
    "Detail calls that failed during collections whose listing went through: the items "
    "were written with what was known",
    ["provider", "label"],
)
KEPT = Gauge(
    "inventory_housekeeper_kept_nodes",
    "Nodes older than the retention that the last housekeeping kept, because their scope's "
    "collection of that kind has not succeeded since they were last seen",
    ["provider", "label"],
    multiprocess_mode="max",
)
LINKS_REMOVED = Counter(
    "inventory_links_removed_total",
    "Relationships removed as no longer holding",
    ["provider", "type"],
)


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


class ReportRowsGauge(Collector):
    """Rows per report as ``aux:reports`` last counted them, so that "unattached volumes
    > 0" can alert; the API serves it, whichever worker counted."""

    def __init__(self, rows: ReportRows) -> None:
        self.rows = rows

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            counts = self.rows.load()
        except redis.exceptions.RedisError as exc:
            log.warning("report rows left out of the metrics: Redis is unavailable: %s", exc)
            return
        gauge = GaugeMetricFamily(
            "inventory_report_rows", "Rows of each report when last counted", labels=["report"]
        )
        for name, count in sorted(counts.items()):
            gauge.add_metric([name], count["rows"])
        yield gauge


def serve(port: int) -> None:
    """Serve this process's metrics on 127.0.0.1:``port`` from a thread."""
    try:
        start_http_server(port, addr="127.0.0.1")
    except OSError as exc:
        raise ActionableError(f"cannot serve metrics on 127.0.0.1:{port}: {exc.strerror}") from None
    log.info("metrics on http://127.0.0.1:%d/metrics", port)
