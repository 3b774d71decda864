"""`inventory dev up|status|down`: the whole stack on a demo estate, and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dev.stack import alive, wait_until
from tests.conftest import TEST_PORTS
from tests.helpers import all_pages

# Ports of their own, clear of the suite's servers.
PORTS = {
    name: getattr(TEST_PORTS, name) + 50
    for name in ("api", "bolt", "http", "redis", "moto", "vcsim", "metrics", "prometheus")
}


@pytest.fixture
def dev_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "INVENTORY_CONFIG"}
    env["INVENTORY_HOME"] = str(tmp_path / "home")
    env["INVENTORY_ADMIN_TOKEN"] = "admin-token-for-the-dev-stack-test"
    for name, port in PORTS.items():
        env[f"INVENTORY_DEV_{name.upper()}_PORT"] = str(port)
    return env


def inventory(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


# What the demo estate plants for each report to find: report -> (column, what it holds).
LEAKS = {
    "unattached-volumes": ("name", "-orphaned-data"),
    "idle-load-balancers": ("name", "-idle"),
    "public-databases": ("db_instance_id", "-reports-db"),
    "stopped-databases": ("db_instance_id", "-archive-db"),
    "deprecated-lambda-runtimes": ("name", "-legacy-fn"),
    "empty-auto-scaling-groups": ("name", "-empty-asg"),
    "detached-network-interfaces": ("name", "-detached"),
    "unused-security-groups": ("group_name", "-unused"),
    "powered-off-vms": ("power_state", None),
    "full-datastores": ("name", "LocalDS_"),
    "unassociated-elastic-ips": ("name", "-spare-ip"),
    "orphaned-snapshots": ("name", "-retired-data-backup"),
    "idle-nat-gateways": ("name", "-idle-nat"),
    "dangling-dns-records": ("name", "retired."),
    "old-snapshots": ("name", "-retired-data-backup"),  # with LEAK_PARAMS
    "old-vm-snapshots": ("name", "before-upgrade"),
    "orphaned-virtual-disks": ("path", "/old-data.vmdk"),
}
# What a report needs to find its leak on the demo: moto cannot backdate a snapshot.
LEAK_PARAMS = {"old-snapshots": {"min_age_days": 0}}
# The near misses the demo plants beside a leak: report -> (column, what no row may end with).
NEAR_MISSES = {
    "unassociated-elastic-ips": ("name", ("-web-ip", "-nat-ip")),
    "orphaned-snapshots": ("name", ("-prod-data-backup",)),
    "idle-nat-gateways": ("name", ("-prod-nat",)),
    "old-vm-snapshots": ("name", ("after-upgrade", "nightly")),
    "orphaned-virtual-disks": ("path", ("/moved.vmdk",)),
}


def _leaks_are_found(status: dict, read: dict[str, str], env: dict[str, str]) -> None:
    """Every report answers on REST, GraphQL and the CLI, and finds the planted leaks."""
    api = status["urls"]["api"]
    listed = httpx.get(f"{api}/reports", headers=read, timeout=30).json()
    for report in listed:
        name = report["name"]
        with httpx.Client(timeout=30) as client:
            rows = all_pages(client, f"{api}/reports/{name}", read)
        query = "query($n: String!) { report(name: $n, first: 1000) { rows } }"
        body = httpx.post(
            status["urls"]["graphql"],
            headers=read,
            json={"query": query, "variables": {"n": name}},
            timeout=30,
        ).json()
        assert body["data"]["report"]["rows"] == rows[:1000], name  # its first page
        cli = inventory({**env, "INVENTORY_CONFIG": status["config"]}, "report", "run", name,
                        "--format", "json")  # fmt: skip
        assert cli.returncode == 0 and json.loads(cli.stdout) == rows, (name, cli.stderr)
        # aux:reports counted them after the first collection.
        assert name not in LEAKS or report["rows"] == len(rows), name
        if name in LEAK_PARAMS:
            with httpx.Client(timeout=30) as client:
                rows = all_pages(client, f"{api}/reports/{name}", read, **LEAK_PARAMS[name])
        if name in LEAKS:
            column, text = LEAKS[name]
            assert rows, f"{name} found nothing on the demo estate"
            if text:
                assert any(text in (r[column] or "") for r in rows), (name, rows)
        if name in NEAR_MISSES:
            column, misses = NEAR_MISSES[name]
            assert not any((r[column] or "").endswith(misses) for r in rows), (name, rows)
    metrics = httpx.get(status["urls"]["metrics"], headers=read, timeout=30).text
    assert 'inventory_report_rows{report="unattached-volumes"} 4.0' in metrics


def _no_secret_in_any_log(folder: Path, credentials: dict[str, str]) -> None:
    """No token or password shows in any log of any process of the stack (the API's,
    the workers', the schedulers', Neo4j's, Redis's, moto's and vcsim's)."""
    from dev.demo import vsphere as demo_vsphere

    secrets = [
        credentials["admin_token"],
        credentials["read_token"],
        credentials["neo4j_password"],
        demo_vsphere.PASSWORD,
    ]
    logs = sorted(folder.glob("*.log"))
    assert {p.stem for p in logs} >= {"api", "neo4j", "redis", "moto", "vcsim", "worker-high"}
    for log in logs:
        text = log.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, f"a secret is in {log.name}"
    api_lines = [json.loads(line) for line in (folder / "api.log").read_text().splitlines()
                 if line.startswith("{")]  # fmt: skip
    assert api_lines and all(
        "request_id" in line for line in api_lines if "GET /" in line["message"]
    )


def _comes_back(env: dict[str, str], name: str, pid: int) -> dict:
    """SIGKILL process ``name`` (``pid``) of the stack; its status once the supervisor has
    started it again."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = _status(env)
        p = status["processes"][name]
        if p["restarts"] == 1 and p["state"] == "running" and p["pid"] != pid and p["alive"]:
            return status
        time.sleep(1)
    raise AssertionError(f"{name} did not come back: {status['processes'][name]}")


def _prometheus_scrapes_the_stack(status: dict) -> None:
    """`--with-prometheus`: the alert rules are loaded and every process is scraped."""
    prometheus = status["urls"]["prometheus"]
    rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=30).json()["data"]["groups"]
    assert rules and all(g["file"].endswith("deploy/prometheus/rules.yaml") for g in rules)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        query = {"query": "up == 1"}
        found = httpx.get(f"{prometheus}/api/v1/query", params=query, timeout=30).json()
        up = {(r["metric"]["job"], r["metric"].get("pool")) for r in found["data"]["result"]}
        if len(found["data"]["result"]) == 6:  # the API, three pools, two schedulers
            break
        time.sleep(2)
    assert up == {
        ("inventory-api", None),
        ("inventory-worker", "high"),
        ("inventory-worker", "default"),
        ("inventory-worker", "low"),
        ("inventory-scheduler", None),
    }, found


@pytest.fixture
def dev_up(dev_env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], dict]]:
    """`inventory dev up --with-prometheus` in the foreground, as a user runs it, and its
    `dev status --json` once that says it runs (or when it exited, or after 10 minutes);
    killed, and `dev down` run, if the test left it running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "dev", "up", "--with-prometheus"],
        env=dev_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status: dict = {}
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            status = _status(dev_env)
            if status.get("running"):
                break
            time.sleep(2)
        yield proc, status
    finally:
        if proc.poll() is None:
            proc.kill()
            inventory(dev_env, "dev", "down")


def _status(env: dict[str, str]) -> dict:
    return json.loads(inventory(env, "dev", "status", "--json").stdout)


def _serves_the_demo(status: dict, env: dict[str, str]) -> None:
    """The URLs scripts rely on, the tokens from the environment, the demo estate through
    the API, the reports, and the Neo4j Browser with its connection filled in."""
    for key in ("api", "graphql", "dashboard", "neo4j_bolt", "neo4j_browser", "redis"):
        assert key in status["urls"]
    assert status["credentials"]["admin_token"] == "admin-token-for-the-dev-stack-test"
    read = {"Authorization": f"Bearer {status['credentials']['read_token']}"}
    items = httpx.get(f"{status['urls']['api']}/aws/instances", headers=read, timeout=30).json()
    assert len(items["items"]) == 36
    vms = httpx.get(f"{status['urls']['api']}/vsphere/vms", headers=read, timeout=30).json()
    assert len(vms["items"]) == 96
    assert sum(vm["template"] for vm in vms["items"]) == 12
    _leaks_are_found(status, read, env)
    _the_demo_changes_show(status, read, env)
    browser = httpx.get(status["urls"]["neo4j_browser"], timeout=30)
    assert browser.status_code == 200 and "Neo4j Browser" in browser.text
    bolt = status["urls"]["neo4j_bolt"].removeprefix("bolt://")
    assert f"?dbms=neo4j://neo4j@{bolt}&db=neo4j" in status["urls"]["neo4j_browser"]


def _the_demo_changes_show(status: dict, read: dict[str, str], env: dict[str, str]) -> None:
    """`dev up` changed the demo estate after its first collection and collected again: the
    resized instance, the deleted scratch volume and the moved VM are in the change history,
    over REST, GraphQL and the CLI."""
    api = status["urls"]["api"]

    def changes(**params: str) -> list[dict]:
        answer = httpx.get(f"{api}/changes", params=params, headers=read, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    def updated(label: str, field: str) -> tuple[dict, tuple]:
        found = [
            (c, f)
            for c in changes(since="1h", label=label, change="updated")
            for f in c["fields"]
            if f["field"] == field
        ]
        assert len(found) == 1, found
        change, f = found[0]
        return change, (f["before"], f["after"])

    resized, types = updated("AWSInstance", "instance_type")
    assert types == ("t3.micro", "t3.large")
    deleted = changes(since="1h", label="AWSVolume", change="deleted")
    names = [f["before"] for c in deleted for f in c["fields"] if f["field"] == "name"]
    assert "main-prod-scratch" in names, deleted
    moved, (old, new) = updated("VSphereVM", "host_uid")
    runs = [c for c in changes(uid=moved["uid"], since=moved["at"]) if c["type"] == "RUNS"]
    assert {(c["change"], c["uid"]) for c in runs} == {("unlinked", old), ("linked", new)}
    query = '{ changes(since: "1h", label: ["AWSInstance"], change: [updated]) { items { uid } } }'
    body = httpx.post(status["urls"]["graphql"], headers=read, json={"query": query}, timeout=30)
    assert {"uid": resized["uid"]} in body.json()["data"]["changes"]["items"], body.text
    cli = inventory({**env, "INVENTORY_CONFIG": status["config"]}, "changes", "--since", "1h",
                    "--label", "AWSInstance", "--json")  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert resized["uid"] in [c["uid"] for c in json.loads(cli.stdout) if c["change"] == "updated"]


def _what_exits_is_started_again(env: dict[str, str], status: dict) -> dict:
    """A killed scheduler is started again, `dev status` says so, and every process runs;
    the status then."""
    status = _comes_back(env, "scheduler-1", status["processes"]["scheduler-1"]["pid"])
    assert status["running"]
    pids = [p["pid"] for p in status["processes"].values()]
    assert len(pids) >= 8 and all(alive(pid) for pid in pids)
    return status


def _dashboard_login(status: dict) -> None:
    """A dashboard login (whose token must not reach any log either)."""
    admin_token = status["credentials"]["admin_token"]
    with httpx.Client(timeout=30, follow_redirects=True) as browser_like:
        login = browser_like.post(
            status["urls"]["dashboard"] + "login", data={"token": admin_token}
        )
        assert login.status_code == 200 and "inventory.high" in login.text


def _a_simulator_stays_down(env: dict[str, str], status: dict) -> None:
    """A simulator is not restarted (its estate would come back empty): it is down, and
    the stack no longer counts as running."""
    os.kill(status["processes"]["moto"]["pid"], signal.SIGKILL)
    wait_until(
        lambda: _status(env)["processes"]["moto"]["state"] == "down",
        60,
        "dev status to say moto is down",
    )
    text = inventory(env, "dev", "status").stdout
    assert "  moto           down (restarts: 0): exited with code -9" in text, text
    assert not _status(env)["running"]


def _ctrl_c_stops_everything(
    proc: subprocess.Popen[str], env: dict[str, str], status: dict, pids: list[int]
) -> None:
    """Ctrl-C: `dev up` exits cleanly having said what it restarted, every process of the
    stack is gone, no secret is in any log, and `dev status` says nothing runs."""
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    assert "scheduler-1 exited with code -9; restarting it in 1s (restart 1" in out
    assert not any(alive(pid) for pid in pids)
    _no_secret_in_any_log(Path(status["logs"]), status["credentials"])
    assert _status(env) == {"running": False}


def test_dev_up_serves_the_demo_and_ctrl_c_stops_everything(
    dev_env: dict[str, str], dev_up: tuple[subprocess.Popen[str], dict]
) -> None:
    proc, status = dev_up
    assert status.get("running"), proc.stdout.read() if proc.poll() is not None else status
    _serves_the_demo(status, dev_env)
    _prometheus_scrapes_the_stack(status)
    status = _what_exits_is_started_again(dev_env, status)
    pids = [p["pid"] for p in status["processes"].values()]
    _dashboard_login(status)
    _a_simulator_stays_down(dev_env, status)
    _ctrl_c_stops_everything(proc, dev_env, status, pids)


def test_dev_up_refuses_a_port_in_use(dev_env: dict[str, str]) -> None:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", PORTS["redis"]))
        s.listen()
        result = inventory(dev_env, "dev", "up", "--detach")
    assert result.returncode == 2
    assert f"port {PORTS['redis']} for redis is already in use" in result.stderr


def test_dev_secrets_outlive_dev_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dev import up as devstack

    monkeypatch.setenv("INVENTORY_HOME", str(tmp_path))
    monkeypatch.delenv("INVENTORY_ADMIN_TOKEN", raising=False)
    first = devstack._secrets()
    devstack.down(lambda _: None)  # nothing runs: only the run state would go
    again = devstack._secrets()
    # Neo4j's data folder keeps the password it was made with: the next `dev up` must too.
    assert again.neo4j_password == first.neo4j_password
    assert again.admin_token == first.admin_token
    monkeypatch.setenv("INVENTORY_ADMIN_TOKEN", "from-env")
    assert devstack._secrets().admin_token == "from-env"
