"""The task pipeline's own speed, on a Redis server of its own:

1. throughput: N no-op messages drained by one worker process, through our broker (task
   records, cancel checks, metrics, retries) and through a bare Dramatiq broker;
2. enqueue-to-start latency per queue, p50 and p99, with one worker pool per queue: on
   quiet queues, then with a backlog of low-priority 50 ms tasks.

Usage: python bench/queue.py [--messages 5000] [--threads 8]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named as the issue asks, which shadows the standard library's ``queue`` when
# run as a script: put the repository, not bench/, first on the path.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import os
import statistics
import time

import redis

from app.config import QUEUES, Settings
from bench.collect_aws import machine
from dev.stack import Ports, Service, Stack
from tests.actors import declare, send
from worker.records import FINAL
from worker.runtime import Runtime

PORTS = Ports(api=38200, bolt=37887, http=37674, redis=36579, moto=35200)


def start_worker(
    stack: Stack, name: str, module: str, queues: list[str], threads: int, env: dict[str, str]
) -> None:
    argv = [sys.executable, "-m", "dramatiq", module, "--processes", "1",
            "--threads", str(threads), "--queues", *queues]  # fmt: skip
    stack.start(Service(name, argv, lambda: True, {"dramatiq_worker_timeout": "50", **env}))


def drain_rate(
    stack: Stack,
    client: redis.Redis,
    module: str,
    n: int,
    threads: int,
    env: dict[str, str],
    enqueue,
) -> tuple[float, float]:
    """(enqueues/s, messages/s drained by one worker process)."""
    client.flushdb()
    t = time.perf_counter()
    for _ in range(n):
        enqueue()
    enq = n / (time.perf_counter() - t)
    start_worker(stack, "drain", module, [QUEUES["default"]], threads, env)
    key = f"dramatiq:{QUEUES['default']}"
    while client.llen(key) == n:
        time.sleep(0.005)
    began = time.perf_counter()
    while client.llen(key) or any(client.scard(k) for k in client.keys("dramatiq:__acks__.*")):
        time.sleep(0.01)
    rate = n / (time.perf_counter() - began)
    stack.stop("drain")
    return enq, rate


def latencies(rt: Runtime, ids: list[str], timeout: float = 300) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = rt.records.many(ids)
        if len(rows) == len(ids) and all(r["state"] in FINAL for r in rows):
            return [r["started_at"] - r["created_at"] for r in rows]
        time.sleep(0.1)
    raise TimeoutError("messages did not finish")


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


def throughput(stack: Stack, rt: Runtime, url: str, n: int, threads: int) -> dict:
    """(enqueues/s, drained/s) of ``n`` no-op messages through our broker (database 0)
    and through a bare Dramatiq one (database 1)."""
    ours_env = {"INVENTORY_CONFIG": str(stack.config_path)}
    bare_env = {"BENCH_BARE_REDIS_URL": f"{url}/1"}
    os.environ.update(bare_env)
    from bench import bare_worker

    def ours() -> None:
        send(rt.broker, "test:noop", {}, QUEUES["default"])

    def bare() -> None:
        bare_worker.noop.send({})

    ours_redis, bare_redis = redis.Redis.from_url(f"{url}/0"), redis.Redis.from_url(f"{url}/1")
    return {
        "ours": drain_rate(stack, ours_redis, "tests.actors_worker", n, threads, ours_env, ours),
        "bare dramatiq": drain_rate(
            stack, bare_redis, "bench.bare_worker", n, threads, bare_env, bare
        ),
    }


def sleeps(rt: Runtime, queue: str, n: int) -> list[str]:
    """``n`` 50 ms tasks sent to ``queue``; their ids."""
    return [send(rt.broker, "test:sleep", {"ms": 50}, queue) for _ in range(n)]


def latency(stack: Stack, rt: Runtime, backlog: int) -> dict:
    """Enqueue-to-start latencies per queue, with a pool of 4 threads per queue: on quiet
    queues; on high and default behind a backlog of ``backlog`` low tasks (and how much
    of that backlog was done when they were); and of low tasks sent after that backlog."""
    ours_env = {"INVENTORY_CONFIG": str(stack.config_path)}
    for queue in QUEUES.values():
        start_worker(stack, queue, "tests.actors_worker", [queue], 4, ours_env)
    # Warm each pool (imports, connections) before measuring it.
    latencies(rt, [send(rt.broker, "test:noop", {}, q) for q in QUEUES.values() for _ in range(20)])
    quiet = {q: latencies(rt, sleeps(rt, q, 50)) for q in QUEUES.values()}
    behind = sleeps(rt, QUEUES["low"], backlog)
    time.sleep(0.5)
    ids = {q: sleeps(rt, q, 50) for q in (QUEUES["high"], QUEUES["default"])}
    loaded = {q: latencies(rt, v) for q, v in ids.items()}
    low_done = sum(r["state"] == "succeeded" for r in rt.records.many(behind))
    late_low = latencies(rt, sleeps(rt, QUEUES["low"], 5), timeout=600)
    return {"quiet": quiet, "loaded": loaded, "low_done": low_done, "late_low": late_low}


def report(args: argparse.Namespace, rows: dict, lat: dict) -> None:
    print(
        f"\n{machine()}, 1 worker process x {args.threads} threads, {args.messages} no-op messages"
    )
    print(f"{'broker':<14} {'enqueue/s':>9} {'drained/s':>9}")
    for name, (enq, rate) in rows.items():
        print(f"{name:<14} {enq:>9.0f} {rate:>9.0f}")
    print("\nenqueue-to-start latency, ms (a pool of 4 threads per queue, 50 ms tasks)")
    print(
        f"{'queue':<18} {'quiet p50':>9} {'quiet p99':>9} {'backlog p50':>11} {'backlog p99':>11}"
    )
    quiet, loaded = lat["quiet"], lat["loaded"]
    for q in QUEUES.values():
        if q in loaded:
            b = f"{pct(loaded[q], 50):>11.0f} {pct(loaded[q], 99):>11.0f}"
        else:
            b = f"{'(behind it)':>11} {pct(lat['late_low'], 99):>11.0f}"
        print(f"{q:<18} {pct(quiet[q], 50):>9.0f} {pct(quiet[q], 99):>9.0f} {b}")
    print(
        f"low backlog of {args.backlog} x 50 ms: {lat['low_done']} done when high and default "
        f"had finished"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--backlog", type=int, default=1000)
    args = ap.parse_args()
    stack = Stack.scratch("inventory-bench-queue-", PORTS)
    try:
        stack.start(stack.redis())
        url = f"redis://127.0.0.1:{PORTS.redis}"
        stack.write_config({"redis": {"url": f"{url}/0"}, "tasks": {"metrics_port": 0}})
        os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
        rt = Runtime(Settings())
        declare(rt.broker)
        rows = throughput(stack, rt, url, args.messages, args.threads)
        redis.Redis.from_url(f"{url}/0").flushdb()
        lat = latency(stack, rt, args.backlog)
        report(args, rows, lat)
        rt.close()
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
