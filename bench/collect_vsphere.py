"""vSphere collection end to end: a vcsim of N VMs collected into Neo4j by one worker
process, at two sizes, to show that round trips grow with pages, not with objects.

Prints, per size: vcsim start-up, collection wall time, SOAP round trips by method
(from vcsim's own trace), nodes and links written, and the worker's peak RSS.  Starts its
own Redis, Neo4j and vcsims on ports of their own.
Usage: python bench/collect_vsphere.py [--vms 2000 10000] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.collect_aws import collection, empty_graph, machine, outcome, peak_rss_mb, runtime
from dev.demo import vsphere as demo
from dev.stack import Ports, Stack
from worker.runtime import Runtime

REQUEST = re.compile(rb"Request: .*?<soapenv:Body><(\w+)", re.S)


def flags(vms: int) -> tuple[str, ...]:
    # 2 datacenters x 5 clusters x 1 pool: -vm is per resource pool.
    per_pool = max(1, vms // 10)
    return (
        "-dc", "2", "-cluster", "5", "-host", "5", "-standalone-host", "0", "-pool", "1",
        "-vm", str(per_pool), "-ds", "4", "-pg", "2", "-autostart=false",
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


def run(stack: Stack, rt: Runtime, vms: int, page_size: int, threads: int) -> dict:
    empty_graph(rt)
    trace = stack.home / f"trace-{vms}.log"
    login = ("-username", demo.USER, "-password", demo.PASSWORD)
    name = f"vcsim-{vms}"
    t = time.perf_counter()
    stack.start(
        stack.vcsim(
            name, flags=(*flags(vms), *login, "-trace", "-trace-file", str(trace)), timeout=1800
        )
    )
    started = time.perf_counter() - t
    trace.write_bytes(b"")  # the start-up's own calls do not count
    vcenter = {**demo.vcenters_config(stack.ports.vcsim, "bench")[0], "page_size": page_size}
    stack.write_config({"vsphere": {"vcenters": [vcenter]}, "tasks": {"max_retries": 0}})
    worker = f"worker-{vms}"
    pid = stack.start(
        stack.inventory(worker, "worker", "--processes", "1", "--threads", str(threads))
    )
    time.sleep(3)  # the forked worker process imports the app
    tree, wall = collection(rt, "vsphere:collect-all", timeout=3600)
    rss = peak_rss_mb(pid)
    stack.stop(worker)
    stack.stop(name)
    records, _, _ = rt.driver.execute_query("MATCH (v:VSphereVM) RETURN count(v) AS n")
    calls = round_trips(trace)
    return {
        "vms": records[0]["n"],
        "start": started,
        "wall": wall,
        "calls": sum(calls.values()),
        "pages": calls["RetrievePropertiesEx"] + calls["ContinueRetrievePropertiesEx"],
        "rss": rss,
        **outcome(tree),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vms", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    stack = Stack.scratch(
        "inventory-bench-vsphere-",
        Ports(api=38300, bolt=37987, http=37774, redis=36679, vcsim=38989),
    )
    try:
        stack.start(stack.redis())
        stack.start(stack.neo4j())
        rt = runtime(stack, {})
        results = [run(stack, rt, n, args.page_size, args.threads) for n in args.vms]
        print(
            f"\npage size {args.page_size}, 1 worker process x {args.threads} threads; {machine()}"
        )
        print(
            f"{'VMs':>6} {'vcsim start s':>13} {'wall s':>7} {'round trips':>11} "
            f"{'of them pages':>13} {'tasks':>5} {'nodes':>6} {'links':>6} "
            f"{'peak RSS MB':>11} {'failed':>6}"
        )
        for r in results:
            print(
                f"{r['vms']:>6} {r['start']:>13.0f} {r['wall']:>7.1f} {r['calls']:>11} "
                f"{r['pages']:>13} {r['tasks']:>5} {r.get('nodes_written', 0):>6} "
                f"{r.get('links_written', 0):>6} {r['rss']:>11.0f} {r['failed']:>6}"
            )
        rt.close()
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
