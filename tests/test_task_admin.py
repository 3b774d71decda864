"""Cancel, delete, retry from the dead letters, stats and the dashboard: through the CLI,
REST and GraphQL, on real Redis with real worker processes.

These tests keep their messages in a Redis database of their own (db 1) and start their
own workers there, each on the queues a test names, so the suite's worker never takes
them: a message stays pending for as long as a test wants.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import Settings
from dev.stack import Stack, wait_until
from tests.faultproxy import FaultProxy
from tests.helpers import cli
from worker.records import FINAL, STATES
from worker.runtime import Runtime

IDLE = "inventory.low"  # no worker reads it unless a test starts one
BUSY = "inventory.default"
SCOPE = {"account": "demo-main", "region": "eu-west-1"}
SLOW_CALLS = ("eu-west-1", "ec2")  # what SCOPE's collection waits on
LOCKED = {"account": "locked", "region": "eu-west-1"}  # bad keys: fails at once, for good
UNREACHABLE = {"account": "down", "region": "eu-west-1"}  # fails, and is retried later
QUICK = {"retention_days": 3650}  # a housekeeper that finds nothing to remove


@dataclass
class Admin:
    stack: Stack
    config: Path
    rt: Runtime
    api: TestClient
    proxy: FaultProxy
    read: dict[str, str]
    admin: dict[str, str]

    def enqueue(self, task: str, payload: dict[str, Any], priority: str) -> str:
        return self.rt.enqueue(task, payload, priority)

    def cli(self, *args: str) -> str:
        """Run the CLI on this Redis database; its output, after checking it succeeded."""
        result = cli(*args, config=self.config)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def cli_error(self, *args: str) -> str:
        result = cli(*args, config=self.config)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        return result.stderr.strip()

    def wait(self, task_id: str, *states: str, timeout: float = 60) -> dict[str, Any]:
        """The record once it reaches one of ``states``."""
        wait_until(lambda: self.rt.records.get(task_id)["state"] in states, timeout, f"{states}")
        return self.rt.records.get(task_id)

    def stats(self, queue: str) -> dict[str, int]:
        return self.rt.queues.stats()["queues"][queue]

    def messages(self, queue: str) -> dict[str, int]:
        """Keys and data of ``queue``'s list, delay list and dead letters in the broker."""
        r, ns = self.rt.broker.client, f"dramatiq:{queue}"
        return {
            "queued": r.llen(ns),
            "queued data": r.hlen(f"{ns}.msgs"),
            "delayed": r.llen(f"{ns}.DQ"),
            "dead": r.zcard(f"{ns}.XQ"),
            "dead data": r.hlen(f"{ns}.XQ.msgs"),
        }

    @contextmanager
    def worker(self, *queues: str) -> Iterator[None]:
        """A worker process with one thread (prefetching two messages) on ``queues``."""
        name = "admin-worker"
        service = self.stack.inventory(name, "worker", "--queues", *queues, "--threads", "1")
        service.env["INVENTORY_CONFIG"] = str(self.config)
        self.stack.start(service)
        try:
            yield
        finally:
            self.stack.stop(name)


@pytest.fixture(scope="module")
def admin_config(stack: Stack, config_path: Path, proxy: FaultProxy, tmp_path_factory) -> Path:
    config = yaml.safe_load(config_path.read_text())
    config["redis"] = {"url": f"redis://127.0.0.1:{stack.ports.redis}/1"}
    keys = {"access_key_id": "testing", "secret_access_key": "testing"}
    down = {"name": "down", "endpoint_url": "http://127.0.0.1:1", "max_attempts": 1, **keys}
    config["aws"]["accounts"].append({**down, "regions": ["eu-west-1"]})
    locked = {"access_key_id": "LOCKED", "secret_access_key": "x", "endpoint_url": proxy.url}
    config["aws"]["accounts"].append({"name": "locked", "regions": ["eu-west-1"], **locked})
    # A retry waits long enough to be seen waiting.
    config["tasks"].update(min_backoff_ms=60_000, max_backoff_ms=60_000)
    path = tmp_path_factory.mktemp("task-admin") / "inventory.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def admin_runtime(admin_config: Path, estate, migrated) -> Iterator[Runtime]:
    rt = Runtime(Settings(**yaml.safe_load(admin_config.read_text())))
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def admin_api(admin_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(admin_runtime.settings)) as client:
        yield client


@pytest.fixture
def admin(
    stack: Stack, admin_config: Path, admin_runtime: Runtime, admin_api: TestClient, proxy
) -> Iterator[Admin]:
    admin_runtime.redis.flushdb()
    proxy.bad_keys.add("LOCKED")
    yield Admin(
        stack,
        admin_config,
        admin_runtime,
        admin_api,
        proxy,
        {"Authorization": f"Bearer {stack.secrets.read_token}"},
        {"Authorization": f"Bearer {stack.secrets.admin_token}"},
    )
    proxy.denied.clear()
    proxy.delays.clear()
    proxy.bad_keys.discard("LOCKED")


def graphql(a: Admin, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    reply = a.api.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


# --- cancel ----------------------------------------------------------------------------


def test_cancel_takes_pending_messages_off_the_queue_so_no_worker_runs_them(
    admin: Admin,
) -> None:
    by_cli = admin.enqueue("aux:housekeeper", QUICK, "low")
    by_api = admin.enqueue("aux:housekeeper", QUICK, "low")
    assert admin.messages(IDLE)["queued"] == 2

    assert f"{by_cli}: cancelled: removed from {IDLE}" in admin.cli("task", "cancel", by_cli)
    reply = admin.api.post(f"/api/v1/tasks/{by_api}/cancel", headers=admin.admin)
    assert reply.status_code == 200 and reply.json()["state"] == "cancelled", reply.text
    assert admin.messages(IDLE)["queued"] == admin.messages(IDLE)["queued data"] == 0

    with admin.worker(IDLE):
        after = admin.enqueue("aux:housekeeper", QUICK, "low")
        admin.wait(after, "succeeded")
    for task_id in (by_cli, by_api):
        record = admin.rt.records.get(task_id)
        assert record["state"] == "cancelled" and record["started_at"] is None
        assert record["attempts"] == 0


def test_cancel_interrupts_a_running_task_and_skips_one_its_worker_already_fetched(
    admin: Admin,
) -> None:
    admin.proxy.delays[SLOW_CALLS] = 10
    with admin.worker(IDLE):
        running = admin.enqueue("aws:collect-vpcs", SCOPE, "low")
        fetched = admin.enqueue("aux:housekeeper", QUICK, "low")
        admin.wait(running, "active")
        # The worker's one thread runs the first; it has fetched the second as well.
        wait_until(lambda: admin.stats(IDLE)["active"] == 2, 10, "the prefetch")
        assert admin.rt.records.get(fetched)["state"] == "pending"

        refused = admin.api.delete(f"/api/v1/tasks/{running}", headers=admin.admin)
        assert refused.status_code == 409 and "cancel it instead" in refused.json()["detail"]
        # The fetched one first: the running one holds the thread for ten seconds yet.
        assert f"{fetched}: cancelling" in admin.cli("task", "cancel", fetched)
        reply = admin.api.post(f"/api/v1/tasks/{running}/cancel", headers=admin.admin)
        assert reply.status_code == 200 and reply.json()["state"] == "cancelling", reply.text

        stopped = admin.wait(running, *FINAL, timeout=30)
        skipped = admin.wait(fetched, *FINAL, timeout=30)
        time.sleep(2)  # time enough for a retry, if there were one
        assert stopped["state"] == "cancelled" and stopped["cancel_requested_at"]
        assert skipped["state"] == "cancelled" and skipped["started_at"] is None
        assert admin.rt.records.get(running)["attempts"] == 1
        assert admin.rt.records.get(running)["state"] == "cancelled"
        assert set(admin.messages(IDLE).values()) == {0}
        assert admin.stats(IDLE)["active"] == 0


# --- delete and retry ------------------------------------------------------------------


def test_delete_removes_pending_and_dead_messages_and_keeps_their_records(
    admin: Admin,
) -> None:
    pending = admin.enqueue("aux:housekeeper", QUICK, "low")
    with admin.worker(BUSY):
        dead = admin.enqueue("aws:collect-vpcs", LOCKED, "default")
        assert "InvalidClientTokenId" in admin.wait(dead, "failed")["error"]
    assert admin.messages(BUSY)["dead"] == admin.messages(BUSY)["dead data"] == 1

    assert f"{pending}: deleted" in admin.cli("task", "delete", pending)
    assert admin.messages(IDLE)["queued"] == admin.messages(IDLE)["queued data"] == 0
    reply = admin.api.delete(f"/api/v1/tasks/{dead}", headers=admin.admin)
    assert reply.status_code == 200 and reply.json()["state"] == "deleted", reply.text
    assert admin.messages(BUSY)["dead"] == admin.messages(BUSY)["dead data"] == 0

    for task_id in (pending, dead):
        assert admin.rt.records.get(task_id)["state"] == "deleted"
    again = admin.api.delete(f"/api/v1/tasks/{dead}", headers=admin.admin)
    assert again.status_code == 409 and "is deleted" in again.json()["detail"]
    assert "is deleted" in admin.cli_error("task", "delete", pending)


def test_retry_from_the_dead_letters_runs_a_failed_task_again(admin: Admin) -> None:
    admin.proxy.denied.add(SLOW_CALLS)
    with admin.worker(BUSY):
        healed = admin.enqueue("aws:collect-vpcs", SCOPE, "default")
        assert "UnauthorizedOperation" in admin.wait(healed, "failed")["error"]
        hopeless = admin.enqueue("aws:collect-vpcs", LOCKED, "default")
        admin.wait(hopeless, "failed")
        assert admin.messages(BUSY)["dead"] == 2

        admin.proxy.denied.clear()
        assert f"{healed}: pending" in admin.cli("task", "retry", healed)
        record = admin.wait(healed, "succeeded", "failed")
        assert record["state"] == "succeeded" and record["result"]["nodes_written"] > 0

        reply = admin.api.post(f"/api/v1/tasks/{hopeless}/retry", headers=admin.admin)
        assert reply.status_code == 200 and reply.json()["state"] == "pending", reply.text
        record = admin.wait(hopeless, "failed")
        assert record["attempts"] == 1  # its retries start again
        assert admin.messages(BUSY)["dead"] == 1  # back in the dead letters, once

    done = admin.api.post(f"/api/v1/tasks/{healed}/retry", headers=admin.admin)
    assert done.status_code == 409 and "only a failed one" in done.json()["detail"]
    # Its dead message gone (expired): refused, and the record not touched.
    before = admin.rt.records.get(hopeless)
    r, dead = admin.rt.broker.client, f"dramatiq:{BUSY}.XQ"
    r.zrem(dead, before["redis_message_id"])
    gone = admin.api.post(f"/api/v1/tasks/{hopeless}/retry", headers=admin.admin)
    assert gone.status_code == 409 and "no longer in the dead letters" in gone.json()["detail"]
    assert admin.rt.records.get(hopeless) == before
    assert admin.messages(BUSY)["queued"] == 0


# --- stats -----------------------------------------------------------------------------


def test_stats_count_every_state_from_the_broker_and_the_records(admin: Admin) -> None:
    waiting = [admin.enqueue("aux:housekeeper", QUICK, "low") for _ in range(3)]
    admin.rt.queues.cancel(waiting[0])
    admin.rt.queues.delete(waiting[1])
    admin.proxy.delays[SLOW_CALLS] = 20
    with admin.worker(BUSY):
        admin.wait(admin.enqueue("aws:collect-vpcs", LOCKED, "default"), "failed")
        admin.wait(admin.enqueue("aws:collect-vpcs", UNREACHABLE, "default"), "delayed")
        admin.wait(admin.enqueue("aux:housekeeper", QUICK, "default"), "succeeded")
        slow = admin.enqueue("aws:collect-vpcs", SCOPE, "default")
        admin.wait(slow, "active")

        zero = dict.fromkeys(STATES, 0)
        want = {
            "inventory.high": zero,
            IDLE: {**zero, "pending": 1, "cancelled": 1, "deleted": 1},
            BUSY: {**zero, "delayed": 1, "active": 1, "succeeded": 1, "failed": 1},
        }
        total = {s: sum(q[s] for q in want.values()) for s in STATES}
        assert json.loads(admin.cli("task", "stats", "--json")) == {
            "states": total,
            "queues": want,
        }
        reply = admin.api.get("/api/v1/tasks/stats", headers=admin.read)
        assert reply.status_code == 200 and reply.json() == {"states": total, "queues": want}
        table = admin.cli("task", "stats").splitlines()
        assert table[0].split() == ["queue", *STATES]
        assert table[-1].split() == ["all", *map(str, total.values())]
        query = "{ taskStats { total { pending delayed active succeeded skipped failed cancelled "
        query += "deleted } queues { queue counts { active } } } }"
        data = graphql(admin, query, admin.read)["data"]["taskStats"]
        assert data["total"] == total
        assert {q["queue"]: q["counts"]["active"] for q in data["queues"]}[BUSY] == 1
        admin.proxy.delays.clear()
        admin.rt.queues.cancel(slow)
        admin.wait(slow, "cancelled")


# --- refusals --------------------------------------------------------------------------


def test_task_operations_need_admin_and_refuse_unknown_ids_and_wrong_states(
    admin: Admin,
) -> None:
    task_id = admin.enqueue("aux:housekeeper", QUICK, "low")
    operations = [("post", "/cancel"), ("delete", ""), ("post", "/retry")]
    for method, suffix in operations:
        url = f"/api/v1/tasks/{task_id}{suffix}"
        assert getattr(admin.api, method)(url, headers=admin.read).status_code == 403
        unknown = getattr(admin.api, method)(f"/api/v1/tasks/nope{suffix}", headers=admin.admin)
        assert unknown.status_code == 404 and "no task nope" in unknown.json()["detail"]
    wrong = admin.api.post(f"/api/v1/tasks/{task_id}/retry", headers=admin.admin)
    assert wrong.status_code == 409 and "is pending" in wrong.json()["detail"]

    denied = graphql(admin, f'mutation {{ cancelTask(id: "{task_id}") {{ state }} }}', admin.read)
    assert "admin access" in denied["errors"][0]["message"]
    assert admin.rt.records.get(task_id)["state"] == "pending"

    for operation in ("cancel", "delete", "retry"):
        assert "no task no-such-id" in admin.cli_error("task", operation, "no-such-id")
    assert "only a failed one can be retried" in admin.cli_error("task", "retry", task_id)


def test_graphql_enqueues_lists_cancels_deletes_and_retries_tasks(admin: Admin) -> None:
    enqueue_task = """mutation ($p: JSON) {
        enqueueTask(task: "aux:housekeeper", payload: $p, priority: LOW) { id queue state }
    }"""
    made = [
        graphql(admin, enqueue_task, admin.admin, p=QUICK)["data"]["enqueueTask"] for _ in range(2)
    ]
    assert [(m["queue"], m["state"]) for m in made] == [(IDLE, "pending")] * 2
    first, second = (m["id"] for m in made)

    listed = graphql(
        admin, '{ tasks(state: "pending", queue: "inventory.low") { id payload } }', admin.read
    )["data"]["tasks"]
    assert {t["id"] for t in listed} == {first, second} and listed[0]["payload"] == QUICK
    one = graphql(admin, f'{{ task(id: "{first}") {{ task state }} }}', admin.read)["data"]
    assert one["task"] == {"task": "aux:housekeeper", "state": "pending"}

    def mutate(name: str, task_id: str) -> dict[str, Any]:
        return graphql(admin, f'mutation {{ {name}(id: "{task_id}") {{ state }} }}', admin.admin)

    assert mutate("cancelTask", first)["data"]["cancelTask"]["state"] == "cancelled"
    assert mutate("deleteTask", second)["data"]["deleteTask"]["state"] == "deleted"
    assert "only a failed one" in mutate("retryTask", first)["errors"][0]["message"]
    bad = graphql(admin, enqueue_task, admin.admin, p={"colour": "red"})
    assert "colour: unknown key" in bad["errors"][0]["message"]
    assert admin.messages(IDLE)["queued"] == 0


# --- dashboard -------------------------------------------------------------------------


def test_dashboard_serves_dramatiq_2_to_the_admin_token_only(admin: Admin) -> None:
    admin.enqueue("aux:housekeeper", QUICK, "low")
    api = admin.api
    api.cookies.clear()
    assert api.get("/dashboard/", follow_redirects=False).headers["location"] == "/dashboard/login"
    assert api.get("/dashboard/", headers=admin.read).status_code == 403

    page = api.get("/dashboard/", headers=admin.admin)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for queue in ("inventory.high", BUSY, IDLE):
        assert queue in page.text
    queue_page = api.get(f"/dashboard/queues/{IDLE}", headers=admin.admin)
    assert queue_page.status_code == 200 and "aux:housekeeper" in queue_page.text


def test_dashboard_login_is_a_form_with_a_session_that_expires_and_ends(admin: Admin) -> None:
    api = admin.api
    api.cookies.clear()
    form = api.get("/dashboard/login")
    assert form.status_code == 200 and 'type="password" name="token"' in form.text
    assert api.post("/dashboard/login", data={"token": "nope" * 8}).status_code == 401
    read = admin.read["Authorization"].split()[1]
    assert api.post("/dashboard/login", data={"token": read}).status_code == 403

    token = admin.admin["Authorization"].split()[1]
    login = api.post("/dashboard/login", data={"token": token}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/dashboard/"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and token not in cookie
    lifetime = admin.rt.settings.api.dashboard_session_s
    assert f"Max-Age={lifetime}" in cookie  # it expires, 8 hours by default
    assert api.get(f"/dashboard/queues/{IDLE}").status_code == 200  # the session lets it in
    session = api.cookies["inventory_dashboard"]
    key = next(admin.rt.redis.scan_iter(match="*:dashboard:session:*"))
    assert 0 < admin.rt.redis.ttl(key) <= lifetime and session not in key

    out = api.get("/dashboard/logout", follow_redirects=False)
    assert out.status_code == 303
    api.cookies.set("inventory_dashboard", session, path="/dashboard")  # a stolen copy
    assert api.get("/dashboard/", follow_redirects=False).status_code == 303  # ended for good
