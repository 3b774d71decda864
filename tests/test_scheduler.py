"""The scheduler: fire times, `schedule list`, and two real schedulers on real Redis, the
leader killed: every firing is enqueued exactly once, after the kill by the other one."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import ScheduleConfig, SchedulerConfig, Settings
from dev.stack import Stack, wait_until
from tests.helpers import cli, config_with, json_lines
from worker.runtime import Runtime
from worker.scheduler import Scheduler, fire_times, lease_key, next_run

LEASE_S = 3
INTERVAL_S = 2


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_fire_times_are_the_nominal_times_in_the_window() -> None:
    every_2s = ScheduleConfig(name="a", task="aux:housekeeper", interval_s=2)
    window = fire_times(every_2s, at("2030-01-01T10:00:00.5"), at("2030-01-01T10:00:06"))
    assert window == [
        at("2030-01-01T10:00:02"),
        at("2030-01-01T10:00:04"),
        at("2030-01-01T10:00:06"),
    ]
    quarterly = ScheduleConfig(name="b", task="aux:housekeeper", cron="*/15 * * * *")
    window = fire_times(quarterly, at("2030-01-01T10:00:00"), at("2030-01-01T10:31:00"))
    assert window == [at("2030-01-01T10:15:00"), at("2030-01-01T10:30:00")]  # start excluded


def test_next_run_is_the_same_for_every_process() -> None:
    # Intervals count from a fixed origin, not from when a process started.
    every_10m = ScheduleConfig(name="a", task="aux:housekeeper", interval_s=600)
    assert next_run(every_10m, at("2030-01-01T10:03:00")) == at("2030-01-01T10:10:00")
    nightly = ScheduleConfig(name="b", task="aux:housekeeper", cron="30 3 * * *")
    assert next_run(nightly, at("2030-01-01T04:00:00")) == at("2030-01-02T03:30:00")


def test_schedule_list_shows_each_schedule_and_its_next_run(
    config_path: Path, tmp_path: Path
) -> None:
    schedules = [
        {"name": "often", "task": "aws:collect-vpcs", "interval_s": 600, "priority": "high"},
        {"name": "nightly", "task": "aux:housekeeper", "cron": "30 3 * * *"},
    ]
    config = config_with(config_path, tmp_path / "c.yaml", schedules=schedules)
    text = cli("schedule", "list", config=config)
    assert text.returncode == 0, text.stderr
    often, nightly = text.stdout.splitlines()
    assert often.split()[:4] == ["often", "aws:collect-vpcs", "every", "600s"]
    assert "priority high" in often and "30 3 * * *" in nightly
    rows = json.loads(cli("schedule", "list", "--json", config=config).stdout)
    soon = datetime.fromisoformat(rows[0]["next_run"]) - datetime.now(UTC)
    assert timedelta(0) < soon <= timedelta(seconds=600)
    assert rows[1]["next_run"].endswith("T03:30:00.000Z")


def test_api_lists_each_schedule_its_next_run_and_the_leader(
    settings: Settings, stack: Stack
) -> None:
    nightly = ScheduleConfig(name="nightly", task="aux:housekeeper", cron="30 3 * * *")
    app = create_app(settings.model_copy(update={"schedules": [nightly]}))
    with TestClient(app) as c:
        assert c.get("/api/v1/schedules").status_code == 401
        reply = c.get(
            "/api/v1/schedules", headers={"Authorization": f"Bearer {stack.secrets.read_token}"}
        )
    assert reply.status_code == 200
    body = reply.json()
    assert body["leader"] is None  # no scheduler runs
    assert [(s["name"], s["task"], s["cron"]) for s in body["items"]] == [
        ("nightly", "aux:housekeeper", "30 3 * * *")
    ]
    assert body["items"][0]["next_run"].endswith("T03:30:00.000Z")


def identity(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}"


def fired(rt: Runtime, schedule: str) -> dict[datetime, str]:
    """The claim keys of ``schedule``: fire time -> task id."""
    prefix = f"{rt.settings.redis.namespace}:scheduler:fired:{schedule}:"
    for _ in range(20):
        keys = sorted(rt.redis.scan_iter(match=prefix + "*"))
        claims = dict(zip(keys, rt.redis.mget(keys), strict=True))
        # A claim holds the claimer's host:pid until its enqueue returns the task id.
        if not any(":" in value for value in claims.values()):
            break
        time.sleep(0.1)
    return {datetime.fromisoformat(k.removeprefix(prefix)): v for k, v in claims.items()}


def by_process(stack: Stack, *names: str) -> dict[str, str]:
    """Task id -> the scheduler that logged enqueueing it."""
    out: dict[str, str] = {}
    for name in names:
        for line in json_lines(stack.home / f"{name}.log"):
            if "fire_time" in line:
                assert line["task_id"] not in out, f"{line['task_id']} enqueued twice"
                out[line["task_id"]] = name
    return out


def assert_each_firing_once(rt: Runtime, schedule: str, payload: dict) -> dict[datetime, str]:
    claims = fired(rt, schedule)
    records = [r for r in rt.records.recent(1000) if r["payload"] == payload]
    # The schedulers go on firing meanwhile: a firing claimed after the claims were read
    # may have its record already, so the claims are read again to know it.
    later = fired(rt, schedule)
    times = sorted(later)
    assert times == [times[0] + timedelta(seconds=INTERVAL_S * i) for i in range(len(times))]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    # One enqueue each: every firing claimed has its record, every record its claim.
    assert set(claims.values()) <= set(ids) <= set(later.values())
    assert all(r["task"] == "aux:housekeeper" and r["queue"] == "inventory.low" for r in records)
    return later


def test_two_schedulers_enqueue_each_firing_once_and_the_survivor_takes_over(
    stack: Stack, config_path: Path, runtime: Runtime, tmp_path: Path
) -> None:
    name = f"tick-{uuid.uuid4().hex[:8]}"
    # A housekeeper that keeps years removes nothing: cheap, and harmless to any test.
    payload = {"retention_days": 2000 + uuid.uuid4().int % 1600}
    schedule = {"name": name, "task": "aux:housekeeper", "interval_s": INTERVAL_S}
    config = config_with(
        config_path,
        tmp_path / "schedulers.yaml",
        schedules=[{**schedule, "payload": payload, "priority": "low"}],
        scheduler={"lease_s": LEASE_S},
    )
    lease = lease_key(runtime.settings.redis.namespace)
    runtime.redis.delete(lease)
    pids = {}
    for proc in ("scheduler-a", "scheduler-b"):
        service = stack.scheduler(proc)
        service.env["INVENTORY_CONFIG"] = str(config)
        pids[proc] = stack.start(service)
        if proc == "scheduler-a":  # a leads: it started first
            wait_until(lambda: runtime.redis.get(lease) == identity(pids["scheduler-a"]), 15, "a")
    try:
        time.sleep(4 * INTERVAL_S)
        before = assert_each_firing_once(runtime, name, payload)
        assert len(before) >= 3
        assert set(by_process(stack, "scheduler-a", "scheduler-b").values()) == {"scheduler-a"}

        os.killpg(pids["scheduler-a"], signal.SIGKILL)
        killed, killed_at = time.monotonic(), datetime.now(UTC)
        wait_until(
            lambda: runtime.redis.get(lease) == identity(pids["scheduler-b"]), 2 * LEASE_S, "b"
        )
        takeover = time.monotonic() - killed
        print(f"takeover {takeover:.2f}s after SIGKILL (lease {LEASE_S}s)")
        assert takeover <= LEASE_S + 1

        time.sleep(4 * INTERVAL_S)
        after = assert_each_firing_once(runtime, name, payload)
        assert max(after) >= datetime.now(UTC) - timedelta(seconds=INTERVAL_S + 1)
        # Every firing since the kill came from the survivor, including any the dead
        # leader had not got to; none is missing and none came twice (checked above).
        new = {t: task for t, task in after.items() if t > killed_at}
        enqueued_by = by_process(stack, "scheduler-a", "scheduler-b")
        assert new and {enqueued_by.get(task) for task in new.values()} == {"scheduler-b"}

        metrics = httpx.get(
            f"http://127.0.0.1:{stack.metrics_port('scheduler-b')}/metrics", timeout=60
        ).text
        assert "inventory_scheduler_leader 1.0" in metrics
        assert f'inventory_scheduler_firings_total{{schedule="{name}"}}' in metrics
    finally:
        stack.stop("scheduler-a")
        stack.stop("scheduler-b")
    assert runtime.redis.get(lease) is None  # a scheduler stopped gracefully hands over


@pytest.fixture
def in_process(runtime: Runtime) -> Iterator[Callable[..., Any]]:
    yield functools.partial(_in_process, runtime)
    dramatiq.set_broker(runtime.broker)  # a new runtime made its broker Dramatiq's global one


def _in_process(runtime: Runtime, interval_s: int) -> tuple[Runtime, ScheduleConfig, Counter]:
    """A runtime with one schedule of its own and a two-second lease, for schedulers run
    in this process (so that a test can break one between two steps); and a count of the
    messages its broker enqueued, by id."""
    name = f"once-{uuid.uuid4().hex[:8]}"
    payload = {"retention_days": 2000 + uuid.uuid4().int % 1600}
    schedule = ScheduleConfig(
        name=name, task="aux:housekeeper", interval_s=interval_s, payload=payload
    )
    settings = runtime.settings.model_copy(
        update={"schedules": [schedule], "scheduler": SchedulerConfig(lease_s=2)}
    )
    rt = Runtime(settings)
    rt.redis.delete(lease_key(settings.redis.namespace))
    sent: Counter[str] = Counter()
    enqueue = rt.broker.enqueue

    def counted(message: Any, **options: Any) -> Any:
        out = enqueue(message, **options)
        sent[message.message_id] += 1
        return out

    rt.broker.enqueue = counted  # type: ignore[method-assign]
    return rt, schedule, sent


def _just_after_a_firing(schedule: ScheduleConfig) -> datetime:
    """Wait until a fire time has just passed; that fire time."""
    now = datetime.now(UTC)
    at = next_run(schedule, now)
    assert at is not None
    time.sleep((at - now).total_seconds() + 0.2)
    return at


def _ran_once(rt: Runtime, schedule: ScheduleConfig, task_id: str) -> None:
    wait_until(lambda: (rt.records.get(task_id) or {}).get("state") == "succeeded", 60, "it")
    records = [r for r in rt.records.recent(1000) if r["payload"] == schedule.payload]
    assert [r["id"] for r in records] == [task_id]


def test_a_firing_claimed_by_a_scheduler_that_died_before_enqueueing_runs_once(
    workers: Stack, in_process: Callable[..., Any]
) -> None:
    rt, schedule, sent = in_process(interval_s=20)
    dying = Scheduler(rt, identity="dying")

    class Died(BaseException):
        pass

    def die(*_: object) -> None:  # the fault hook: the process ends between claim and enqueue
        raise Died

    dying._enqueue = die  # type: ignore[method-assign]
    at = _just_after_a_firing(schedule)
    with pytest.raises(Died):
        dying.hold_lease()  # it leads, claims the firing, and dies
    claim = fired(rt, schedule.name)
    assert list(claim) == [at]
    task_id = claim[at]
    assert not rt.queues.reached(task_id) and not sent

    successor = Scheduler(rt, identity="successor")
    wait_until(successor.hold_lease, 10, "the successor to take the lease over")
    _ran_once(rt, schedule, task_id)
    for _ in range(3):  # later rounds leave it be
        successor.fire(schedule)
    assert sent == {task_id: 1}
    assert fired(rt, schedule.name) == {at: task_id}
    successor.resign()


def test_an_enqueue_that_fails_after_its_message_got_through_is_not_repeated(
    workers: Stack, in_process: Callable[..., Any]
) -> None:
    rt, schedule, sent = in_process(interval_s=20)
    enqueue = rt.broker.enqueue

    def lost_reply(message: Any, **options: Any) -> Any:
        enqueue(message, **options)  # the message is in Redis; the reply never comes
        raise redis.exceptions.TimeoutError("Timeout reading from socket")

    rt.broker.enqueue = lost_reply  # type: ignore[method-assign]
    scheduler = Scheduler(rt, identity="unlucky")
    at = _just_after_a_firing(schedule)
    assert scheduler.hold_lease()
    rt.broker.enqueue = enqueue  # type: ignore[method-assign]
    task_id = fired(rt, schedule.name)[at]
    for _ in range(3):  # later rounds see the firing enqueued and leave it
        scheduler.fire(schedule)
    _ran_once(rt, schedule, task_id)
    assert sent == {task_id: 1}
    scheduler.resign()
