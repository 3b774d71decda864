"""AWS collection end to end: a moto estate of 2 accounts x 3 regions (2,000+ instances)
collected by one worker process with 1 and then 4 threads.

Prints wall time, AWS API calls (counted by a proxy in front of moto), nodes and links
written, and the worker's peak RSS.  Starts its own Redis, Neo4j and moto on ports of its
own.  Usage: python bench/collect_aws.py [--per-region 340]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app.config import Settings
from dev.demo import aws as demo
from dev.stack import Ports, Stack
from graph import schema
from tests.faultproxy import FaultProxy
from worker.records import totals
from worker.runtime import Runtime

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]
SUBNETS = ("10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18")


def seed(moto: str, per_region: int) -> int:
    made = 0
    for role in (None, demo.ROLE):
        session = demo.session(moto, role)
        for region in REGIONS:
            ec2 = session.client("ec2", region_name=region, endpoint_url=moto)
            images = ec2.describe_images(Owners=["amazon"])["Images"]
            image = next(i["ImageId"] for i in images if not i.get("Platform"))
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnets = [
                ec2.create_subnet(VpcId=vpc, CidrBlock=c)["Subnet"]["SubnetId"] for c in SUBNETS
            ]
            left = per_region
            while left:
                n = min(100, left)
                ec2.run_instances(
                    ImageId=image,
                    MinCount=n,
                    MaxCount=n,
                    InstanceType="t3.micro",
                    SubnetId=subnets[left % len(subnets)],
                )
                left -= n
                made += n
    return made


def peak_rss_each(pid: int) -> dict[int, float]:
    """The peak RSS (MB) of a process and of each of its children (Dramatiq forks workers)."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    out = {}
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[p] = int(line.split()[1]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) a process and all its descendants have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total


def peak_rss_mb(pid: int) -> float:
    """The largest peak RSS among a process and its children."""
    return max(peak_rss_each(pid).values())


def machine() -> str:
    """The machine a bench ran on, for its report."""
    return f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def runtime(stack: Stack, config: dict[str, Any]) -> Runtime:
    """A runtime on ``stack``'s config (written with ``config``), the graph's schema in
    place; the config is also the one every process started after reads."""
    stack.write_config(config)
    os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
    rt = Runtime(Settings())
    schema.migrate(rt.driver, rt.catalog, "neo4j")
    return rt


def empty_graph(rt: Runtime) -> None:
    with rt.driver.session() as s:
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def collection(
    rt: Runtime, task: str, timeout: float, priority: str | None = None
) -> tuple[list[dict[str, Any]], float]:
    """Enqueue ``task`` and wait until its whole tree has ended: the tree's records and the
    wall seconds it took."""
    start = time.perf_counter()
    tree = rt.records.wait(rt.enqueue(task, {}, priority), timeout=timeout)
    wall = time.perf_counter() - start
    if tree is None:
        raise SystemExit(f"{task} did not finish within {timeout / 60:.0f} minutes")
    return tree, wall


def outcome(tree: list[dict[str, Any]]) -> dict[str, Any]:
    """How many tasks a collection's tree holds, how many failed, and what they wrote."""
    failed = Counter(r["state"] for r in tree)["failed"]
    return {"tasks": len(tree), "failed": failed, **totals(tree)}


@contextlib.contextmanager
def moto_stack(prefix: str, ports: Ports) -> Iterator[tuple[Stack, FaultProxy]]:
    """A scratch stack running Redis, moto and Neo4j, and a proxy in front of moto that
    counts the calls; both stopped (and the stack's folder deleted) on the way out."""
    stack = Stack.scratch(prefix, ports)
    try:
        for service in (stack.redis(), stack.moto(), stack.neo4j()):
            stack.start(service)
        proxy = FaultProxy(f"http://127.0.0.1:{ports.moto}")
        try:
            yield stack, proxy
        finally:
            proxy.stop()
    finally:
        stack.discard()


def run(stack: Stack, rt: Runtime, proxy: FaultProxy, threads: int) -> dict:
    empty_graph(rt)
    name = f"worker-{threads}"
    worker = stack.inventory(name, "worker", "--processes", "1", "--threads", str(threads))
    pid = stack.start(worker)
    time.sleep(3)  # the forked worker process imports the app
    proxy.calls = 0
    tree, wall = collection(rt, "aws:collect-all", timeout=1200)
    rss = peak_rss_mb(pid)
    stack.stop(name)
    return {"threads": threads, "wall": wall, "calls": proxy.calls, "rss": rss, **outcome(tree)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-region", type=int, default=340)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    args = ap.parse_args()
    ports = Ports(api=38100, bolt=37787, http=37574, redis=36479, moto=35100)
    with moto_stack("inventory-bench-aws-", ports) as (stack, proxy):
        t = time.perf_counter()
        made = seed(f"http://127.0.0.1:{ports.moto}", args.per_region)
        print(f"seeded {made} instances in {time.perf_counter() - t:.0f}s", flush=True)
        accounts = demo.accounts_config(proxy.url)
        for a in accounts:
            a["regions"] = REGIONS
        rt = runtime(stack, {"aws": {"accounts": accounts}, "tasks": {"max_retries": 0}})
        results = [run(stack, rt, proxy, n) for n in args.threads]
        print(f"\n{made} instances, 2 accounts x {len(REGIONS)} regions; {machine()}")
        print(
            f"{'threads':>7} {'wall s':>7} {'API calls':>9} {'tasks':>5} {'nodes':>6} "
            f"{'links':>6} {'peak RSS MB':>11} {'failed':>6}"
        )
        for r in results:
            print(
                f"{r['threads']:>7} {r['wall']:>7.1f} {r['calls']:>9} {r['tasks']:>5} "
                f"{r.get('nodes_written', 0):>6} {r.get('links_written', 0):>6} "
                f"{r['rss']:>11.0f} {r['failed']:>6}"
            )
        rt.close()


if __name__ == "__main__":
    main()
