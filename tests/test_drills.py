"""Fault drills during a full AWS collection, each ending with every task done and the
graph equal to the estate: Neo4j paused for 40 s, Redis restarted while a collection is
in flight, a worker SIGKILLed, and 30% of provider calls answered with throttling or 503.
And a worker SIGKILLed in the middle of a collection's write: its change records go with
its writes, and the redelivered message records each change once.

The drills run on a worker pool of their own, on a Redis database of their own, with the
product's default retry settings but a short heartbeat timeout (so that a killed worker's
messages come back within the test's patience)."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.config import Settings
from collectors import CATALOG
from dev.demo import aws as demo
from dev.demo import aws_truth
from dev.stack import Stack, wait_until
from dev.supervise import Supervisor
from tests.conftest import wipe
from tests.faultproxy import Call, FaultProxy
from tests.helpers import launch
from worker.records import DONE, FINAL
from worker.runtime import Runtime

AWS_LINKS = [lk for lk in CATALOG.links if CATALOG.by_label[lk.source].provider == "aws"]


@pytest.fixture(scope="module")
def drill(
    stack: Stack, config_path: Path, proxy: FaultProxy, migrated: Runtime, estate
) -> Iterator[tuple[Stack, Runtime, str]]:
    config = yaml.safe_load(config_path.read_text())
    config["redis"]["url"] = config["redis"]["url"].rsplit("/", 1)[0] + "/3"
    config["tasks"] = {"heartbeat_timeout_s": 10, "collection_lease_s": 10}
    config["vsphere"] = {"vcenters": []}
    path = stack.home / "drills.yaml"
    path.write_text(yaml.safe_dump(config))
    rt = Runtime(Settings(**config))
    yield stack, rt, str(path)
    rt.close()


def _worker(stack: Stack, config: str, name: str = "worker-drill") -> Callable[[], None]:
    """Start a worker pool; what stops it."""
    service = stack.inventory(name, "worker", "--metrics-port", "0")
    service.env["INVENTORY_CONFIG"] = config
    stack.start(service)
    return lambda: stack.stop(name)


def _collect_through(
    drill: tuple[Stack, Runtime, str],
    fault: Callable[[Stack, Runtime], None],
    moto_url: str,
    worker: Callable[[Stack, str], Callable[[], None]] = _worker,
) -> list[dict]:
    """Collect everything while ``fault`` happens; the task tree, once all of it ended."""
    stack, rt, config = drill
    wipe(rt)
    stop = worker(stack, config)
    try:
        root = rt.enqueue("aws:collect-all", {}, "high")
        fault(stack, rt)
        tree = rt.records.wait(root, timeout=600)
    finally:
        stop()
    if tree is None:
        unfinished = [
            (r["task"], r["state"], r["payload"])
            for r in rt.records.tree(root)
            if r["state"] not in FINAL
        ]
        pytest.fail(f"the collection did not end within 10 minutes; not final: {unfinished}")
    states = Counter(r["state"] for r in tree)
    assert set(states) <= DONE, {r["task"]: r["error"] for r in tree if r["state"] not in DONE}
    _graph_is_the_estate(rt, moto_url)
    return tree


def _graph_is_the_estate(rt: Runtime, moto_url: str) -> None:
    truth = aws_truth.read(moto_url)
    for label, want in truth.nodes.items():
        got, _, _ = rt.driver.execute_query(f"MATCH (n:{label}) RETURN collect(n.uid) AS u")
        assert set(got[0]["u"]) == want, label
    for lk in AWS_LINKS:
        query = f"MATCH (a:{lk.source})-[:{lk.type}]->(b:{lk.target}) RETURN a.uid AS a, b.uid AS b"
        got, _, _ = rt.driver.execute_query(query)
        assert {(r["a"], r["b"]) for r in got} == truth.links[(lk.source, lk.type, lk.target)]


def _when_busy(rt: Runtime, started: int = 3) -> None:
    """Wait until the collection is under way: some tasks have started."""
    wait_until(
        lambda: sum(1 for r in rt.records.recent(200) if r["state"] != "pending") >= started,
        60,
        "the collection to get under way",
    )


def test_neo4j_paused_for_40_seconds(drill, moto_url: str) -> None:
    def pause(stack: Stack, rt: Runtime) -> None:
        _when_busy(rt)
        group = os.getpgid(stack.procs["neo4j"].pid)
        os.killpg(group, signal.SIGSTOP)
        try:
            time.sleep(40)
        finally:
            os.killpg(group, signal.SIGCONT)

    _collect_through(drill, pause, moto_url)


class _HeldCall:
    """A proxy hook that holds the first provider call matching ``matches`` until
    ``released`` (for ``limit_s`` at most, within botocore's read timeout of 60 s): the
    collection making it is in flight for as long as a drill needs."""

    def __init__(self, matches: Callable[[Call], bool], limit_s: float = 45) -> None:
        self.matches = matches
        self.limit_s = limit_s
        self.holding = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, call: Call) -> None:
        with self._lock:
            if self.holding.is_set() or not self.matches(call):
                return
            self.holding.set()
        self.released.wait(self.limit_s)


def _in_flight(rt: Runtime, task: str) -> list[dict[str, Any]]:
    """The collections of ``task`` running now: active records holding their lease."""
    owners = set(rt.leases.holders().values())
    return [r for r in rt.records.many(owners) if r["task"] == task and r["state"] == "active"]


def test_redis_restarted_mid_collection(
    drill: tuple[Stack, Runtime, str], proxy: FaultProxy, moto_url: str
) -> None:
    """Redis stopped and started while a scoped collection is provably in flight: one of
    its provider calls is held at the proxy from before the stop until Redis is back, its
    task record active and its collection lease held.  It completes, on the Redis that
    came back, and so does every other task of the tree."""
    held = _HeldCall(lambda c: c.region == "us-east-1" and c.has("Action=DescribeInstances"))
    seen: dict[str, Any] = {}

    def restart(stack: Stack, rt: Runtime) -> None:
        wait_until(held.holding.is_set, 120, "a DescribeInstances call to be held")
        running = functools.partial(_in_flight, rt, "aws:collect-instances")
        wait_until(lambda: bool(running()), 60, "its collection to show active, lease held")
        seen["in_flight"], seen["stopped_at"] = running(), time.time()
        seen["run_ids"] = [rt.redis.info("server")["run_id"]]
        stack.stop("redis")  # SIGTERM: it writes its append-only file and stops
        stack.start(stack.redis())
        seen["back_at"], seen["leases"] = time.time(), rt.leases.holders()
        seen["run_ids"].append(rt.redis.info("server")["run_id"])
        held.released.set()

    proxy.hooks.append(held)
    try:
        tree = _collect_through(drill, restart, moto_url)
    finally:
        held.released.set()
        proxy.hooks.remove(held)
    by_id = {r["id"]: r for r in tree}
    spanned = [
        by_id[r["id"]]
        for r in seen["in_flight"]
        if by_id[r["id"]]["started_at"] < seen["stopped_at"]
        and by_id[r["id"]]["finished_at"] > seen["back_at"]
    ]
    # Another Redis process; a collection running before it stopped ended, done, after it
    # was back ...
    assert seen["run_ids"][0] != seen["run_ids"][1]
    assert spanned and all(r["state"] in DONE for r in spanned), seen
    print(_restart_story(spanned[0], seen))
    # ... and nothing is left waiting, held or dead in the broker.
    states = drill[1].queues.stats()["states"]
    assert not {s: states[s] for s in ("pending", "delayed", "active", "failed") if states[s]}


def _restart_story(record: dict[str, Any], seen: dict[str, Any]) -> str:
    """The drill's evidence, in a line."""
    before = seen["stopped_at"] - record["started_at"]
    down = seen["back_at"] - seen["stopped_at"]
    after = record["finished_at"] - seen["back_at"]
    kept = record["id"] in seen["leases"].values()
    return (
        f"\n{record['task']} {record['payload']}: started {before:.1f}s before Redis stopped, "
        f"which was back {down:.1f}s later; {record['state']} {after:.1f}s after that, in "
        f"{record['attempts']} attempt(s); its lease held after the restart: {kept}"
    )


def test_a_worker_killed_mid_collection(drill, proxy: FaultProxy, moto_url: str) -> None:
    cut_short: list[str] = []

    def kill(stack: Stack, rt: Runtime) -> None:
        # A scoped collection, which calls the provider: the fan-out tasks above it end
        # in milliseconds, and may well end before the kill.
        wait_until(
            lambda: any(
                r["state"] == "active" and r["task"].startswith("aws:collect-") and r["payload"]
                for r in rt.records.recent(200)
            ),
            60,
            "a scoped collection to be running",
        )
        os.killpg(stack.procs["worker-drill"].pid, signal.SIGKILL)
        proxy.delay = 0.0
        # Nothing else works on the drills' queues: what is still active was cut short.
        cut_short.extend(r["id"] for r in rt.records.recent(200) if r["state"] == "active")
        stack.stop("worker-drill")
        _, _, config = drill
        _worker(stack, config)  # the dead one's messages come back to this one

    # Calls as from a far endpoint, so that tasks are under way when the kill comes (with
    # moto's own pace, a task seen running could end before it).
    proxy.delay = 0.2
    try:
        tree = _collect_through(drill, kill, moto_url)
    finally:
        proxy.delay = 0.0
    by_id = {r["id"]: r for r in tree}
    assert cut_short and all(by_id[t]["state"] in DONE for t in cut_short if t in by_id)


# A part of the statement that writes instances, which no other statement has.
_INSTANCE_WRITE = "MERGE (n:AWSInstance {uid: row.uid})"
MAIN = {"account": "demo-main", "region": "us-east-1"}


def _instance_writes(rt: Runtime) -> list[str]:
    """The status of each open transaction writing instances ("Running", "Blocked by ...")."""
    records, _, _ = rt.driver.execute_query(
        "SHOW TRANSACTIONS YIELD currentQuery, status WHERE currentQuery CONTAINS $mark "
        "RETURN status",
        mark=_INSTANCE_WRITE,
    )
    return [r["status"] for r in records]


def _types_and_updates(rt: Runtime, ids: list[str]) -> tuple[dict[str, str], list[dict]]:
    """The instance type of each of ``ids`` in the graph, and their update records."""
    nodes, _, _ = rt.driver.execute_query(
        "MATCH (n:AWSInstance) WHERE n.uid IN $ids RETURN n.uid AS uid, n.instance_type AS t",
        ids=ids,
    )
    updates, _, _ = rt.driver.execute_query(
        "MATCH (c:InventoryChange {change: 'updated'}) WHERE c.uid IN $ids "
        "RETURN c.uid AS uid, c.task_id AS task_id, c.before_instance_type AS before, "
        "c.after_instance_type AS after",
        ids=ids,
    )
    return {r["uid"]: r["t"] for r in nodes}, [r.data() for r in updates]


def _run_ours(ec2: Any, n: int) -> list[str]:
    subnet = next(s for s in ec2.describe_subnets()["Subnets"] if not s["DefaultForAz"])
    return launch(ec2, subnet["SubnetId"], n)


def _collected(rt: Runtime, root: str) -> None:
    tree = rt.records.wait(root, timeout=300)
    assert tree is not None, "the collection did not end within 5 minutes"
    assert {r["state"] for r in tree} <= DONE, [(r["task"], r["error"]) for r in tree]


def test_a_worker_killed_mid_write_leaves_no_change_without_its_write(
    drill: tuple[Stack, Runtime, str], moto_url: str
) -> None:
    """Six instances of the test's own, collected, then stopped and resized.  The next
    collection of instances runs on a worker whose write of them is held: the test holds
    the lock of the last of them, so the write's statement has written the rows before it
    (with their change records) and waits.  The worker is SIGKILLed there.  Its
    transaction goes: no change record of the collection without its write, no write
    without its record.  The message comes back to a new worker, which writes every
    resize with one record each."""
    stack, rt, config = drill
    wipe(rt)
    ec2 = demo.session(moto_url).client("ec2", region_name="us-east-1", endpoint_url=moto_url)
    ids = _run_ours(ec2, 6)
    try:
        _worker(stack, config)
        _collected(rt, rt.enqueue("aws:collect-instances", MAIN, "high"))
        ec2.stop_instances(InstanceIds=ids)
        for uid in ids:
            ec2.modify_instance_attribute(InstanceId=uid, InstanceType={"Value": "t3.large"})
        root, seen = _kill_mid_write(stack, rt, ids[-1])
        # Killed: the graph holds the collection's writes and records together or neither.
        types, updates = _types_and_updates(rt, ids)
        written = {uid for uid, t in types.items() if t == "t3.large"}
        assert written == {u["uid"] for u in updates}  # ... and each record's value is held:
        assert all(types[u["uid"]] == u["after"] for u in updates)
        assert ids[-1] not in written
        assert seen["state"] == "active" and seen["id"] == root

        _worker(stack, config)  # the killed worker's message comes back to this one
        _collected(rt, root)
        types, updates = _types_and_updates(rt, ids)
        assert types == dict.fromkeys(ids, "t3.large")
        assert sorted((u["uid"], u["before"], u["after"], u["task_id"]) for u in updates) == [
            (uid, "t3.micro", "t3.large", root) for uid in sorted(ids)
        ]
        print(f"\nkilled mid-write: {len(written)} of {len(ids)} resizes committed before the kill")
    finally:
        stack.stop("worker-drill")
        ec2.terminate_instances(InstanceIds=ids)


def _kill_mid_write(stack: Stack, rt: Runtime, held_uid: str) -> tuple[str, dict[str, Any]]:
    """Collect instances with ``held_uid``'s node locked by this test; SIGKILL the worker
    pool once its write waits for that lock, then let go.  The collection's task id, and
    its record as it was at the kill."""
    with rt.driver.session() as session, session.begin_transaction() as held:
        held.run("MATCH (n:AWSInstance {uid: $uid}) SET n.held = true", uid=held_uid).consume()
        root = rt.enqueue("aws:collect-instances", MAIN, "high")
        wait_until(
            lambda: any(s.startswith("Blocked") for s in _instance_writes(rt)),
            120,
            "the worker's write of instances to wait for the held one",
        )
        seen = rt.records.get(root)
        os.killpg(stack.procs["worker-drill"].pid, signal.SIGKILL)
        stack.stop("worker-drill")
        held.rollback()
    wait_until(lambda: not _instance_writes(rt), 60, "the killed worker's transaction to end")
    assert seen is not None
    return root, seen


def _pids(port: int) -> dict[str, list[int]]:
    """The pool's processes, as its liveness answer names them: "ok: supervisor 1, workers
    2 3, metrics 4"."""
    text = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).text
    assert text.startswith("ok: "), text
    parts = (part.split(" ", 1) for part in text[4:].strip().split(", "))
    return {what: [int(pid) for pid in pids.split()] for what, pids in parts}


def test_a_supervised_pool_loses_a_worker_then_its_metrics_mid_collection(
    drill, moto_url: str
) -> None:
    """As the dev stack (and Kubernetes' liveness probe) keep a pool: a worker process
    SIGKILLed ends the pool, which is started again; its metrics process SIGKILLed fails
    its liveness, and it is stopped and started again; the collection completes."""
    name = "pool-drill"
    port = drill[0].metrics_port(name)
    said: list[str] = []
    supervisors: list[Supervisor] = []

    def supervised(stack: Stack, config: str) -> Callable[[], None]:
        service = stack.worker(name)
        service.argv += ["--processes", "2"]
        service.env["INVENTORY_CONFIG"] = config
        stack.start(service)
        supervisors.append(Supervisor(stack, said.append, names=[name]))
        done = threading.Event()
        watch = threading.Thread(target=supervisors[0].run, args=(done.is_set,), daemon=True)
        watch.start()

        def stop() -> None:
            done.set()  # first, or it would start the pool again
            watch.join()
            stack.stop(name)

        return stop

    def back(restarts: int, before: dict[str, list[int]]) -> Callable[[], bool]:
        def check() -> bool:
            state = supervisors[0].states()[name]
            if state["restarts"] != restarts or state["state"] != "running":
                return False
            return _pids(port)["supervisor"] != before["supervisor"]

        return check

    def kill_a_worker_then_the_metrics(stack: Stack, rt: Runtime) -> None:
        wait_until(
            lambda: any(r["state"] == "active" for r in rt.records.recent(200)),
            60,
            "a task to be running",
        )
        first = _pids(port)
        assert len(first["workers"]) == 2
        os.kill(first["workers"][0], signal.SIGKILL)
        wait_until(back(1, first), 180, "the pool to be started again after its worker died")
        second = _pids(port)
        os.kill(second["metrics"][0], signal.SIGKILL)
        wait_until(back(2, second), 240, "the pool to be started again after its metrics died")
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200

    _collect_through(drill, kill_a_worker_then_the_metrics, moto_url, supervised)
    reasons = [s["reason"] for s in [supervisors[0].states()[name]]]
    assert reasons == ["failed its liveness check"], said
    assert any("exited with code" in line for line in said), said


def test_a_third_of_provider_calls_throttled_or_unavailable(
    drill, proxy: FaultProxy, moto_url: str
) -> None:
    def flaky(stack: Stack, rt: Runtime) -> None:
        proxy.fault_rate = 0.3

    try:
        _collect_through(drill, flaky, moto_url)
    finally:
        proxy.fault_rate = 0.0
    assert proxy.faults > 20  # the faults happened, and were ridden out
