"""``inventory dev up|down|status``: the whole product on one machine.

With no ``INVENTORY_CONFIG`` (or one naming no provider), a moto server serves a demo AWS
estate and a vcsim a demo vSphere estate; with one, its provider sections (``aws``,
``vsphere``) and its ``tasks``, ``graph`` and schedule sections are used against the
local Neo4j and Redis.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from app.config import QUEUES
from collectors import PROVIDERS
from dev.demo import aws as demo
from dev.demo import changes as demo_changes
from dev.demo import vsphere as demo_vsphere
from dev.prometheus import prometheus
from dev.stack import ROOT, Ports, Secrets, Stack, StackError, alive, stop_pid
from dev.state import State
from dev.supervise import Supervisor

if TYPE_CHECKING:
    from worker.runtime import Runtime

Say = Callable[[str], Any]
# Set in the environment of the `dev up` that `dev up --detach` leaves in the background.
DETACHED = "INVENTORY_DEV_DETACHED"

# Unless the user's config has schedules of its own.
DEMO_SCHEDULES = [
    *(
        {"name": f"{p}-collect-all", "task": f"{p}:collect-all", "interval_s": 900}
        | {"priority": "low"}
        for p in PROVIDERS
    ),
    # Every relationship rebuilt whole once a day: a collection that changed nothing asks
    # for no link task.
    *(
        {"name": f"{p}-links-daily", "task": f"{p}:link-all", "cron": "45 3 * * *"}
        | {"priority": "low"}
        for p in PROVIDERS
    ),
    {"name": "housekeeping", "task": "aux:housekeeper", "cron": "30 3 * * *"},
    {"name": "report-counts", "task": "aux:reports", "interval_s": 300, "priority": "low"},
]


def home() -> Path:
    return Path(os.environ.get("INVENTORY_HOME", ROOT / ".inventory")).resolve()


def state_path() -> Path:
    return home() / "dev.json"


def ports() -> Ports:
    """Default ports, each changeable by ``INVENTORY_DEV_<NAME>_PORT``."""
    return Ports(
        **{
            f.name: int(os.environ.get(f"INVENTORY_DEV_{f.name.upper()}_PORT", f.default))
            for f in fields(Ports)
        }
    )


def _secrets() -> Secrets:
    # Kept across `dev down`: the Neo4j data folder keeps the password it was made with.
    path = home() / "dev-secrets.json"
    try:
        s = Secrets(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        s = Secrets()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(s)))
        path.chmod(0o600)
    # The Neo4j password lives on in the data folder; tokens may come from the environment.
    s.admin_token = os.environ.get("INVENTORY_ADMIN_TOKEN") or s.admin_token
    s.read_token = os.environ.get("INVENTORY_READ_TOKEN") or s.read_token
    return s


def _user_sections() -> dict[str, Any]:
    path = os.environ.get("INVENTORY_CONFIG")
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise StackError(f"cannot read INVENTORY_CONFIG {path}: {exc}") from None
    sections = (*PROVIDERS, "tasks", "graph", "schedules", "scheduler", "log_level")
    return {k: v for k, v in data.items() if k in sections}


def up(detach: bool, say: Say, with_prometheus: bool = False) -> None:
    previous = State.load(state_path())
    if previous and any(alive(pid) for pid in [previous.supervisor or 0, *previous.pids.values()]):
        raise StackError("the dev stack is already running; stop it with `inventory dev down`")
    if detach:
        _detach(say, with_prometheus)
        return
    stack = Stack(home() / "dev", ports(), _secrets())
    user = _user_sections()
    is_demo = not set(PROVIDERS) & set(user)
    try:
        _start(stack, user, is_demo, say, with_prometheus)
        state = State(
            home=str(stack.home),
            ports=asdict(stack.ports),
            secrets=asdict(stack.secrets),
            pids={name: p.pid for name, p in stack.procs.items()},
            config=str(stack.config_path),
            demo=is_demo,
            supervisor=os.getpid(),
            prometheus=with_prometheus,
        )
        supervisor = Supervisor(stack, say, on_change=lambda states: _note(state, states))
        _note(state, supervisor.states())
        print_status(status(), say)
    except BaseException:
        stack.stop_all()
        raise
    if not os.environ.get(DETACHED):
        say("press Ctrl-C to stop")
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    supervisor.run(lambda: stopping)
    say("stopping…")
    stack.stop_all()
    state_path().unlink(missing_ok=True)


def _note(state: State, processes: dict[str, dict[str, Any]]) -> None:
    """What the supervisor saw, where `dev status` and `dev down` read it."""
    state.processes = processes
    state.pids = {name: p["pid"] for name, p in processes.items() if p["pid"]}
    state.save(state_path())


def _detach(say: Say, with_prometheus: bool) -> None:
    """Run `dev up` (the stack and its supervisor) in the background, show its progress
    until the stack is up, and return."""
    log = home() / "dev" / "up.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "cli", "dev", "up"]
    argv += ["--with-prometheus"] if with_prometheus else []
    with log.open("ab") as out:
        start = out.tell()
        proc = subprocess.Popen(
            argv,
            env={**os.environ, DETACHED: "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C or a closed terminal do not reach it
            cwd=ROOT,
        )
    shown = start
    while True:
        with log.open("rb") as f:
            f.seek(shown)
            for line in f.read().decode(errors="replace").splitlines(keepends=True):
                if not line.endswith("\n"):
                    break  # the rest of the line is still being written
                say(line.rstrip("\n"))
                shown += len(line.encode())
        state = State.load(state_path())
        if state is not None and state.supervisor == proc.pid:
            say(f"running in the background (supervisor {proc.pid}, log {log});")
            say("stop it with `inventory dev down`")
            return
        if proc.poll() is not None:
            with log.open("rb") as f:
                f.seek(start)
                lines = f.read().decode(errors="replace").strip().splitlines() or [""]
            # Its own error line (the CLI's "error: …"), else where to look.
            last = lines[-1].removeprefix("error: ")
            if last == lines[-1]:
                last = f"the dev stack did not start (exit code {proc.returncode}); see {log}"
            raise StackError(last)
        time.sleep(0.5)


def _start(
    stack: Stack, user: dict[str, Any], is_demo: bool, say: Say, with_prometheus: bool
) -> None:
    from app.config import load_settings
    from graph import schema
    from graph.driver import connect
    from worker.records import follow
    from worker.runtime import Runtime

    say(f"starting Redis on {stack.ports.redis}")
    stack.start(stack.redis())
    p = stack.ports
    say(f"starting Neo4j on {p.bolt}, its Browser on {p.http} (the first start fetches jars)")
    stack.start(stack.neo4j())
    extra = {"schedules": DEMO_SCHEDULES, **user}
    if is_demo:
        say(f"starting moto on {stack.ports.moto} and seeding the demo estate")
        stack.start(stack.moto())
        endpoint = f"http://127.0.0.1:{stack.ports.moto}"
        made = demo.seed(endpoint)
        regions = len(demo.REGIONS)
        say(f"  demo: {sum(made.values())} instances in {len(made)} accounts x {regions} regions")
        extra["aws"] = {"accounts": demo.accounts_config(endpoint)}
        say(f"starting vcsim on {p.vcsim} and shaping the demo vSphere estate")
        # Any login is let in: the password we use then shows in no log, not even vcsim's.
        stack.start(stack.vcsim(flags=demo_vsphere.FLAGS))
        shaped = demo_vsphere.shape(p.vcsim)
        say(
            f"  demo: {shaped['vms']} VMs ({shaped['templates']} templates, "
            f"{shaped['powered_off']} powered off) in 2 datacenters"
        )
        extra["vsphere"] = {"vcenters": demo_vsphere.vcenters_config(p.vcsim)}
    stack.write_config(extra)
    os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
    rt = Runtime(load_settings())
    driver = connect(rt.settings.neo4j)
    schema.migrate(driver, rt.catalog, rt.settings.neo4j.database)
    driver.close()
    for name in QUEUES:  # each pool also takes the work of the pools above it
        stack.start(stack.worker(f"worker-{name}", pool=name))
    say("starting two schedulers (one leads, the other takes over if it dies)")
    for n in (1, 2):
        stack.start(stack.scheduler(f"scheduler-{n}"))
    say("starting the API")
    stack.start(stack.api())
    if with_prometheus:
        say(f"starting Prometheus on {p.prometheus}, with the alert rules")
        stack.start(
            prometheus(
                stack,
                port=p.prometheus,
                api_port=p.api,
                read_token=stack.secrets.read_token,
                workers={name: stack.metrics_port(f"worker-{name}") for name in QUEUES},
                schedulers=[stack.metrics_port(f"scheduler-{n}") for n in (1, 2)],
            )
        )
    if is_demo:
        demo_changes.prepare(f"http://127.0.0.1:{p.moto}")
    _collect_all(rt, "the first collection", say)
    if is_demo:
        say("changing the demo estate a little, for the change history to show:")
        for done in demo_changes.change_aws(f"http://127.0.0.1:{p.moto}"):
            say(f"  {done}")
        for done in demo_changes.change_vsphere(p.vcsim):
            say(f"  {done}")
        _collect_all(rt, "a second collection", say)
        say("  what it changed: `inventory changes --since 1h`, /api/v1/changes, GraphQL changes")
    say("counting the reports' rows (aux:reports)")
    follow(rt.records, rt.enqueue("aux:reports", {}, "high"), 120, say)
    rt.close()


def _collect_all(rt: Runtime, what: str, say: Say) -> None:
    """Collect every configured provider's estate, at high priority, and wait for it."""
    from worker.records import follow

    for provider in PROVIDERS:
        if not getattr(rt.settings, provider).model_dump(exclude_defaults=True):
            continue  # not configured
        say(f"running {what} ({provider}:collect-all)")
        follow(rt.records, rt.enqueue(f"{provider}:collect-all", {}, "high"), 600, say)


def down(say: Say) -> None:
    state = State.load(state_path())
    if state is None:
        say("the dev stack is not running")
        return
    if state.supervisor and alive(state.supervisor):
        # It stops what it supervises, each process given the time to finish its work.
        say(f"stopping the supervisor ({state.supervisor}) and everything it runs")
        stop_pid(state.supervisor, timeout=300)
    for name, pid in reversed(list(state.pids.items())):
        if alive(pid):
            say(f"stopping {name} ({pid})")
            stop_pid(pid)
    state_path().unlink(missing_ok=True)


def status() -> dict[str, Any]:
    state = State.load(state_path())
    if state is None:
        return {"running": False}
    supervised = bool(state.supervisor and alive(state.supervisor))
    processes = {}
    for name, pid in state.pids.items():
        seen = state.processes.get(name, {"pid": pid, "state": "running", "restarts": 0})
        up = alive(seen["pid"]) if seen.get("pid") else False
        if not up and seen["state"] == "running":
            seen = {**seen, "state": "down"}  # ended since the supervisor last looked
        processes[name] = {**seen, "alive": up}
    for name, seen in state.processes.items():  # down, with no process left
        processes.setdefault(name, {**seen, "alive": False})
    return {
        "running": supervised and all(p["state"] == "running" for p in processes.values()),
        "supervisor": {"pid": state.supervisor, "alive": supervised},
        "urls": state.urls(),
        "credentials": {
            "neo4j_user": "neo4j",
            "neo4j_password": state.secrets["neo4j_password"],
            "admin_token": state.secrets["admin_token"],
            "read_token": state.secrets["read_token"],
        },
        "config": state.config,
        "logs": state.home,
        "demo": state.demo,
        "processes": processes,
    }


def print_status(s: dict[str, Any], say: Say) -> None:
    if "urls" not in s:
        say("the dev stack is not running (start it with `make run`)")
        return
    if not s["supervisor"]["alive"]:
        say(f"the supervisor ({s['supervisor']['pid']}) is not running: nothing is restarted")
    for name, p in s["processes"].items():
        if p["state"] != "running":
            why = f": {p['reason']}" if p.get("reason") else ""
            say(f"  {name:<14} {p['state']} (restarts: {p['restarts']}){why}")
    c = s["credentials"]
    say("")
    for name, url in s["urls"].items():
        say(f"  {name:<14} {url}")
    say(f"  {'neo4j login':<14} neo4j / {c['neo4j_password']}")
    say(f"  {'admin token':<14} {c['admin_token']}")
    say(f"  {'read token':<14} {c['read_token']}")
    say(f"  {'logs':<14} {s['logs']}")
    say(
        f"  try: curl -H 'Authorization: Bearer {c['read_token']}' {s['urls']['api']}/aws/instances"
    )
