"""The cost of change recording: the writer as it is (each batch's MERGE also compares the
tracked fields and records what changed, graph.changes) against the writer as it was
before change recording (the same loop running the previous merge_nodes.cypher, read from
git), on a re-collection of N instances already in the graph: unchanged, and with 10% of
them changed (their type and tags).

Starts its own Neo4j (ports 39687/39474, a temp folder).  Before each measured write the
graph is put back to the same state (the instances as first written, no change records),
unmeasured; baseline and ours alternate which goes first; after a warm-up round (round 0,
not counted) the median of the rounds is reported.
Usage: python bench/changes.py [--instances 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from app.config import Neo4jConfig
from collectors import CATALOG
from dev.stack import Ports, Stack
from graph import schema
from graph.driver import connect
from graph.writer import Writer
from model import Row

SCOPE = {"account_id": "123456789012", "region": "eu-west-1"}
INSTANCE = CATALOG.by_label["AWSInstance"]
# The last commit before change recording: its merge_nodes.cypher is the baseline.
BEFORE = "670fad9"


def previous_statement() -> str:
    text = subprocess.run(
        ["git", "show", f"{BEFORE}:cypher/merge_nodes.cypher"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text.replace("{{label}}", INSTANCE.label)


def instances(n: int, changed_every: int = 0) -> list[Row]:
    """``n`` instances; with ``changed_every``, each that many-th one changed."""

    def one(i: int) -> Row:
        changed = changed_every and i % changed_every == 0
        return {
            "uid": f"i-{i:08x}",
            "instance_id": f"i-{i:08x}",
            "subnet_id": f"subnet-{i % 250:05d}",
            "instance_type": "t3.large" if changed else "t3.micro",
            "state": "running",
            "image_id": "ami-1",
            "vpc_id": "vpc-1",
            "private_ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            "architecture": "x86_64",
            "platform": "Linux/UNIX",
            "launch_time": datetime(2026, 1, 1) + timedelta(minutes=i),
            "security_group_ids": ["sg-1", "sg-2"],
            "tags": [f"Name=app-{i}", "env=prod" if changed else "env=bench"],
            "name": f"app-{i}",
        }

    return [one(i) for i in range(n)]


def baseline(writer: Writer, statement: str, rows: list[Row], seen_at: datetime) -> None:
    """Writer.write as it was before change recording: the same checks and batches."""
    it = (INSTANCE.check(r) for r in rows)
    while batch := list(islice(it, writer.batch_size)):
        writer.driver.execute_query(
            statement, rows=batch, scope=SCOPE, owner={}, seen_at=seen_at, database_="neo4j"
        )


def reset(writer: Writer, statement: str, base: list[Row]) -> None:
    """The graph as the first collection left it, no change records: unmeasured."""
    baseline(writer, statement, base, writer.now())
    with writer.driver.session() as s:
        s.run(
            "MATCH (c:InventoryChange) CALL (c) { DELETE c } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def measure(args: argparse.Namespace, writer: Writer) -> dict[str, dict[str, list[float]]]:
    statement = previous_statement()
    base = instances(args.instances)
    cases = {"unchanged": base, "10% changed": instances(args.instances, changed_every=10)}
    runs: dict[str, Callable[[list[Row]], Any]] = {
        "baseline": lambda rows: baseline(writer, statement, rows, writer.now()),
        "ours": lambda rows: writer.write(INSTANCE, rows, SCOPE, writer.now()),
    }
    times: dict[str, dict[str, list[float]]] = {c: {"baseline": [], "ours": []} for c in cases}
    ours_first = False
    for r in range(-args.warmup, args.rounds):
        for case, rows in cases.items():
            for name in ("ours", "baseline") if ours_first else ("baseline", "ours"):
                reset(writer, statement, base)
                start = time.perf_counter()
                runs[name](rows)
                took = time.perf_counter() - start
                if r >= 0:
                    times[case][name].append(took)
                print(f"  round {r + 1} {case:<12} {name:<8} {took:6.2f} s", flush=True)
            ours_first = not ours_first
    return times


def report(args: argparse.Namespace, times: dict[str, dict[str, list[float]]]) -> None:
    for case, by in times.items():
        for name, took in by.items():
            print(f"{case} {name}: " + ", ".join(f"{t:.2f}" for t in took))
    print(
        f"\n{args.instances} instances re-collected, batch {args.batch}, median of "
        f"{args.rounds}; {platform.node()}, {platform.python_version()}"
    )
    targets = {"unchanged": 1.10, "10% changed": 1.25}
    print(f"{'':12} {'baseline s':>10} {'ours s':>8} {'ratio':>6} {'target':>7}")
    for case, by in times.items():
        b, o = statistics.median(by["baseline"]), statistics.median(by["ours"])
        print(f"{case:12} {b:10.2f} {o:8.2f} {o / b:6.2f} {targets[case]:7.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--instances", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1, help="rounds run first, not counted")
    args = ap.parse_args()
    stack = Stack.scratch(
        "inventory-bench-", Ports(api=39000, bolt=39687, http=39474, redis=39379, moto=39500)
    )
    try:
        print("starting Neo4j …", flush=True)
        stack.start(stack.neo4j())
        config = Neo4jConfig(
            uri=f"bolt://127.0.0.1:{stack.ports.bolt}",
            password=stack.secrets.neo4j_password,
            batch_size=args.batch,
        )
        driver = connect(config)
        schema.migrate(driver, CATALOG, "neo4j")
        report(args, measure(args, Writer(driver, "neo4j", args.batch)))
        driver.close()
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
