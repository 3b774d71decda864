"""A Prometheus server for the local stack, scraping it with the alert rules loaded.

``inventory dev up --with-prometheus`` and the dashboards' test start it the same way::

    service = prometheus(stack, port=9090, api_port=8000, read_token=token,
                         workers={"high": 9191, "default": 9192, "low": 9193},
                         schedulers=[9194, 9195])
    stack.start(service)          # ready once /-/ready answers; stack.stop("prometheus")

It scrapes with the job names the Helm chart and docker-compose use (``inventory-api``,
``inventory-worker`` with a ``pool`` label, ``inventory-scheduler``) and evaluates
``deploy/prometheus/rules.yaml``, so the rules and the Grafana dashboards read the same
series here as in a deployment.  The prometheus binary is Debian's (``make install``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml

from dev.programs import ROOT, which
from dev.stack import Service, Stack

RULES = ROOT / "deploy" / "prometheus" / "rules.yaml"


def _duration(seconds: float) -> str:
    """A Prometheus duration: whole milliseconds."""
    ms = round(seconds * 1000)
    if ms <= 0:
        raise ValueError(f"a scrape interval must be positive, not {seconds}")
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def config(
    *,
    api_port: int,
    token_file: Path,
    workers: Mapping[str, int],
    schedulers: Sequence[int],
    scrape_interval_s: float = 15,
    rules: Path = RULES,
    host: str = "127.0.0.1",
) -> dict[str, Any]:
    """The prometheus.yml of a local stack, as a dict."""
    interval = _duration(scrape_interval_s)
    return {
        "global": {
            "scrape_interval": interval,
            "evaluation_interval": interval,
            # At most the interval (Prometheus refuses more), at most 10 s (its default).
            "scrape_timeout": _duration(min(scrape_interval_s, 10)),
        },
        "rule_files": [str(rules)],
        "scrape_configs": [
            {
                "job_name": "inventory-api",
                "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
                "static_configs": [{"targets": [f"{host}:{api_port}"]}],
            },
            {
                "job_name": "inventory-worker",
                "static_configs": [
                    {"targets": [f"{host}:{port}"], "labels": {"pool": pool}}
                    for pool, port in workers.items()
                ],
            },
            {
                "job_name": "inventory-scheduler",
                "static_configs": [{"targets": [f"{host}:{port}" for port in schedulers]}],
            },
        ],
    }


def prometheus(
    stack: Stack, *, port: int, read_token: str, name: str = "prometheus", **scrape: Any
) -> Service:
    """A Prometheus on 127.0.0.1:``port`` scraping the stack's API (with ``read_token``),
    its worker pools and schedulers: ``scrape`` is what ``config`` takes but the token file
    (``api_port``, ``workers``: pool name -> metrics port, ``schedulers``: their metrics
    ports, and optionally ``scrape_interval_s`` and ``rules``).

    Writes ``<stack.home>/<name>.yml`` and the token (mode 0600) beside it; the data goes
    in ``<stack.home>/<name>/``.  Start the service with ``stack.start``.
    """
    token_file = stack.home / f"{name}-read-token"
    token_file.touch(mode=0o600)
    token_file.chmod(0o600)
    token_file.write_text(read_token)
    path = stack.home / f"{name}.yml"
    settings = config(token_file=token_file, **scrape)
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    data = stack.home / name
    data.mkdir(exist_ok=True)
    argv = [
        which("prometheus"),
        f"--config.file={path}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]

    def ready() -> bool:
        return httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=2).status_code == 200

    return Service(name, argv, ready, timeout=60, port=port)
