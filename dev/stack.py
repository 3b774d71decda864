"""The local stack: real Neo4j, Redis and moto servers, workers and the API as processes.

``inventory dev up`` and the test suite both start servers through ``Stack``; they differ
only in ports and folders.  Each service runs in its own session with its log in the
stack's folder, and is stopped by its PID.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.errors import ActionableError
from app.processes import alive
from dev.programs import NEO4J_DEPLOY, ROOT, neo4j_lib, vcsim_bin, which


class StackError(ActionableError):
    """The local stack cannot start or stop as asked."""


@dataclass
class Ports:
    api: int = 8000  # the API, its dashboard and /metrics
    bolt: int = 7687  # Neo4j's Bolt
    http: int = 7474  # Neo4j's HTTP, the Browser
    redis: int = 6379
    moto: int = 5000  # the AWS simulator (the demo estate)
    vcsim: int = 8989  # the vSphere simulator
    metrics: int = 9191  # the first of the workers' and schedulers' metrics ports
    prometheus: int = 9090  # with `dev up --with-prometheus`


def _secret(length: int) -> str:
    """Random letters and digits: no leading "-" that a command line would take for an
    option, nothing a shell or a URL would need quoted."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class Secrets:
    neo4j_password: str = field(default_factory=lambda: _secret(16))
    admin_token: str = field(default_factory=lambda: _secret(32))
    read_token: str = field(default_factory=lambda: _secret(32))


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def healthz(port: int) -> Callable[[], bool]:
    """A liveness check: GET http://127.0.0.1:``port``/healthz answers 200."""

    def live() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as r:
                return r.status == 200
        except (OSError, ValueError):
            return False  # refused, timed out, or an HTTP error status

    return live


def wait_until(check: Callable[[], bool], timeout: float, what: str, proc: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what} exited with code {proc.returncode} while starting")
        try:
            if check():
                return
        except StackError:
            raise
        except Exception:
            pass  # not up yet
        time.sleep(0.25)
    raise StackError(f"{what} was not ready after {timeout:.0f}s")


@dataclass
class Service:
    name: str
    argv: list[str]
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60
    port: int | None = None  # must be free before the start
    pid: int | None = None
    # Whether it still works while it runs (a liveness probe), for the supervisor.
    live: Callable[[], bool] | None = None
    # Whether the supervisor starts it again when it exits: not a simulator, whose
    # estate lives in its memory and would come back empty.
    restart: bool = True
    # The folder it runs in: the repository, or another tree of it (a bench's baseline).
    cwd: Path = ROOT


class Stack:
    """Servers and processes under one folder: ``<home>/<service>.log``, data below."""

    def __init__(self, home: Path, ports: Ports, secrets_: Secrets) -> None:
        self.home = home
        self.ports = ports
        self.secrets = secrets_
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.services: dict[str, Service] = {}  # as last started, to start again
        self.metrics_ports: dict[str, int] = {}
        home.mkdir(parents=True, exist_ok=True)

    @classmethod
    def scratch(cls, prefix: str, ports: Ports) -> Stack:
        """A stack in a new temporary folder, for tests and benchmarks."""
        return cls(Path(tempfile.mkdtemp(prefix=prefix)), ports, Secrets())

    def discard(self) -> None:
        """Stop everything and delete the folder."""
        self.stop_all()
        shutil.rmtree(self.home, ignore_errors=True)

    # -- the servers ----------------------------------------------------------------------

    def redis(self) -> Service:
        data = self.home / "redis"
        data.mkdir(exist_ok=True)
        port = self.ports.redis
        argv = [
            which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
        ]

        def ready() -> bool:
            import redis

            return bool(redis.Redis(port=port, socket_timeout=1).ping())

        return Service("redis", argv, ready, timeout=30, port=port)

    def neo4j(self) -> Service:
        lib = neo4j_lib()
        env = {
            "NEO4J_LIB": str(lib),
            "NEO4J_DIR": str(self.home / "neo4j"),
            "NEO4J_BOLT_PORT": str(self.ports.bolt),
            "NEO4J_HTTP_PORT": str(self.ports.http),
            "NEO4J_PASSWORD": self.secrets.neo4j_password,
            "NEO4J_HEAP": os.environ.get("INVENTORY_NEO4J_HEAP", "1g"),
            "NEO4J_PAGECACHE": os.environ.get("INVENTORY_NEO4J_PAGECACHE", "512m"),
        }

        def ready() -> bool:
            from neo4j import GraphDatabase
            from neo4j.exceptions import AuthError

            uri = f"bolt://127.0.0.1:{self.ports.bolt}"
            with GraphDatabase.driver(uri, auth=("neo4j", self.secrets.neo4j_password)) as d:
                try:
                    d.verify_connectivity()
                except AuthError:
                    raise StackError(
                        f"Neo4j's data in {env['NEO4J_DIR']} was made with another password; "
                        "delete that folder to start afresh"
                    ) from None
            return port_open(self.ports.http)

        argv = ["bash", str(NEO4J_DEPLOY / "run.sh")]
        return Service("neo4j", argv, ready, env, timeout=180, port=self.ports.bolt)

    def moto(self) -> Service:
        port = self.ports.moto
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        return Service("moto", argv, lambda: port_open(port), timeout=60, port=port, restart=False)

    def vcsim(
        self,
        name: str = "vcsim",
        port: int | None = None,
        flags: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        timeout: float = 120,
    ) -> Service:
        """VMware's vSphere simulator, ready once it prints its GOVC_URL.  Start-up grows
        with the inventory (minutes for 10,000 VMs powered on): give ``timeout``."""
        port = port or self.ports.vcsim
        log = self.home / f"{name}.log"
        start = log.stat().st_size if log.exists() else 0  # the log of an earlier run
        argv = [vcsim_bin(), "-l", f"{host}:{port}", *flags]

        def ready() -> bool:
            with log.open("rb") as f:
                f.seek(start)
                return b"GOVC_URL" in f.read() and port_open(port, host)

        return Service(name, argv, ready, timeout=timeout, port=port, restart=False)

    def inventory(self, name: str, *args: str, ready: Callable[[], bool] | None = None) -> Service:
        argv = [sys.executable, "-m", "cli", *args]
        env = {"INVENTORY_CONFIG": str(self.config_path)}
        return Service(name, argv, ready or (lambda: True), env, timeout=60)

    def api(self) -> Service:
        service = self.inventory("api", "api", ready=lambda: port_open(self.ports.api))
        service.port = self.ports.api
        service.live = healthz(self.ports.api)
        return service

    def worker(self, name: str = "worker", *queues: str, pool: str | None = None) -> Service:
        """A worker pool, live while its metrics process says it is (its workers and itself
        alive: worker.pool_metrics.health), as Kubernetes' probe of the chart asks."""
        port = self.metrics_port(name)
        args = ["worker", "--metrics-port", str(port)]
        if pool:
            args += ["--pool", pool]
        service = self.inventory(name, *args, *(["--queues", *queues] if queues else []))
        service.ready = service.live = healthz(port)
        return service

    def scheduler(self, name: str = "scheduler") -> Service:
        port = self.metrics_port(name)
        service = self.inventory(name, "scheduler", "--metrics-port", str(port))
        service.ready = service.live = healthz(port)
        return service

    def metrics_port(self, name: str) -> int:
        """Where process ``name`` serves its metrics: one port each from ``ports.metrics`` on."""
        return self.metrics_ports.setdefault(name, self.ports.metrics + len(self.metrics_ports))

    # -- config ---------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.home / "inventory.yaml"

    def write_config(self, extra: dict[str, Any] | None = None) -> Path:
        config: dict[str, Any] = {
            "neo4j": {
                "uri": f"bolt://127.0.0.1:{self.ports.bolt}",
                "password": self.secrets.neo4j_password,
            },
            "redis": {"url": f"redis://127.0.0.1:{self.ports.redis}/0"},
            "api": {
                "port": self.ports.api,
                "tokens": [
                    {"name": "dev-admin", "token": self.secrets.admin_token, "access": "admin"},
                    {"name": "dev-read", "token": self.secrets.read_token, "access": "read"},
                ],
            },
        }
        for key, value in (extra or {}).items():
            config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.config_path.chmod(0o600)
        return self.config_path

    # -- processes ------------------------------------------------------------------------

    def start(self, service: Service) -> int:
        """Start ``service`` and wait until it is ready; its PID."""
        proc = self.launch(service)
        try:
            wait_until(service.ready, service.timeout, service.name, proc)
        except StackError as exc:
            tail = _tail(self.home / f"{service.name}.log")
            raise StackError(f"{exc}; last lines of its log:\n{tail}") from None
        return proc.pid

    def launch(self, service: Service) -> subprocess.Popen[bytes]:
        """Start ``service`` without waiting for it to be ready."""
        if service.port is not None and port_open(service.port):
            raise StackError(
                f"port {service.port} for {service.name} is already in use; stop what holds it "
                f"or choose another with INVENTORY_DEV_<NAME>_PORT"
            )
        with open(self.home / f"{service.name}.log", "ab") as log:
            proc = subprocess.Popen(
                service.argv,
                env={**os.environ, **service.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=service.cwd,
            )
        self.procs[service.name] = proc
        self.services[service.name] = service
        service.pid = proc.pid
        return proc

    def stop(self, name: str, timeout: float = 30) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            stop_pid(proc.pid, timeout)
            proc.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)


def stop_pid(pid: int, timeout: float = 30) -> None:
    """SIGTERM to the process, then SIGKILL to its whole group after ``timeout``.

    Only the leader gets the SIGTERM: a Dramatiq worker forwards it to its children, and a
    child that got a second one would die mid-task instead of finishing.
    """
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            if sig == signal.SIGTERM:
                os.kill(pid, sig)
            else:
                os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.1)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def browser_url(http_port: int, bolt_port: int) -> str:
    """The Neo4j Browser, its connection form filled in but for the password."""
    return (
        f"http://127.0.0.1:{http_port}/browser/?dbms=neo4j://neo4j@127.0.0.1:{bolt_port}&db=neo4j"
    )
