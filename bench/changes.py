"""The cost of change recording: the writer as it is (each batch's MERGE also compares the
tracked fields and records what changed, graph.changes) against the writer as it was
before change recording (the same loop running the previous merge_nodes.cypher, read from
git), on a re-collection of N instances already in the graph: unchanged, and with 10% of
them changed (their type and tags).

Starts its own Neo4j (ports 39687/39474 by default, a temp folder).  Before each measured
write the graph is put back to the same state (the instances as a first collection by the
writer as it is left them, no change records), unmeasured; baseline and ours alternate
which goes first; after a warm-up round (not counted) the median of the rounds is reported.
Each write is measured three ways: wall time, the Neo4j server's CPU time (its process's,
from /proc) and that plus this process's CPU time (the writer's own work: rows checked,
digests, the driver).  On a shared, loaded machine the CPU times are the steadier measure.
Usage: python bench/changes.py [--instances 20000] [--rounds 7] [--port-base 39000]
"""

from __future__ import annotations

import argparse
import os
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

from bench.graph_stack import instance_row, neo4j_stack
from collectors import CATALOG
from dev.stack import Ports
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
        changed = bool(changed_every) and i % changed_every == 0
        return {
            **instance_row(i, changed=changed),
            "launch_time": datetime(2026, 1, 1) + timedelta(minutes=i),
            "security_group_ids": ["sg-1", "sg-2"],
        }

    return [one(i) for i in range(n)]


def baseline(writer: Writer, statement: str, rows: list[Row], seen_at: datetime) -> None:
    """Writer.write as it was before change recording: the same checks and batches."""
    it = (INSTANCE.check(r) for r in rows)
    while batch := list(islice(it, writer.batch_size)):
        writer.driver.execute_query(
            statement, rows=batch, scope=SCOPE, owner={}, seen_at=seen_at, database_="neo4j"
        )


def reset(writer: Writer, base: list[Row]) -> None:
    """The graph as the first collection left it, no change records: unmeasured."""
    writer.write(INSTANCE, base, SCOPE, writer.now())
    with writer.driver.session() as s:
        s.run(
            "MATCH (c:InventoryChange) CALL (c) { DELETE c } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def server_cpu(pid: int) -> float:
    """The CPU seconds process ``pid`` has used (user and system, all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Times = dict[str, dict[str, dict[str, list[float]]]]  # case -> writer -> measure -> seconds
MEASURES = ("wall", "server cpu", "total cpu")


def measure(args: argparse.Namespace, writer: Writer, neo4j_pid: int) -> Times:
    statement = previous_statement()
    base = instances(args.instances)
    cases = {"unchanged": base, "10% changed": instances(args.instances, changed_every=10)}
    runs: dict[str, Callable[[list[Row]], Any]] = {
        "baseline": lambda rows: baseline(writer, statement, rows, writer.now()),
        "ours": lambda rows: writer.write(INSTANCE, rows, SCOPE, writer.now()),
    }
    times: Times = {c: {w: {m: [] for m in MEASURES} for w in runs} for c in cases}
    ours_first = False
    for r in range(-args.warmup, args.rounds):
        for case, rows in cases.items():
            for name in ("ours", "baseline") if ours_first else ("baseline", "ours"):
                reset(writer, base)
                start = (time.perf_counter(), server_cpu(neo4j_pid), time.process_time())
                runs[name](rows)
                wall = time.perf_counter() - start[0]
                server = server_cpu(neo4j_pid) - start[1]
                took = (wall, server, server + time.process_time() - start[2])
                if r >= 0:
                    for m, t in zip(MEASURES, took, strict=True):
                        times[case][name][m].append(t)
                print(
                    f"  round {r + 1} {case:<12} {name:<8} " + ", ".join(f"{t:6.2f}" for t in took),
                    flush=True,
                )
            ours_first = not ours_first
    return times


def report(args: argparse.Namespace, times: Times, load: tuple[float, float]) -> None:
    for case, by in times.items():
        for name, measures in by.items():
            for m, took in measures.items():
                print(f"{case} {name} {m}: " + ", ".join(f"{t:.2f}" for t in took))
    print(
        f"\n{args.instances} instances re-collected, batch {args.batch}, median of "
        f"{args.rounds}; {platform.node()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {load[0]:.1f} before, {load[1]:.1f} after"
    )
    targets = {"unchanged": 1.10, "10% changed": 1.25}
    print(f"{'':12} {'measure':<10} {'baseline s':>10} {'ours s':>8} {'ratio':>6} {'target':>7}")
    for case, by in times.items():
        for m in MEASURES:
            b, o = statistics.median(by["baseline"][m]), statistics.median(by["ours"][m])
            print(f"{case:12} {m:<10} {b:10.2f} {o:8.2f} {o / b:6.2f} {targets[case]:7.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--instances", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1, help="rounds run first, not counted")
    ap.add_argument("--port-base", type=int, default=39000, help="Neo4j on this + 687 and + 474")
    args = ap.parse_args()
    b = args.port_base
    ports = Ports(api=b, bolt=b + 687, http=b + 474, redis=b + 379, moto=b + 500)
    with neo4j_stack(ports, args.batch) as (stack, driver):
        before = os.getloadavg()[0]
        times = measure(args, Writer(driver, "neo4j", args.batch), stack.procs["neo4j"].pid)
        report(args, times, (before, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
