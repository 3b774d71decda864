"""Redis without a single point of failure: Debian's redis-sentinel watching a master and a
replica on loopback; the master SIGKILLed while messages are enqueued and processed.
Enqueueing and processing resume after the failover, and every message whose enqueue
returned ends succeeded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dramatiq
import pytest
import redis
import redis.asyncio

from app import redisconn
from app.config import load_settings
from dev.stack import Service, Stack, StackError, wait_until
from tests.conftest import TEST_PORTS
from tests.helpers import config_with
from worker.runtime import Runtime

MASTER, REPLICA = TEST_PORTS.redis + 1, TEST_PORTS.redis + 2
SENTINELS = [TEST_PORTS.redis + 11, TEST_PORTS.redis + 12, TEST_PORTS.redis + 13]
NAME = "inv"
# A housekeeper that keeps ten years removes nothing: a cheap real task.
PAYLOAD = {"retention_days": 3650}


def ping(port: int) -> bool:
    return bool(redis.Redis(port=port, socket_timeout=1).ping())


def redis_server(home: Path, name: str, port: int, *extra: str) -> Service:
    data = home / name
    data.mkdir()
    argv = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
        "--save", "", "--appendonly", "no", *extra,
    ]  # fmt: skip
    return Service(name, argv, lambda: ping(port), timeout=30, port=port)


def sentinel(home: Path, port: int) -> Service:
    conf = home / f"sentinel-{port}.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {home}\n"
        f"sentinel monitor {NAME} 127.0.0.1 {MASTER} 2\n"
        f"sentinel down-after-milliseconds {NAME} 1000\n"
        f"sentinel failover-timeout {NAME} 5000\n"
    )
    binary = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
    return Service(f"sentinel-{port}", [binary, str(conf)], lambda: ping(port), port=port)


def topology_known() -> bool:
    """Each sentinel knows the master, its replica and the two other sentinels."""
    for port in SENTINELS:
        s = redis.Redis(port=port, socket_timeout=1, decode_responses=True)
        replicas = s.sentinel_slaves(NAME)
        if len(s.sentinel_sentinels(NAME)) < 2 or not replicas:
            return False
        if "s_down" in replicas[0]["flags"] or replicas[0]["master-link-status"] != "ok":
            return False
    return True


def master_port() -> int:
    _, port = redis.Redis(port=SENTINELS[0]).sentinel_get_master_addr_by_name(NAME)
    return int(port)


@pytest.fixture
def sentinel_runtime(
    stack: Stack, config_path: Path, runtime: Runtime, migrated: Runtime, tmp_path: Path
) -> Iterator[tuple[Runtime, Path]]:
    """Master, replica, three sentinels and a worker pool reaching Redis through them."""
    services = [
        redis_server(tmp_path, "redis-master", MASTER),
        redis_server(tmp_path, "redis-replica", REPLICA, "--replicaof", "127.0.0.1", str(MASTER)),
        *(sentinel(tmp_path, port) for port in SENTINELS),
    ]
    addresses = [f"127.0.0.1:{port}" for port in SENTINELS]
    redis_config = {"sentinels": addresses, "master_name": NAME, "wait_replicas": 1}
    config = config_with(config_path, tmp_path / "sentinel.yaml", redis=redis_config)
    worker = stack.inventory("sentinel-worker", "worker", "--metrics-port", "0")
    worker.env["INVENTORY_CONFIG"] = str(config)
    os.environ["INVENTORY_CONFIG"] = str(config)
    try:
        for service in services:
            stack.start(service)
        wait_until(topology_known, 60, "the sentinels to know master, replica and each other")
        stack.start(worker)
        rt = Runtime(load_settings())
        yield rt, config
    finally:
        os.environ["INVENTORY_CONFIG"] = str(config_path)
        dramatiq.set_broker(runtime.broker)  # rt made its broker Dramatiq's global one
        for service in (worker, *services):
            stack.stop(service.name)


class Producer(threading.Thread):
    """Enqueues all the time; keeps the ids of the enqueues that returned, and when."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(daemon=True)
        self.rt = rt
        self.acked: list[tuple[float, str]] = []
        self.refused: list[str] = []
        self.slowest = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            start = time.monotonic()
            try:
                self.acked.append((time.monotonic(), self.rt.enqueue("aux:housekeeper", PAYLOAD)))
            except Exception as exc:  # not acknowledged: the caller would try again
                self.refused.append(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
            self.slowest = max(self.slowest, time.monotonic() - start)


def unfinished(rt: Runtime, ids: list[str]) -> Counter[str | None]:
    """How many of ``ids`` are in which state other than succeeded (None: no record)."""
    states = {r["id"]: r["state"] for r in rt.records.many(ids)}
    return Counter(states.get(i) for i in ids if states.get(i) != "succeeded")


def test_enqueueing_and_processing_resume_after_failover_and_no_acked_message_is_lost(
    stack: Stack, sentinel_runtime: tuple[Runtime, Path]
) -> None:
    rt, _ = sentinel_runtime
    first = [rt.enqueue("aux:housekeeper", PAYLOAD) for _ in range(20)]
    wait_until(lambda: not unfinished(rt, first), 120, "the first messages to be processed")

    producer = Producer(rt)
    producer.start()
    time.sleep(2)
    os.killpg(stack.procs["redis-master"].pid, signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: master_port() == REPLICA, 30, "the sentinels to promote the replica")
    failover = time.monotonic() - killed
    time.sleep(5)
    producer.stop.set()
    producer.join(60)

    ids = [task_id for _, task_id in producer.acked]
    after = [task_id for at, task_id in producer.acked if at > killed + failover]
    print(
        f"failover {failover:.1f}s; {len(ids)} enqueues acknowledged ({len(after)} after the "
        f"failover), {len(producer.refused)} refused {producer.refused[:3]}; slowest enqueue "
        f"{producer.slowest:.1f}s"
    )
    assert len(after) >= 10  # enqueueing resumed
    with contextlib.suppress(StackError):
        wait_until(lambda: not unfinished(rt, ids), 180, "every acknowledged message")
    stuck = [r for r in rt.records.many(ids) if r["state"] != "succeeded"]
    killed_at = time.time() - (time.monotonic() - killed)
    detail = [{**r, "created_after_kill_s": round(r["created_at"] - killed_at, 2)} for r in stuck]
    assert unfinished(rt, ids) == Counter(), detail


def test_a_connection_broken_by_the_failover_reconnects_to_the_new_master(
    stack: Stack, sentinel_runtime: tuple[Runtime, Path]
) -> None:
    """A command whose connection the failover breaks must not knock on the dead master for
    the whole retry budget (redis-py reconnects to the address it had): it reaches the new
    master as soon as the sentinels name it.  A single-connection client keeps its one
    connection across commands, so the command after the failover finds it broken."""
    settings = load_settings()
    sync = redis.Redis(
        connection_pool=redisconn.connect(settings.redis).connection_pool,
        single_connection_client=True,
    )
    aio = redis.asyncio.Redis(
        connection_pool=redisconn.connect_async(settings.redis).connection_pool,
        single_connection_client=True,
    )
    loop = asyncio.new_event_loop()
    try:
        assert sync.ping() and loop.run_until_complete(aio.ping())
        os.killpg(stack.procs["redis-master"].pid, signal.SIGKILL)
        wait_until(lambda: master_port() == REPLICA, 30, "the sentinels to promote the replica")
        for name, ping in (
            ("sync", sync.ping),
            ("asyncio", lambda: loop.run_until_complete(aio.ping())),
        ):
            start = time.monotonic()
            assert ping(), name
            took = time.monotonic() - start
            # Reaching the new master takes a connect; the old bug took the whole budget.
            assert took < settings.redis.retry_s / 3, f"{name}: {took:.1f}s"
    finally:
        loop.run_until_complete(aio.aclose())
        loop.close()
        sync.close()
