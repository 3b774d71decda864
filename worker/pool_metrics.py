"""Metrics of a worker pool: each worker process writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode; ``inventory worker``
makes the folder before dramatiq starts), and ``serve``, which dramatiq runs as a fork of
its own, serves their sum."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from app.config import load_settings
from app.processes import alive

log = logging.getLogger(__name__)


def serve() -> int:
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
