"""Ingest speed: our writer and link task against a bare UNWIND ... MERGE baseline.

Starts its own Neo4j (ports 37687/37474, a temp folder), writes N synthetic instances
in S subnets with their HAS_INSTANCE links both ways, alternating, and prints nodes/s,
links/s and the ratio of times.  Usage: python bench/ingest.py [--instances 50000]

``--sweep`` instead writes the same instances as W concurrent collections (W scopes of
one account each, each a thread running the writer and the link task, as worker threads
do) for each batch size and W, and prints nodes/s for each: how the batch size and the
number of concurrent writers were chosen.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from concurrent.futures import ThreadPoolExecutor  # imports queue: after the path is set

from bench.graph_stack import instance_row, neo4j_stack
from collectors import CATALOG
from dev.stack import Ports
from graph import links
from graph.writer import Writer

SCOPE = {"account_id": "123456789012", "region": "eu-west-1"}
SUBNET, INSTANCE = CATALOG.by_label["AWSSubnet"], CATALOG.by_label["AWSInstance"]
HAS_INSTANCE = next(lk for lk in CATALOG.links if lk.type == "HAS_INSTANCE")

BASE_NODES = """UNWIND $rows AS row
MERGE (n:{label} {{uid: row.uid}})
SET n += row, n.account_id = $account_id, n.region = $region, n.last_seen = datetime()"""
BASE_LINKS = """UNWIND $rows AS row
MATCH (s:AWSSubnet {uid: row.subnet_id})
MATCH (i:AWSInstance {uid: row.uid})
MERGE (s)-[:HAS_INSTANCE]->(i)"""


def rows(n: int, subnets: int) -> tuple[list[dict], list[dict]]:
    subnet_rows = [
        {
            "uid": f"subnet-{s:05d}",
            "subnet_id": f"subnet-{s:05d}",
            "vpc_id": "vpc-1",
            "cidr_block": f"10.{s // 256}.{s % 256}.0/24",
        }
        for s in range(subnets)
    ]
    instance_rows = [instance_row(i, subnets) for i in range(n)]
    return subnet_rows, instance_rows


def batches(items: list[dict], size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def baseline(driver, subnets: list[dict], instances: list[dict], size: int) -> None:
    for label, data in (("AWSSubnet", subnets), ("AWSInstance", instances)):
        for batch in batches(data, size):
            driver.execute_query(BASE_NODES.format(label=label), rows=batch, **SCOPE)
    for batch in batches(instances, size):
        driver.execute_query(
            BASE_LINKS, rows=[{"uid": r["uid"], "subnet_id": r["subnet_id"]} for r in batch]
        )


def ours(driver, writer: Writer, subnets: list[dict], instances: list[dict]) -> None:
    seen_at = writer.now()
    writer.write(SUBNET, subnets, SCOPE, seen_at)
    writer.write(INSTANCE, instances, SCOPE, seen_at)
    links.refresh(driver, CATALOG, HAS_INSTANCE, SCOPE, seen_at, "neo4j")


def concurrent(driver, writer: Writer, subnets: list[dict], instances: list[dict], n: int) -> None:
    """``n`` collections at once, one scope each, over the same subnets."""
    seen_at = writer.now()
    writer.write(SUBNET, subnets, SCOPE, seen_at)

    def collect(k: int) -> None:
        scope = {"account_id": f"{200000000000 + k:012d}", "region": SCOPE["region"]}
        writer.write(INSTANCE, instances[k::n], scope, seen_at)
        links.refresh(driver, CATALOG, HAS_INSTANCE, scope, seen_at, "neo4j")

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(collect, range(n)))


def sweep(driver, subnets: list[dict], instances: list[dict]) -> None:
    nodes = len(subnets) + len(instances)
    sizes, widths = (100, 500, 1000, 5000), (1, 2, 4, 8, 16)
    print(f"nodes/s writing {nodes} nodes and their links (median of 2; rows: batch size)")
    print(f"{'batch':>6} " + " ".join(f"{f'{w} writers':>11}" for w in widths), flush=True)
    for size in sizes:
        writer = Writer(driver, "neo4j", size)
        line = []
        for w in widths:
            took = []
            for _ in range(2):
                wipe(driver)
                start = time.perf_counter()
                concurrent(driver, writer, subnets, instances, w)
                took.append(time.perf_counter() - start)
                check(driver, len(instances))
            line.append(nodes / statistics.median(took))
        print(f"{size:>6} " + " ".join(f"{v:>11.0f}" for v in line), flush=True)


def wipe(driver) -> None:
    with driver.session() as s:
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def check(driver, n: int) -> None:
    records, _, _ = driver.execute_query(
        "MATCH (:AWSSubnet)-[r:HAS_INSTANCE]->(:AWSInstance) RETURN count(r)"
    )
    assert records[0][0] == n, f"expected {n} links, found {records[0][0]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--instances", type=int, default=50_000)
    ap.add_argument("--subnets", type=int, default=250)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sweep", action="store_true", help="batch sizes x concurrent writers")
    args = ap.parse_args()

    ports = Ports(api=38000, bolt=37687, http=37474, redis=36379, moto=35000)
    with neo4j_stack(ports, args.batch) as (_, driver):
        writer = Writer(driver, "neo4j", args.batch)
        subnets, instances = rows(args.instances, args.subnets)
        if args.sweep:
            sweep(driver, subnets, instances)
            return
        nodes = len(subnets) + len(instances)
        times: dict[str, list[float]] = {"baseline": [], "ours": []}
        for r in range(args.rounds):
            for name in ("baseline", "ours") if r % 2 == 0 else ("ours", "baseline"):
                wipe(driver)
                start = time.perf_counter()
                if name == "baseline":
                    baseline(driver, subnets, instances, args.batch)
                else:
                    ours(driver, writer, subnets, instances)
                times[name].append(time.perf_counter() - start)
                check(driver, len(instances))
                print(f"  round {r + 1} {name:<8} {times[name][-1]:6.2f} s", flush=True)
        print(
            f"\n{args.instances} instances in {args.subnets} subnets, batch {args.batch}, "
            f"median of {args.rounds}; {platform.node()}, {platform.python_version()}"
        )
        print(f"{'':10} {'seconds':>8} {'nodes/s':>9} {'links/s':>9}")
        for name, t in times.items():
            m = statistics.median(t)
            print(f"{name:10} {m:8.2f} {nodes / m:9.0f} {len(instances) / m:9.0f}")
        ratio = statistics.median(times["ours"]) / statistics.median(times["baseline"])
        print(f"ours / baseline: {ratio:.2f}x (target <= 1.30x)")


if __name__ == "__main__":
    main()
