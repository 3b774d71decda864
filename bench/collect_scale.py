"""Scale, side by side with Cartography: a moto estate of 30 accounts (all but one reached
by assumed role) x 3 regions, 10,000 instances in all with their subnets, interfaces,
security groups, load balancers (each with a target group) and images, and issue 21's
kinds (bench/scale_services.py: per account and region 5 Elastic IPs, 4 snapshots, 3
NAT gateways, DB instances, Lambda functions and Auto Scaling groups; per account 4
Route53 zones of 8 records), behind a loopback proxy adding 100 ms to every call which,
from the second run of each tool on, answers the reads it has seen from what moto answered
then (bench/replay.py): the runs compared time the tools, not the simulator.

Measures, in one run: this project's full collection, twice (wall time, API calls, tasks
and each process's CPU seconds of each run, peak RSS of each worker process) with a pool
per priority, and Cartography's, twice (installed from PyPI into a virtualenv under
~/.cache/inventory/bench, into a Neo4j of its own); the second runs, over the graph the
first made, are compared (Cartography's first into an empty graph misses some edges;
the first runs also pay a cold Neo4j's query planning and JIT); and checks
both graphs' counts of instances, subnets, VPCs, security groups and load balancers
against the estate, and ours of every kind of issue 21 the catalog has against what was
seeded and what moto lists.  Prints each run's share of answers replayed and moto's
CPU seconds in it (near zero once replayed), and each tool's CPU seconds per 1,000
resources in its second run: our workers, Neo4j and Redis; Cartography's process and its
Neo4j.  Usage: python bench/collect_scale.py [--accounts 30]
[--instances 10000] [--per-scope 3] [--delay 0.1] [--threads 8] [--seed-threads 4]
[--no-cartography] [--no-replay] [--profile DIR]

Here, our runs and the order of the whole; the estate is bench/scale_estate.py's,
Cartography's runs bench/scale_cartography.py's, what is measured bench/scale_measure.py's
and the report bench/scale_report.py's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app.config import QUEUES
from bench import scale_services as services
from bench.collect_aws import collection, moto_stack, outcome, peak_rss_each, runtime
from bench.replay import ReplayProxy
from bench.scale_cartography import cartography
from bench.scale_estate import MAIN, REGIONS, account_ids, estate, seed
from bench.scale_measure import cpu_now, cpu_used, graph_counts, load
from bench.scale_report import report
from bench.spy import Profiler
from collectors import CATALOG
from dev.stack import Ports, Secrets, Stack
from worker.runtime import Runtime

# What our graph must count as the estate does: name -> labels (Cartography's:
# bench/scale_cartography.py).
OUR_LABELS = {
    "instances": ["AWSInstance"],
    "subnets": ["AWSSubnet"],
    "vpcs": ["AWSVPC"],
    "security_groups": ["AWSSecurityGroup"],
    "load_balancers": ["AWSLoadBalancer"],
    # Issue 21's kinds, those the catalog has (the bench collects whatever aws:collect-all
    # fans out to: every kind of the catalog).
    **{
        name: labels
        for name, labels in services.LABELS.items()
        if all(label in {k.label for k in CATALOG.provider_kinds("aws")} for label in labels)
    },
}


def accounts_config(proxy: ReplayProxy, accounts: list[str]) -> list[dict[str, Any]]:
    """Our ``aws.accounts``: moto's own account with keys, the others by assumed role."""
    return [
        {
            "name": f"acct-{account}",
            "endpoint_url": proxy.url,
            "regions": REGIONS,
            "access_key_id": "testing",
            "secret_access_key": "testing",
            **(
                {"role_arn": f"arn:aws:iam::{account}:role/inventory-reader"}
                if account != MAIN
                else {"account_id": MAIN}
            ),
        }
        for account in accounts
    ]


def ours(
    stack: Stack,
    proxy: ReplayProxy,
    accounts: list[str],
    threads: int,
    servers: dict[str, int],
    profile: Path | None = None,
) -> dict:
    """Our two runs; with ``profile``, the second one's worker pools sampled by py-spy
    (their stacks written there) and the top costs printed."""
    config = {"aws": {"accounts": accounts_config(proxy, accounts)}}
    rt = runtime(stack, {**config, "tasks": {"worker_threads": threads}})
    pools = {name: stack.start(stack.worker(f"worker-{name}", pool=name)) for name in QUEUES}
    time.sleep(5)  # the forked worker processes import the app
    watched = {**servers, **{f"workers {name}": pid for name, pid in pools.items()}}
    runs = []
    for n in (1, 2):  # into the empty graph, then again over it, as Cartography's runs
        spy = Profiler(pools, profile) if profile and n == 2 else None
        runs.append(our_run(rt, proxy, watched))
        print(f"  ours, run {n}: {runs[-1]['wall']:.0f}s, {load()}", flush=True)
        if spy:
            print(f"  the workers' CPU in run 2 (py-spy, {profile}):\n{spy.stop()}", flush=True)
    rss = {name: peak_rss_each(pid) for name, pid in pools.items()}
    for name in pools:
        stack.stop(f"worker-{name}")
    counts = graph_counts(rt.driver, OUR_LABELS)
    rt.close()
    return {"runs": runs, "rss": rss, "counts": counts}


def our_run(rt: Runtime, proxy: ReplayProxy, watched: dict[str, int]) -> dict[str, Any]:
    """One full collection: its wall time, API calls (and how many were replayed), tasks,
    writes and CPU seconds."""
    proxy.count()
    cpu = cpu_now(watched)
    tree, wall = collection(rt, "aws:collect-all", timeout=3600, priority="high")
    cpu = cpu_used(cpu, watched)
    calls, replayed = proxy.count()
    return {"wall": wall, "calls": calls, "replayed": replayed, "cpu": cpu, **outcome(tree)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=30)
    ap.add_argument("--instances", type=int, default=10_000)
    ap.add_argument("--per-scope", type=int, default=3, help="NAT gateways, DB instances, ...")
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seed-threads", type=int, default=4)
    ap.add_argument("--no-cartography", action="store_true")
    ap.add_argument(
        "--profile", type=Path, help="Sample our workers' second run with py-spy, here."
    )
    ap.add_argument(
        "--no-replay", action="store_true", help="Every call to moto, as before bench/replay.py."
    )
    args = ap.parse_args()
    accounts = account_ids(args.accounts)
    # Below Linux's ephemeral ports (32768-60999), which the seeding's thousands of
    # connections to moto take at random: a listener there once found its port in use.
    ports = Ports(api=30500, bolt=30287, http=30074, redis=30879, moto=30200, metrics=30300)
    with moto_stack("inventory-bench-scale-", ports, ReplayProxy) as (stack, proxy):
        moto = f"http://127.0.0.1:{ports.moto}"
        t = time.perf_counter()
        made = seed(moto, accounts, args.instances, args.per_scope, args.seed_threads)
        print(f"seeded in {time.perf_counter() - t:.0f}s: {dict(made)}", flush=True)
        want = estate(moto, accounts, args.seed_threads)
        proxy.delay = args.delay
        proxy.replay = not args.no_replay
        servers = {name: stack.procs[name].pid for name in ("moto", "redis", "neo4j")}
        mine = ours(stack, proxy, accounts, args.threads, servers, args.profile)
        carto = None
        if not args.no_cartography:
            theirs = Stack(stack.home / "cartography", Ports(bolt=30387, http=30174), Secrets())
            try:
                servers["neo4j"] = theirs.start(theirs.neo4j())
                carto = cartography(theirs, proxy, accounts, stack.home, servers)
            finally:
                theirs.stop_all()
        report(args, made, want, mine, carto)


if __name__ == "__main__":
    main()
