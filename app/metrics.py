"""Prometheus metrics of the workers, the schedulers and the API (docs/metrics.md).

Worker processes count into these in prometheus_client's multiprocess mode and their
pool serves the sum (``worker.pool_metrics``); a scheduler serves its own registry (see
``worker.scheduler``); the API adds, at scrape time, the depth of every queue, the rows
of every report and the state of every kind's collection in every scope.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import redis.exceptions
from neo4j.exceptions import DriverError, Neo4jError
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.errors import ActionableError

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
CHANGES = Counter(
    "inventory_changes_total",
    "Changes recorded (graph.changes): created, updated, deleted per node label; linked, "
    "unlinked per relationship type",
    ["label", "change"],
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


# What scrape-time gauges read: samples, each a gauge's name, label values and value.
Samples = Callable[[], Iterable[tuple[str, list[str], float]]]


class Scraped(Collector):
    """Gauges read from a store at scrape time, whichever process wrote what they count;
    left out of that scrape, with a warning, while the store is away."""

    def __init__(self, gauges: dict[str, tuple[str, list[str]]], read: Samples) -> None:
        self.gauges = gauges  # name: (help, label names)
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            samples = list(self.read())
        except (redis.exceptions.RedisError, Neo4jError, DriverError) as exc:
            log.warning("%s left out of the metrics: %s", ", ".join(self.gauges), exc)
            return
        found = {n: GaugeMetricFamily(n, h, labels=ls) for n, (h, ls) in self.gauges.items()}
        for name, values, value in samples:
            found[name].add_metric(values, value)
        yield from found.values()


def queue_depth(stats: Callable[[], dict[str, Any]]) -> Scraped:
    """Messages per queue and state, counted as ``inventory task stats`` does."""
    name = "inventory_queue_messages"

    def read() -> Iterator[tuple[str, list[str], float]]:
        for queue, counts in stats()["queues"].items():
            yield from ((name, [queue, state], n) for state, n in counts.items())

    return Scraped({name: ("Messages per queue and state", ["queue", "state"])}, read)


def report_rows(load: Callable[[], dict[str, dict[str, Any]]]) -> Scraped:
    """Rows per report as ``aux:reports`` last counted them, so that "unattached volumes
    > 0" can alert."""
    name = "inventory_report_rows"

    def read() -> Iterator[tuple[str, list[str], float]]:
        yield from ((name, [report], c["rows"]) for report, c in sorted(load().items()))

    return Scraped({name: ("Rows of each report when last counted", ["report"])}, read)


# Per kind and scope: when its collection last succeeded and failed, and how many attempts
# failed since the success; a scope that keeps failing, or a kind that has not succeeded
# for hours, can then alert whichever worker ran it.
COLLECTION_GAUGES = {
    "last_success": (
        "inventory_collection_last_success_timestamp_seconds",
        "When the last collection of the kind in the scope succeeded",
    ),
    "last_failure": (
        "inventory_collection_last_failure_timestamp_seconds",
        "When the last attempt to collect the kind in the scope failed",
    ),
    "failures": (
        "inventory_collection_consecutive_failures",
        "Attempts to collect the kind in the scope that failed since its last success",
    ),
}


def collections(overview: Callable[[], Iterable[dict[str, Any]]]) -> Scraped:
    """The collection gauges from the graph's collection nodes (``graph.status.overview``)."""

    def read() -> Iterator[tuple[str, list[str], float]]:
        for r in overview():
            values = [r["provider"] or "", r["label"] or "", r["scope"]]
            for key, (name, _) in COLLECTION_GAUGES.items():
                if r[key] is not None:
                    yield name, values, r[key]

    labels = ["provider", "label", "scope"]
    return Scraped({name: (h, labels) for name, h in COLLECTION_GAUGES.values()}, read)


# A process's liveness: whether it is well, and what it says about itself either way.
Health = Callable[[], tuple[bool, str]]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes and probes every few seconds: not worth a log line each


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(
    host: str,
    port: int,
    registry: CollectorRegistry = REGISTRY,
    health: Health | None = None,
) -> threading.Thread:
    """Serve ``registry`` at /metrics and, at /healthz, what ``health()`` says: 200 while
    it is well, else 503 (the liveness probe of the process), from a thread."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/healthz":
            return metrics(environ, start_response)
        well, text = health() if health else (True, "ok")
        start_response(
            "200 OK" if well else "503 Service Unavailable",
            [("Content-Type", "text/plain; charset=utf-8")],
        )
        return [text.encode() + b"\n"]

    try:
        server = make_server(host, port, app, _Server, handler_class=_Quiet)
    except OSError as exc:
        raise ActionableError(
            f"cannot serve metrics on {host}:{port}: {exc.strerror}; choose --metrics-port"
        ) from None
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    log.info("metrics on http://%s:%d/metrics, liveness at /healthz", host, port)
    return thread
