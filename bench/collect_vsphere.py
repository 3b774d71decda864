"""vSphere collection end to end: a vcsim of N VMs collected into Neo4j by one worker
process, at two sizes, to show that round trips grow with pages, not with objects.

The estate holds issue 21's kinds by the hundred (``bench/vsphere_estate.py``): resource
pools (``--pools`` per cluster, vcsim's ``-pool``), snapshots on ``--snapshot-vms`` VMs,
``--tags`` vSphere tags attached through the vAPI tagging service, and ``--orphan-disks``
virtual disks no VM uses; after each collection the graph is checked to hold exactly
that, and the bench stops if it does not.

Prints, per size: vcsim start-up and seeding, collection wall time, SOAP round trips by
method (from vcsim's own trace; the tagging service's REST calls are not in it), nodes
and links written, the worker's peak RSS and the load average during the collection.
Starts its own Redis, Neo4j and vcsims on ports from ``--port-base`` on.
Usage: python bench/collect_vsphere.py [--vms 2000 10000] [--page-size 1000] [--pools 40]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import vsphere_estate as estate
from bench.collect_aws import collection, empty_graph, machine, outcome, peak_rss_mb, runtime
from dev.demo import vsphere as demo
from dev.stack import Ports, Stack
from worker.runtime import Runtime

REQUEST = re.compile(rb"Request: .*?<soapenv:Body><(\w+)", re.S)
CLUSTERS = 10  # 2 datacenters x 5 clusters


def flags(vms: int, pools: int) -> tuple[str, ...]:
    # 2 datacenters x 5 clusters x ``pools`` child pools: -vm is per child resource pool.
    per_pool = max(1, vms // (CLUSTERS * pools))
    return (
        "-dc", "2", "-cluster", "5", "-host", "5", "-standalone-host", "0",
        "-pool", str(pools), "-vm", str(per_pool), "-ds", "4", "-pg", "2", "-autostart=false",
    )  # fmt: skip


def round_trips(trace: Path) -> Counter[str]:
    """SOAP requests by method, counted in vcsim's trace (which holds responses too)."""
    found: Counter[str] = Counter()
    with trace.open("rb") as f:
        tail = b""
        while chunk := f.read(1 << 24):
            text = tail + chunk
            found.update(m.decode() for m in REQUEST.findall(text))
            cut = text.rfind(b"Request: ")
            tail = text[cut:] if cut > len(text) - 4096 else b""
    return found


class Load:
    """The 1-minute load average, sampled every ``every`` seconds while in the block."""

    def __init__(self, every: float = 10) -> None:
        self.every, self.samples = every, [os.getloadavg()[0]]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()
        self.samples.append(os.getloadavg()[0])

    def __str__(self) -> str:
        return f"{min(self.samples):.1f}-{max(self.samples):.1f}"


def slowest(tree: list[dict], n: int = 8) -> list[str]:
    """The ``n`` longest tasks of a tree: seconds from start to end, task and payload."""
    timed = [
        (float(r["finished_at"]) - float(r["started_at"]), r["task"], r.get("payload", ""))
        for r in tree
        if r.get("started_at") and r.get("finished_at")
    ]
    return [f"{s:.1f} s {task} {payload}" for s, task, payload in sorted(timed)[::-1][:n]]


def start_vcsim(stack: Stack, args: argparse.Namespace, vms: int) -> tuple[str, Path, float]:
    """A vcsim of ``vms`` VMs in ``args.pools`` pools per cluster, tracing to a file: its
    name, its trace and its start-up seconds."""
    trace = stack.home / f"trace-{vms}.log"
    login = ("-username", demo.USER, "-password", demo.PASSWORD)
    name = f"vcsim-{vms}"
    t = time.perf_counter()
    argv = (*flags(vms, args.pools), *login, "-trace", "-trace-file", str(trace))
    stack.start(stack.vcsim(name, flags=argv, timeout=1800))
    return name, trace, time.perf_counter() - t


def run(stack: Stack, rt: Runtime, vms: int, args: argparse.Namespace) -> dict:
    empty_graph(rt)
    name, trace, started = start_vcsim(stack, args, vms)
    t = time.perf_counter()
    seeded = estate.seed(stack.ports.vcsim, args.snapshot_vms, args.tags, args.orphan_disks)
    seeding = time.perf_counter() - t
    trace.write_bytes(b"")  # the start-up's and the seeding's own calls do not count
    vcenter = {**demo.vcenters_config(stack.ports.vcsim, "bench")[0], "page_size": args.page_size}
    stack.write_config({"vsphere": {"vcenters": [vcenter]}, "tasks": {"max_retries": 0}})
    worker = f"worker-{vms}"
    metrics = str(stack.metrics_port(worker))
    pid = stack.start(
        stack.inventory(
            worker, "worker", "--processes", "1", "--threads", str(args.threads),
            "--metrics-port", metrics,
        )
    )  # fmt: skip
    time.sleep(3)  # the forked worker process imports the app
    with Load() as load:
        tree, wall = collection(rt, "vsphere:collect-all", timeout=3600)
    rss = peak_rss_mb(pid)
    stack.stop(worker)
    stack.stop(name)
    records, _, _ = rt.driver.execute_query("MATCH (v:VSphereVM) RETURN count(v) AS n")
    calls = round_trips(trace)
    result = {
        "vms": records[0]["n"],
        "start": started,
        "seed": seeding,
        "wall": wall,
        "calls": sum(calls.values()),
        "pages": calls["RetrievePropertiesEx"] + calls["ContinueRetrievePropertiesEx"],
        "by_method": calls,
        "rss": rss,
        "load": str(load),
        "slowest": slowest(tree),
        **outcome(tree),
    }
    if result["failed"]:
        failed = [
            f"{r['task']} {r.get('payload')}: {r.get('error')}"
            for r in tree
            if r["state"] == "failed"
        ]
        raise SystemExit(f"tasks of the collection of {vms} VMs failed:\n  " + "\n  ".join(failed))
    result["counts"] = estate.check(rt.driver, seeded)
    return result


def report(args: argparse.Namespace, results: list[dict]) -> None:
    print(
        f"\npage size {args.page_size}, 1 worker process x {args.threads} threads, "
        f"{args.pools} pools per cluster; {machine()}"
    )
    print(
        f"{'VMs':>6} {'vcsim start s':>13} {'seed s':>6} {'wall s':>7} {'round trips':>11} "
        f"{'of them pages':>13} {'tasks':>5} {'nodes':>6} {'links':>6} "
        f"{'peak RSS MB':>11} {'load':>9}"
    )
    for r in results:
        print(
            f"{r['vms']:>6} {r['start']:>13.0f} {r['seed']:>6.0f} {r['wall']:>7.1f} "
            f"{r['calls']:>11} {r['pages']:>13} {r['tasks']:>5} "
            f"{r.get('nodes_written', 0):>6} {r.get('links_written', 0):>6} "
            f"{r['rss']:>11.0f} {r['load']:>9}"
        )
    for r in results:
        print(f"\n{r['vms']} VMs: round trips by method: {dict(r['by_method'].most_common())}")
        print("slowest tasks:\n  " + "\n  ".join(r["slowest"]))
        print(f"{'':>2}{'seeded = graph':>40}")
        for what, seeded, _ in r["counts"]:
            print(f"{what:>30} {seeded:>9}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vms", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--pools", type=int, default=40, help="child resource pools per cluster")
    ap.add_argument("--snapshot-vms", type=int, default=300, help="VMs given snapshots")
    ap.add_argument("--tags", type=int, default=300, help="distinct vSphere tags attached")
    ap.add_argument("--orphan-disks", type=int, default=300, help=".vmdk files no VM uses")
    ap.add_argument(
        "--port-base", type=int, default=31500, help="its servers' ports, from this one on"
    )
    args = ap.parse_args()
    b = args.port_base
    ports = Ports(api=b, bolt=b + 1, http=b + 2, redis=b + 3, vcsim=b + 4, metrics=b + 10)
    stack = Stack.scratch("inventory-bench-vsphere-", ports)
    try:
        stack.start(stack.redis())
        stack.start(stack.neo4j())
        rt = runtime(stack, {})
        for n in args.vms:  # each size's lines as soon as it is done
            report(args, [run(stack, rt, n, args)])
        rt.close()
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
