"""Telemetry from a real worker pool: its metrics move as tasks run, and its log lines are
JSON carrying the task id, with no credential in them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from app.config import Settings
from app.logs import secrets_in
from dev.demo import aws as demo
from dev.stack import Stack, wait_until
from tests.helpers import cli, config_with, json_lines
from worker.runtime import Runtime

SCOPE = {"account": "demo-main", "region": "eu-west-1"}


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a metrics page: (name, labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(page: dict, name: str, **labels: str) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


def test_worker_metrics_count_tasks_and_resources_and_logs_carry_the_task_id(
    stack: Stack, config_path: Path, estate: dict, migrated: Runtime, tmp_path: Path
) -> None:
    # A database of its own: no other test's worker takes these messages.
    base = Settings()
    redis = base.redis.model_dump(include={"url"})
    redis["url"] = redis["url"].rsplit("/", 1)[0] + "/5"
    config = config_with(config_path, tmp_path / "c.yaml", redis=redis, log_level="DEBUG")
    service = stack.inventory(
        "metrics-worker", "worker", "--processes", "2",
        "--metrics-port", str(stack.metrics_port("metrics-worker")),
    )  # fmt: skip
    service.env["INVENTORY_CONFIG"] = str(config)
    stack.start(service)
    url = f"http://127.0.0.1:{stack.metrics_port('metrics-worker')}/metrics"
    try:
        wait_until(lambda: httpx.get(url, timeout=60).status_code == 200, 30, "the pool's metrics")
        before = samples(httpx.get(url, timeout=60).text)
        # The scope's VPCs gone from the graph (another test may have collected them): the
        # collection makes them again, a change, so it asks for a link task too.
        migrated.driver.execute_query(
            "MATCH (v:AWSVPC {account_id: $account, region: $region}) DETACH DELETE v",
            account=demo.MAIN_ACCOUNT,
            region=SCOPE["region"],
        )
        done = cli(
            "collect", "aws:collect-vpcs", "--payload", json.dumps(SCOPE), "--wait",
            config=config, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        task_id = done.stdout.split()[3]
        after = samples(httpx.get(url, timeout=60).text)
    finally:
        stack.stop("metrics-worker")

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    vpcs = {"task": "aws:collect-vpcs", "queue": "inventory.default"}
    links = {"task": "aws:link-all", "queue": "inventory.default"}
    assert grew("inventory_tasks_total", **vpcs, outcome="succeeded") == 1
    assert grew("inventory_tasks_total", **links, outcome="succeeded") >= 1
    assert grew("inventory_task_duration_seconds_count", **vpcs) == 1
    assert grew("inventory_nodes_written_total", provider="aws", label="AWSVPC") > 0
    assert not [name for name, _ in after if name.startswith("inventory_scheduler")]
    # Counted per relationship type (how many depends on what the graph already holds).
    assert (
        "inventory_links_written_total",
        frozenset({"provider": "aws", "type": "HAS_VPC"}.items()),
    ) in after

    log = stack.home / "metrics-worker.log"
    mine = [line for line in json_lines(log) if line.get("task_id") == task_id]
    assert any(line["message"].startswith("collected AWSVPC") for line in mine)
    assert {(line["task"], line["queue"]) for line in mine} == {
        ("aws:collect-vpcs", "inventory.default")
    }
    text = log.read_text()
    assert not [s for s in secrets_in(Settings()) if s in text]  # at DEBUG too


def test_api_metrics_hold_queue_depth(settings: Settings, stack: Stack) -> None:
    with TestClient(create_app(settings)) as c:
        reply = c.get("/metrics", headers={"Authorization": f"Bearer {stack.secrets.read_token}"})
    assert reply.status_code == 200
    page = samples(reply.text)
    depth = {dict(labels)["state"] for name, labels in page if name == "inventory_queue_messages"}
    assert {"pending", "delayed", "active", "failed", "succeeded"} <= depth
    assert not [name for name, _ in page if name.startswith("inventory_scheduler")]


def test_a_pools_liveness_counts_its_worker_processes() -> None:
    import os
    import signal
    import subprocess
    import sys

    from app.processes import children
    from worker.pool_metrics import health

    # A stand-in supervisor with two workers, which never reaps them: a dead one stays a
    # zombie, and must not count.
    spawn = (
        "import subprocess, time; [subprocess.Popen(['sleep', '60']) for _ in '12']; time.sleep(60)"
    )
    pool = subprocess.Popen([sys.executable, "-c", spawn])
    try:
        wait_until(lambda: len(children(pool.pid)) == 2, 30, "the two workers")
        well, text = health(pool.pid, 2)
        workers = " ".join(map(str, sorted(children(pool.pid))))
        assert (
            well and text == f"ok: supervisor {pool.pid}, workers {workers}, metrics {os.getpid()}"
        )
        os.kill(children(pool.pid)[0], signal.SIGKILL)
        wait_until(lambda: len(children(pool.pid)) == 1, 30, "a worker to die")
        assert health(pool.pid, 2) == (False, "1 of the pool's 2 worker processes are gone")
    finally:
        for pid in children(pool.pid):
            os.kill(pid, signal.SIGKILL)
        pool.kill()
        pool.wait()
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert health(gone.pid, 1) == (False, f"the pool's supervisor ({gone.pid}) has exited")


def test_api_metrics_hold_each_collection_state(
    settings: Settings, stack: Stack, clean_graph
) -> None:
    import time

    from collectors import CATALOG
    from graph import status

    vpcs, vms = CATALOG.by_label["AWSVPC"], CATALOG.by_label["VSphereVM"]
    db = settings.neo4j.database
    ok = {"account": "demo-main", "region": "eu-west-1"}
    start = time.time()
    status.failed(clean_graph.driver, db, vpcs, ok, "throttled", "t1")
    status.succeeded(clean_graph.driver, db, vpcs, ok, {}, clean_graph.writer.now(), "t2", 0)
    for attempt in ("t3", "t4"):
        status.failed(clean_graph.driver, db, vms, {"vcenter": "vc-locked"}, "bad login", attempt)
    with TestClient(create_app(settings)) as c:
        reply = c.get("/metrics", headers={"Authorization": f"Bearer {stack.secrets.read_token}"})
    assert reply.status_code == 200
    page = samples(reply.text)
    aws = {"provider": "aws", "label": "AWSVPC", "scope": "demo-main/eu-west-1"}
    vc = {"provider": "vsphere", "label": "VSphereVM", "scope": "vc-locked"}
    assert value(page, "inventory_collection_consecutive_failures", **aws) == 0
    assert value(page, "inventory_collection_consecutive_failures", **vc) == 2
    succeeded = value(page, "inventory_collection_last_success_timestamp_seconds", **aws)
    assert start - 5 <= succeeded <= time.time() + 5
    assert value(page, "inventory_collection_last_failure_timestamp_seconds", **vc) >= start - 5
    # Never succeeded: no success time at all (an alert tells "never" from "long ago").
    assert (
        "inventory_collection_last_success_timestamp_seconds",
        frozenset(vc.items()),
    ) not in page
