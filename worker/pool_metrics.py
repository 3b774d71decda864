"""Metrics and liveness of a worker pool: each worker process writes its samples to files
in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode; ``inventory
worker`` makes the folder before dramatiq starts), and ``serve``, which dramatiq runs as a
fork of its own, serves their sum at /metrics and the pool's liveness at /healthz.

Dramatiq shuts a whole pool down when one of its worker processes dies, but does not
notice when this fork dies: /healthz answering is what tells a supervisor (Kubernetes'
liveness probe, ``inventory dev up``) that the pool still works *and* is still seen.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from app import metrics
from app.config import load_settings
from app.errors import ActionableError
from app.processes import alive, children

log = logging.getLogger(__name__)


def serve() -> int:
    """Dramatiq runs this in a process of its own: the sum of the pool's worker processes."""
    tasks = load_settings().tasks
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    pool = os.getppid()
    try:
        thread = metrics.serve(
            tasks.metrics_host,
            tasks.metrics_port,
            registry,
            lambda: health(pool, tasks.worker_processes),
        )
    except ActionableError as exc:
        log.error("%s", exc)
        return 1
    thread.join()
    return 0


def health(pool: int, processes: int) -> tuple[bool, str]:
    """Whether the pool whose supervisor is ``pool`` is well: the supervisor and its
    ``processes`` worker processes alive (this fork is one more child); and its PIDs."""
    if not alive(pool):
        return False, f"the pool's supervisor ({pool}) has exited"
    workers = sorted(pid for pid in children(pool) if pid != os.getpid())
    if len(workers) < processes:
        gone = processes - len(workers)
        return False, f"{gone} of the pool's {processes} worker processes are gone"
    return (
        True,
        f"ok: supervisor {pool}, workers {' '.join(map(str, workers))}, metrics {os.getpid()}",
    )


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
