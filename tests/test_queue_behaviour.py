"""The queue under pressure, with real Redis and worker processes: priority, a worker
killed or stopped mid-task, and Redis restarted with messages pending.

These run on a Redis server of their own, so the suite's workers never see their messages.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dramatiq
import pytest
import yaml

from app.config import Settings, pool_queues
from dev.demo import aws as demo
from dev.stack import Ports, Secrets, Service, Stack, wait_until
from tests.actors import declare, send
from tests.conftest import TEST_PORTS
from tests.faultproxy import FaultProxy
from tests.helpers import moto_instances
from worker.records import FINAL
from worker.runtime import Runtime

OWN = Ports(**{k: getattr(TEST_PORTS, k) + 70 for k in ("api", "bolt", "http", "redis", "moto")})


class Pipeline:
    """A Redis of our own, a config pointing at it, and worker processes on demand."""

    def __init__(self, stack: Stack, config: Path, rt: Runtime) -> None:
        self.stack, self.config, self.rt = stack, config, rt

    def worker(self, name: str, *queues: str, threads: int = 4, module: str = "worker.main") -> int:
        argv = [sys.executable, "-m", "dramatiq", module, "--processes", "1",
                "--threads", str(threads), "--queues", *queues]  # fmt: skip
        env = {"INVENTORY_CONFIG": str(self.config), "dramatiq_worker_timeout": "50"}
        service = Service(name, argv, lambda: True, env)
        pid = self.stack.start(service)
        time.sleep(2.5)  # the forked worker process imports the app and starts consuming
        return pid

    def records(self, ids: list[str]) -> list[dict]:
        return self.rt.records.many(ids)

    def wait(
        self, ids: list[str], timeout: float, done: Callable[[dict], bool] | None = None
    ) -> list[dict]:
        done = done or (lambda r: r["state"] in FINAL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.records(ids)
            if len(rows) == len(ids) and all(done(r) for r in rows):
                return rows
            time.sleep(0.2)
        states = sorted(r["state"] for r in self.records(ids))
        raise AssertionError(f"not done after {timeout}s: {states[:10]}…")


@pytest.fixture(scope="module")
def pipeline(
    stack: Stack, config_path: Path, proxy: FaultProxy, migrated: Runtime, estate
) -> Iterator[Pipeline]:
    own = Stack(stack.home / "queue-tests", OWN, Secrets())
    own.start(own.redis())
    config = yaml.safe_load(config_path.read_text())
    config["redis"]["url"] = f"redis://127.0.0.1:{OWN.redis}/0"
    config["tasks"] = {**config.get("tasks", {}), "heartbeat_timeout_s": 5}
    path = own.home / "inventory.yaml"
    path.write_text(yaml.safe_dump(config))
    previous = os.environ["INVENTORY_CONFIG"]
    os.environ["INVENTORY_CONFIG"] = str(path)
    rt = Runtime(Settings())
    declare(rt.broker)
    os.environ["INVENTORY_CONFIG"] = previous
    yield Pipeline(own, path, rt)
    own.stop_all()
    dramatiq.set_broker(migrated.broker)  # Dramatiq's global broker back to the suite's
    rt.close()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def latencies(rows: list[dict]) -> list[float]:
    return [r["started_at"] - r["created_at"] for r in rows]


def test_high_overtakes_a_backlog_of_low(pipeline: Pipeline) -> None:
    broker = pipeline.rt.broker
    pipeline.worker("low", "inventory.low", module="tests.actors_worker")
    pipeline.worker("high", "inventory.high", module="tests.actors_worker")
    try:
        quiet = [send(broker, "test:sleep", {"ms": 50}, "inventory.high") for _ in range(20)]
        base = p99(latencies(pipeline.wait(quiet, 60)))

        backlog = [send(broker, "test:sleep", {"ms": 50}, "inventory.low") for _ in range(1000)]
        pipeline.wait(backlog[:1], 30, lambda r: r["state"] != "pending")
        urgent = [send(broker, "test:sleep", {"ms": 50}, "inventory.high") for _ in range(20)]
        loaded = p99(latencies(pipeline.wait(urgent, 60)))
        low_done = sum(r["state"] == "succeeded" for r in pipeline.records(backlog))
    finally:
        pipeline.stack.stop("low")
        pipeline.stack.stop("high")
        pipeline.rt.broker.flush_all()
    print(
        f"\nhigh p99 enqueue-to-start: {base * 1000:.0f} ms quiet, "
        f"{loaded * 1000:.0f} ms behind 1,000 low; low done meanwhile: {low_done}"
    )
    assert low_done < 500  # the backlog was still there when the high work ran ...
    assert loaded <= 2 * base  # ... and did not slow it down past twice the quiet latency


def _slow_collect(pipeline: Pipeline, proxy: FaultProxy, delay: float) -> str:
    proxy.delays[("us-east-1", "ec2")] = delay
    return pipeline.rt.enqueue(
        "aws:collect-instances",
        {"account": "demo-main", "region": "us-east-1"},
        "default",
    )


def _instances_in_graph(rt: Runtime) -> dict[str, int]:
    records, _, _ = rt.driver.execute_query(
        "MATCH (i:AWSInstance {account_id: $a, region: 'us-east-1'}) "
        "OPTIONAL MATCH (i)<-[r:HAS_INSTANCE]-() RETURN i.uid AS i, count(r) AS links",
        a=demo.MAIN_ACCOUNT,
    )
    return {r["i"]: r["links"] for r in records}


def test_a_killed_worker_loses_nothing(
    pipeline: Pipeline, proxy: FaultProxy, migrated: Runtime, moto_url: str
) -> None:
    migrated.driver.execute_query("MATCH (i:AWSInstance {region: 'us-east-1'}) DETACH DELETE i")
    doomed = pipeline.worker("doomed", "inventory.default")
    task = _slow_collect(pipeline, proxy, 4)
    try:
        pipeline.wait([task], 30, lambda r: r["state"] == "active")
        os.killpg(doomed, signal.SIGKILL)
        pipeline.stack.procs.pop("doomed").wait()
        proxy.delays.clear()
        pipeline.worker("rescuer", "inventory.default")
        # Redelivered once the dead worker's heartbeat is older than heartbeat_timeout_s.
        [record] = pipeline.wait([task], 180)
    finally:
        proxy.delays.clear()
        pipeline.stack.stop("rescuer")
    assert record["state"] == "succeeded"
    live = {
        i
        for i, (a, r, _) in moto_instances(moto_url).items()
        if a == demo.MAIN_ACCOUNT and r == "us-east-1"
    }
    found = _instances_in_graph(migrated)
    assert set(found) == live  # every instance, once (uid is unique) ...
    assert record["result"]["nodes_written"] == len(live)


def test_sigterm_lets_the_running_task_finish_and_hands_back_the_rest(
    pipeline: Pipeline, proxy: FaultProxy
) -> None:
    broker = pipeline.rt.broker
    pid = pipeline.worker("draining", "inventory.default", threads=1, module="tests.actors_worker")
    running = _slow_collect(pipeline, proxy, 3)
    try:
        pipeline.wait([running], 30, lambda r: r["state"] == "active")
        queued = [send(broker, "test:noop", {}, "inventory.default") for _ in range(5)]
        started = time.monotonic()
        os.kill(pid, signal.SIGTERM)  # as a process manager does: the main process only
        code = pipeline.stack.procs.pop("draining").wait(timeout=120)
        took = time.monotonic() - started
        assert pipeline.records([running])[0]["state"] == "succeeded"  # finished, not dropped
        assert code == 0 and took < 60
        pipeline.worker("after", "inventory.default", module="tests.actors_worker")
        rows = pipeline.wait(queued, 60)
    finally:
        proxy.delays.clear()
        pipeline.stack.stop("after")
    assert all(r["state"] == "succeeded" for r in rows)


def test_messages_survive_a_redis_restart(pipeline: Pipeline) -> None:
    broker = pipeline.rt.broker
    ids = [send(broker, "test:noop", {"n": n}, "inventory.low") for n in range(300)]
    pipeline.stack.stop("redis")  # SIGTERM: Redis writes its append-only file and exits
    pipeline.stack.start(pipeline.stack.redis())
    pipeline.worker("survivor", "inventory.low", module="tests.actors_worker")
    try:
        rows = pipeline.wait(ids, 120)
    finally:
        pipeline.stack.stop("survivor")
    assert len(rows) == 300 and all(r["state"] == "succeeded" for r in rows)


def test_queues_find_messages_where_dramatiqs_own_dispatch_script_puts_them(
    pipeline: Pipeline,
) -> None:
    """worker.queues reads Dramatiq's Redis layout itself (docs/internals.md): here
    Dramatiq's own consumer moves messages through it with the real dispatch.lua (fetch,
    ack, nack, a delay queue), and Queues counts, retries and deletes them where they are."""
    rt, broker = pipeline.rt, pipeline.rt.broker
    queue = f"probe-{uuid.uuid4().hex[:8]}"  # no worker reads it; no record counts yet
    broker.declare_queue(queue)

    def counts() -> dict[str, int]:
        return {k: v for k, v in rt.queues.stats()["queues"][queue].items() if v}

    held = [send(broker, "test:noop", {"n": n}, queue) for n in range(3)]
    assert counts() == {"pending": 3} and rt.queues.reached(held[0])
    consumer = broker.consume(queue, prefetch=3, timeout=100)
    fetched = [next(consumer) for _ in held]  # one fetch of all three
    assert [m.message_id for m in fetched] == held
    assert counts() == {"active": 3}  # in this broker's ack set, under its heartbeat
    consumer.ack(fetched[0])
    consumer.nack(fetched[1])
    assert counts() == {"active": 1, "failed": 1}

    rt.records.update(held[1], state="failed")  # as a worker's TaskRecords would
    rt.queues.retry(held[1])
    assert counts() == {"active": 1, "pending": 1}
    again = next(consumer)
    assert again.message_id == held[1]  # a new broker key, the same task
    assert again.options["redis_message_id"] != fetched[1].options["redis_message_id"]
    consumer.ack(again)
    consumer.nack(fetched[2])
    rt.records.update(held[2], state="failed")
    rt.queues.delete(held[2])
    assert counts() == {"deleted": 1}

    later = broker.get_actor("test:noop").message_with_options(args=({},)).copy(queue_name=queue)
    delayed = [broker.enqueue(later.copy(message_id=str(uuid.uuid4())), delay=3_600_000)]
    delayed.append(broker.enqueue(later, delay=3_600_000))
    assert counts() == {"delayed": 2, "deleted": 1} and rt.queues.reached(delayed[0].message_id)
    rt.queues.delete(delayed[0].message_id)
    assert counts() == {"delayed": 1, "deleted": 2}
    waiting = broker.consume(f"{queue}.DQ", prefetch=1, timeout=100)
    taken = next(waiting)
    assert taken.message_id == delayed[1].message_id
    assert counts() == {"delayed": 1, "deleted": 2}  # held by this broker: its Q.DQ acks
    waiting.ack(taken)
    assert counts() == {"deleted": 2}
    suffixes = ("", ".msgs", ".DQ", ".DQ.msgs", ".XQ", ".XQ.msgs")
    assert not broker.client.exists(*(broker.key(queue, s) for s in suffixes))


def _pid(record: dict) -> int:
    return int(record["worker"].rsplit(":", 1)[1])


def _pool_of(pid: int) -> int:
    """The pool (dramatiq's main process) a worker process belongs to."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])


def test_high_work_spreads_over_every_pool_while_low_waits(
    pipeline: Pipeline, proxy: FaultProxy
) -> None:
    """A pool per priority, each also taking the queues above its own: a high collection
    runs on more than the high pool's threads, and the low backlog never gets the high
    pool's."""
    broker = pipeline.rt.broker
    pools = {
        name: pipeline.worker(name, *pool_queues(name), threads=1, module="tests.actors_worker")
        for name in ("high", "default", "low")
    }
    for region in demo.REGIONS:  # provider calls take time, as they do
        proxy.delays[(region, "ec2")] = 0.3
    try:
        backlog = [send(broker, "test:sleep", {"ms": 400}, "inventory.low") for _ in range(60)]
        pipeline.wait(backlog[:1], 30, lambda r: r["state"] != "pending")
        # Every account: four scoped tasks at once, more than the high pool's one thread
        # prefetches (two), so some must go to another pool while it is busy.  With one
        # account's two, the high pool could take both and the test would pass by luck.
        root = pipeline.rt.enqueue("aws:collect-vpcs", {}, "high")
        tree = pipeline.rt.records.wait(root, timeout=180)
        assert tree is not None and all(r["state"] == "succeeded" for r in tree)
        low = pipeline.records(backlog)
        # While the pools run, to tell whose worker processes ran what.
        ran_on = {_pool_of(_pid(r)) for r in tree if r.get("worker")}
        low_ran_on = {_pool_of(_pid(r)) for r in low if r.get("worker")}
    finally:
        proxy.delays.clear()
        for name in pools:
            pipeline.stack.stop(name)
        broker.flush_all()
    assert len(ran_on) >= 2, ran_on  # more than the high pool's one thread
    assert ran_on <= set(pools.values())
    assert low_ran_on <= {pools["low"]}  # low work only ever on the low pool
    assert sum(r["state"] == "pending" for r in low) > 0  # and its backlog was still waiting


# Enqueues test:noop messages as fast as it can until killed.
_ENQUEUER = """
from app.config import Settings
from worker.runtime import Runtime
from tests.actors import declare, send

rt = Runtime(Settings())
declare(rt.broker)
while True:
    send(rt.broker, "test:noop", {"enqueuer": 1}, "inventory.low")
"""


def test_an_enqueuer_killed_mid_enqueue_leaves_no_record_without_its_message(
    pipeline: Pipeline,
) -> None:
    """A task record and its message are written together: a process killed while it
    fans out (a worker SIGKILLed) leaves both or neither.  A record whose message never
    reached Redis would stay pending and keep its task tree from ever ending."""
    r, ns = pipeline.rt.broker.client, pipeline.rt.broker.namespace
    queue = f"{ns}:inventory.low.msgs"
    records = pipeline.rt.records
    argv = [sys.executable, "-c", _ENQUEUER]
    env = {"INVENTORY_CONFIG": str(pipeline.config)}
    try:
        for n in range(8):  # a kill lands between the two writes about one time in three
            name = f"enqueuer-{n}"
            goal = r.hlen(queue) + 200
            pid = pipeline.stack.start(Service(name, argv, lambda: True, env))
            proc = pipeline.stack.procs[name]
            wait_until(lambda goal=goal: r.hlen(queue) >= goal, 60, "enqueueing", proc)
            time.sleep(random.random() / 20)
            os.kill(pid, signal.SIGKILL)
            pipeline.stack.procs.pop(name).wait()
        mine = [x for x in records.recent(1_000_000) if x["payload"] == {"enqueuer": 1}]
        queued = r.hgetall(queue).items()
        waiting = {key for key, data in queued if b'"enqueuer"' in data}
        keys = {x["redis_message_id"].encode() for x in mine}
    finally:
        pipeline.rt.broker.flush_all()
    assert len(mine) >= 8 * 200
    assert {x["state"] for x in mine} == {"pending"}
    assert keys == waiting  # no record without its message, and no message without a record
