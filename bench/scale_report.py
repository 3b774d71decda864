"""collect_scale's report: the estate and each tool's count of it, each run's wall time,
API calls (and the share replayed) and CPU seconds, peak RSS, CPU seconds per 1,000
resources, and the ratio of the tools' wall times.
"""

from __future__ import annotations

import argparse
from collections import Counter

from bench.collect_aws import machine
from bench.scale_cartography import CARTOGRAPHY_LABELS
from bench.scale_estate import REGIONS
from bench.scale_measure import load


def report(
    args: argparse.Namespace, made: Counter[str], want: Counter[str], mine: dict, carto: dict | None
) -> None:
    print(
        f"\n{args.accounts} accounts ({args.accounts - 1} by assumed role) x {len(REGIONS)} "
        f"regions, {want['instances']} instances; {args.delay * 1000:.0f} ms added to every "
        f"call; {machine()}; {load()}"
    )
    print(f"\n{'kind':<20} {'seeded':>7} {'moto':>7} {'ours':>7}")
    for name in want:
        got = mine["counts"].get(name, "-")  # "-": no kind in the catalog
        print(f"{name:<20} {made.get(name, '-'):>7} {want[name]:>7} {got:>7}")
    same = all(
        mine["counts"][name] == want[name] == made.get(name, want[name]) for name in mine["counts"]
    )
    print(f"ours: {'OK' if same else 'DIFFERS'} (the graph holds what moto lists and was seeded)")
    for n, run in enumerate(mine["runs"], 1):
        print(
            f"ours, run {n}: {run['wall']:.1f}s wall, {run['calls']} API calls "
            f"({share(run['replayed'], run['calls'])} replayed), {run['tasks']} tasks "
            f"({run['failed']} failed), {run.get('nodes_written', 0)} nodes and "
            f"{run.get('links_written', 0)} links written; 3 pools x 1 process "
            f"x {args.threads} threads"
        )
        print("  CPU seconds: " + cpu_line(run["cpu"]))
        print(f"  changes recorded: {run['changes'] or 'none'}")
    for name, procs in mine["rss"].items():
        print(f"  peak RSS, pool {name}: " + ", ".join(f"{v:.0f} MB" for v in procs.values()))
    resources = sum(want.values())
    ours_cpu = mine["runs"][1]["cpu"]
    workers = sum(v for k, v in ours_cpu.items() if k.startswith("workers"))
    mine_per = per_thousand(
        {"workers": workers, "Neo4j": ours_cpu.get("neo4j", 0), "Redis": ours_cpu.get("redis", 0)},
        resources,
    )
    print(f"CPU seconds per 1,000 resources ({resources} in the estate), second run: {mine_per}")
    if not carto:
        return
    counts = carto["counts"]
    same = all(counts[name] == want[name] for name in CARTOGRAPHY_LABELS)
    print(f"cartography: {dict(counts)}  {'OK' if same else 'DIFFERS'}")
    for n, (wall, (calls, replayed), cpu) in enumerate(
        zip(carto["walls"], carto["calls"], carto["cpu"], strict=True), 1
    ):
        print(
            f"cartography {carto['version']}, run {n}: {wall:.1f}s wall, {calls} API calls "
            f"({share(replayed, calls)} replayed)"
        )
        print("  CPU seconds: " + cpu_line(cpu))
    theirs = carto["cpu"][1]
    theirs_per = per_thousand(
        {"process": theirs.get("waited children", 0), "Neo4j": theirs.get("neo4j", 0)}, resources
    )
    print(f"  CPU seconds per 1,000 resources, second run: {theirs_per}")
    walls = [run["wall"] for run in mine["runs"]]
    print(
        f"\nratio, second runs (graph in place): {carto['walls'][1] / walls[1]:.1f}x; "
        f"first runs (empty graph): {carto['walls'][0] / walls[0]:.1f}x"
    )


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def per_thousand(cpu: dict[str, float], resources: int) -> str:
    """CPU seconds per 1,000 resources of each part and in all."""
    parts = {**cpu, "in all": sum(cpu.values())}
    return ", ".join(f"{name} {1000 * v / resources:.2f}" for name, v in parts.items())


def cpu_line(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())
