"""The servers scripts/image-smoke.sh runs the image against, and its HTTP checks.

Run with the checkout's virtualenv (``.venv/bin/python scripts/image_smoke_stack.py``):

  up STATE          start Redis, Neo4j and a moto server (seeded with the demo AWS estate)
                    on free loopback ports in a scratch folder; write the config, and a copy
                    the container's user (uid 10001) may read; save what was started to
                    STATE (JSON) and print it as shell assignments for `eval`
  down STATE        stop every server of STATE by its PID and delete the scratch folder
  http URL [STATUS] [TIMEOUT]
                    wait until GET URL answers STATUS (default 200); print the body's start
  task STATE NAME [TIMEOUT]
                    enqueue task NAME through the API (POST /api/v1/tasks, admin token) and
                    wait until GET /api/v1/tasks/{id} says it ended; exit 0 if succeeded
  count STATE PATH  GET PATH of the API with the read token; print how many items it lists
  metric URL NAME LABEL=VALUE
                    print the sample NAME{LABEL=VALUE} of a Prometheus /metrics page

Everything listens on 127.0.0.1 only; nothing is stopped but by the PIDs saved in STATE.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from dev.stack import Ports, Stack, free_port, stop_pid  # noqa: E402

IMAGE_UID = 10001  # the image's user (Dockerfile: USER 10001)


def _save(path: Path, state: dict[str, Any]) -> None:
    path.write_text(json.dumps(state, indent=2))
    path.chmod(0o600)


def up(state_path: Path) -> None:
    ports = Ports(
        api=free_port(),
        bolt=free_port(),
        http=free_port(),
        redis=free_port(),
        moto=free_port(),
        metrics=free_port(),
    )
    stack = Stack.scratch("inventory-image-smoke-", ports)
    state: dict[str, Any] = {"home": str(stack.home), "pids": {}}
    _save(state_path, state)  # the folder is known even if a start fails below
    try:
        _start_servers(stack, state, state_path)
        config = _seeded_config(stack)
        state.update(
            config=str(config),
            container_config=str(_container_copy(stack, config)),
            api_port=free_port(),
            worker_metrics_port=free_port(),
            bolt_port=ports.bolt,
            redis_port=ports.redis,
            moto_port=ports.moto,
            admin_token=stack.secrets.admin_token,
            read_token=stack.secrets.read_token,
        )
        _save(state_path, state)
    except BaseException:
        stack.stop_all()
        shutil.rmtree(stack.home, ignore_errors=True)
        state["pids"] = {}
        _save(state_path, state)
        raise
    for key in ("home", "container_config", "api_port", "worker_metrics_port"):
        print(f"SMOKE_{key.upper()}={shlex.quote(str(state[key]))}")
    print(f"SMOKE_PIDS={shlex.quote(' '.join(map(str, state['pids'].values())))}")


def _start_servers(stack: Stack, state: dict[str, Any], state_path: Path) -> None:
    """Redis, Neo4j and moto, each PID saved to STATE as soon as it runs."""
    for service in (stack.redis(), stack.neo4j(), stack.moto()):
        started = time.monotonic()
        state["pids"][service.name] = stack.start(service)
        _save(state_path, state)
        print(
            f"  {service.name} on 127.0.0.1:{service.port} "
            f"(pid {service.pid}, {time.monotonic() - started:.1f}s)",
            file=sys.stderr,
        )


def _seeded_config(stack: Stack) -> Path:
    """moto seeded with the demo AWS estate; the stack's config, reaching it (and no
    vCenter)."""
    from dev.demo import aws

    endpoint = f"http://127.0.0.1:{stack.ports.moto}"
    started = time.monotonic()
    made = aws.seed(endpoint, per_subnet=1)
    print(
        f"  moto seeded with the demo AWS estate: {sum(made.values())} instances "
        f"({time.monotonic() - started:.1f}s)",
        file=sys.stderr,
    )
    return stack.write_config(
        {"aws": {"accounts": aws.accounts_config(endpoint)}, "vsphere": {"vcenters": []}}
    )


def _container_copy(stack: Stack, config: Path) -> Path:
    """The container runs as uid 10001: it gets a copy it may read, mounted read-only."""
    container_config = stack.home / "container.yaml"
    shutil.copyfile(config, container_config)
    os.chown(container_config, IMAGE_UID, IMAGE_UID)
    container_config.chmod(0o400)
    return container_config


def down(state_path: Path) -> None:
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        return
    for name, pid in reversed(list(state.get("pids", {}).items())):
        stop_pid(pid)
        print(f"  stopped {name} (pid {pid})", file=sys.stderr)
    if state.get("home"):
        shutil.rmtree(state["home"], ignore_errors=True)
    state_path.unlink(missing_ok=True)


def http(url: str, status: int = 200, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, timeout=5)
            if answer.status_code == status:
                print(f"{answer.status_code} {answer.text[:120]}")
                return
            last = f"{answer.status_code} {answer.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.5)
    sys.exit(f"GET {url} did not answer {status} within {timeout:.0f}s; last: {last}")


def _api(state: dict[str, Any]) -> str:
    return f"http://127.0.0.1:{state['api_port']}"


def task(state_path: Path, name: str, timeout: float = 300) -> None:
    state = json.loads(state_path.read_text())
    admin = {"Authorization": f"Bearer {state['admin_token']}"}
    answer = httpx.post(
        f"{_api(state)}/api/v1/tasks",
        json={"task": name, "payload": {}, "priority": "high"},
        headers=admin,
        timeout=30,
    )
    if answer.status_code != 202:
        sys.exit(f"POST /api/v1/tasks answered {answer.status_code}: {answer.text[:300]}")
    task_id = answer.json()["id"]
    print(f"enqueued {name} as {task_id} on {answer.json()['queue']}")
    # The task fans out (one per account, then per region): its tree is every record
    # with it as root; children are enqueued before their parent ends.
    final = ("succeeded", "skipped", "failed", "cancelled", "deleted")
    deadline = time.monotonic() + timeout
    tree: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        root = httpx.get(f"{_api(state)}/api/v1/tasks/{task_id}", headers=admin, timeout=30)
        root.raise_for_status()
        if root.json().get("state") in final:
            listed = httpx.get(
                f"{_api(state)}/api/v1/tasks", params={"limit": 1000}, headers=admin, timeout=30
            ).json()["items"]
            tree = [r for r in listed if r.get("root") == task_id]
            if all(r["state"] in final for r in tree):
                break
        time.sleep(0.5)
    else:
        sys.exit(f"task {task_id} and its tree did not end within {timeout:.0f}s")
    states = Counter(r["state"] for r in tree)
    written = sum((r.get("result") or {}).get("nodes_written", 0) for r in tree)
    print(
        f"GET /api/v1/tasks/{task_id}: {root.json()['state']}; its tree: {len(tree)} tasks, "
        + ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
        + f"; {written} nodes written"
    )
    bad = [r for r in tree if r["state"] != "succeeded"]
    for r in bad:
        print(f"  {r['state']}: {r['task']} {json.dumps(r.get('payload'))}: {r.get('error')}")
    if bad:
        sys.exit(f"{len(bad)} of {len(tree)} tasks did not succeed")


def count(state_path: Path, path: str) -> None:
    state = json.loads(state_path.read_text())
    answer = httpx.get(
        f"{_api(state)}{path}",
        headers={"Authorization": f"Bearer {state['read_token']}"},
        timeout=30,
    )
    answer.raise_for_status()
    body = answer.json()
    items = body if isinstance(body, list) else body.get("items", [])
    print(f"GET {path}: {len(items)} items")
    if not items:
        sys.exit(f"GET {path} listed nothing")


def metric(url: str, name: str, label: str) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    key, _, value = label.partition("=")
    text = httpx.get(url, timeout=30).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels.get(key) == value:
                print(f"{name}{{{label}}} {sample.value:g}")
                if sample.value <= 0:
                    sys.exit(f"{name}{{{label}}} is {sample.value:g}")
                return
    sys.exit(f"{url} has no sample {name}{{{label}}}")


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    command, args = argv[0], argv[1:]
    if command == "up":
        up(Path(args[0]))
    elif command == "down":
        down(Path(args[0]))
    elif command == "http":
        http(args[0], *(int(a) if i == 0 else float(a) for i, a in enumerate(args[1:])))
    elif command == "task":
        task(Path(args[0]), args[1], *(float(a) for a in args[2:]))
    elif command == "count":
        count(Path(args[0]), args[1])
    elif command == "metric":
        metric(*args)
    else:
        sys.exit(f"unknown command {command}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
