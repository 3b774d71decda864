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
"""

from __future__ import annotations

import argparse
import concurrent.futures  # its ThreadPoolExecutor imports queue: used after sys.path is set
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import boto3

from app.config import QUEUES, Neo4jConfig
from bench import scale_services as services
from bench.collect_aws import (
    collection,
    cpu_seconds,
    machine,
    moto_stack,
    outcome,
    peak_rss_each,
    runtime,
)
from bench.replay import ReplayProxy
from bench.spy import Profiler
from bench.tools import installed
from collectors import CATALOG
from dev.demo import aws as demo
from dev.stack import Ports, Secrets, Stack
from graph.driver import connect
from worker.runtime import Runtime

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]
MAIN = "123456789012"  # moto's own account: the one reached with keys
CARTOGRAPHY = "cartography==0.143.*"
CARTOGRAPHY_SYNCS = (
    "ec2:instance,ec2:images,ec2:security_group,ec2:subnet,ec2:load_balancer,"
    "ec2:load_balancer_v2,ec2:network_interface,ec2:vpc,s3"
)


def account_ids(n: int) -> list[str]:
    return [MAIN] + [f"{200000000000 + i:012d}" for i in range(1, n)]


def session(moto: str, account: str) -> boto3.Session:
    base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    if account == MAIN:
        return base
    creds = base.client("sts", region_name=REGIONS[0], endpoint_url=moto).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/inventory-reader", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def seed(
    moto: str, accounts: list[str], instances: int, per_scope: int, threads: int
) -> Counter[str]:
    """The estate, an account per thread: what was made."""
    per_region = instances // (len(accounts) * len(REGIONS))
    extra = instances - per_region * len(accounts) * len(REGIONS)
    done: list[str] = []

    def one(account: str) -> Counter[str]:
        counts = [
            per_region + (extra if account == accounts[0] and r == 0 else 0)
            for r in range(len(REGIONS))
        ]
        made = seed_account(moto, account, counts, per_scope)
        done.append(account)
        print(f"  seeded account {len(done)}/{len(accounts)}", flush=True)
        return made

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, accounts), Counter())


def seed_account(moto: str, account: str, counts: list[int], per_scope: int) -> Counter[str]:
    """A bucket; per region the core and the services; Route53 zones pointing at them."""
    s = session(moto, account)
    s3 = s.client("s3", region_name=REGIONS[0], endpoint_url=moto)
    s3.create_bucket(Bucket=f"bench-{account}")
    role = services.lambda_role(s, moto)
    made: Counter[str] = Counter()
    ips, lbs = [], []
    for region, count in zip(REGIONS, counts, strict=True):
        scope, lb = seed_region(s, moto, region, count)
        made["instances"] += len(scope.instances)
        made["snapshots"] += 1  # moto snapshots the root volume of the image made there
        more, region_ips = services.seed_scope(scope, per_scope, role)
        made += more
        ips += region_ips
        lbs.append(lb)
    return made + services.seed_dns(s, moto, account, ips, lbs)


def seed_region(s: boto3.Session, moto: str, region: str, count: int) -> tuple[services.Scope, str]:
    """A VPC of two subnets, ``count`` instances in one security group, an application
    load balancer routing to five of them, and an image of the first: what the services
    need, and the load balancer's DNS name."""
    ec2 = s.client("ec2", region_name=region, endpoint_url=moto)
    image = next(
        i["ImageId"]
        for i in ec2.describe_images(Owners=["amazon"])["Images"]
        if not i.get("Platform")
    )
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zones[n])["Subnet"][
            "SubnetId"
        ]
        for n, cidr in enumerate(("10.0.0.0/18", "10.0.64.0/18"))
    ]
    group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)
    made: list[str] = []
    while len(made) < count:
        n = min(100, count - len(made))
        reply = ec2.run_instances(
            ImageId=image,
            MinCount=n,
            MaxCount=n,
            InstanceType="t3.micro",
            SubnetId=subnets[len(made) // 100 % 2],
            SecurityGroupIds=[group["GroupId"]],
        )
        made += [i["InstanceId"] for i in reply["Instances"]]
    elbv2 = s.client("elbv2", region_name=region, endpoint_url=moto)
    target = demo.application_load_balancer(elbv2, "web", subnets, vpc)
    elbv2.register_targets(TargetGroupArn=target, Targets=[{"Id": i} for i in made[:5]])
    ec2.create_image(InstanceId=made[0], Name=f"golden-{region}")
    lb = elbv2.describe_load_balancers(Names=["web"])["LoadBalancers"][0]["DNSName"]
    return services.Scope(s, moto, region, vpc, subnets, group["GroupId"], made, image), lb


def estate(moto: str, accounts: list[str], threads: int) -> Counter[str]:
    """What moto holds, counted directly (no proxy), an account per thread."""
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(lambda account: estate_account(moto, account), accounts), Counter())


def estate_account(moto: str, account: str) -> Counter[str]:
    out: Counter[str] = Counter()
    s = session(moto, account)
    for region in REGIONS:
        ec2 = s.client("ec2", region_name=region, endpoint_url=moto)
        out["instances"] += sum(
            1
            for p in ec2.get_paginator("describe_instances").paginate()
            for r in p["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        )
        out["subnets"] += len(ec2.describe_subnets()["Subnets"])
        out["vpcs"] += len(ec2.describe_vpcs()["Vpcs"])
        out["security_groups"] += len(ec2.describe_security_groups()["SecurityGroups"])
        elbv2 = s.client("elbv2", region_name=region, endpoint_url=moto)
        elb = s.client("elb", region_name=region, endpoint_url=moto)
        out["load_balancers"] += len(elbv2.describe_load_balancers()["LoadBalancers"]) + len(
            elb.describe_load_balancers()["LoadBalancerDescriptions"]
        )
        out += services.count_scope(s, moto, region, account)
    return out + services.count_dns(s, moto)


def graph_counts(driver: Any, labels: dict[str, list[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for name, names in labels.items():
        for label in names:
            out[name] += driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS c").records[0][
                "c"
            ]
    return out


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process tree, by this process (the proxy
    and the polling) and by the children it has waited for (Cartography)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        **{name: cpu_seconds(pid) for name, pid in pids.items()},
        "bench (proxy, polling)": time.process_time(),
        "waited children": children.ru_utime + children.ru_stime,
    }


def cpu_used(before: dict[str, float], pids: dict[str, int]) -> dict[str, float]:
    after = cpu_now(pids)
    return {name: after[name] - before[name] for name in before if after[name] > before[name]}


# What both graphs must count as the estate does: name -> labels (ours, Cartography's).
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
CARTOGRAPHY_LABELS = {
    "instances": ["EC2Instance"],
    "subnets": ["EC2Subnet"],
    "vpcs": ["AWSVpc"],
    "security_groups": ["EC2SecurityGroup"],
    "load_balancers": ["LoadBalancerV2", "LoadBalancer"],
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


def install_cartography() -> tuple[Path, str]:
    """Cartography's virtualenv (made and installed into on first use) and its version."""
    venv = installed("cartography-venv", CARTOGRAPHY, "cartography")
    version = subprocess.run(
        [str(venv / "bin" / "pip"), "show", "cartography"], capture_output=True, text=True
    ).stdout.split("\n")[1]
    return venv, version


def cartography_env(stack: Stack, proxy: ReplayProxy, accounts: list[str]) -> dict[str, str]:
    """Cartography's environment: an AWS profile per account (keys for moto's own, a role
    for the others) in a config of its own under ``stack.home``, every call to ``proxy``."""
    aws = stack.home / "aws"
    aws.mkdir(exist_ok=True)
    profiles = [
        "[profile acct-0]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        f"region = {REGIONS[0]}\n"
    ] + [
        f"[profile acct-{n}]\nrole_arn = arn:aws:iam::{account}:role/inventory-reader\n"
        f"source_profile = acct-0\nregion = {REGIONS[0]}\n"
        for n, account in enumerate(accounts)
        if account != MAIN
    ]
    (aws / "config").write_text("\n".join(profiles))
    (aws / "credentials").write_text("")
    env = {
        **os.environ,
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_ENDPOINT_URL": proxy.url,
        "NEO4J_PASSWORD": stack.secrets.neo4j_password,
    }
    env.pop("INVENTORY_CONFIG", None)
    return env


def cartography(
    stack: Stack, proxy: ReplayProxy, accounts: list[str], home: Path, servers: dict[str, int]
) -> dict[str, Any]:
    """Cartography's two runs into ``stack``'s Neo4j (their logs in ``home``)."""
    venv, version = install_cartography()
    env = cartography_env(stack, proxy, accounts)
    argv = [
        str(venv / "bin" / "cartography"),
        "--neo4j-uri", f"bolt://127.0.0.1:{stack.ports.bolt}",
        "--neo4j-user", "neo4j",
        "--neo4j-password-env-var", "NEO4J_PASSWORD",
        "--selected-modules", "create-indexes,aws",
        "--aws-sync-all-profiles",
        "--aws-regions", ",".join(REGIONS),
        "--aws-requested-syncs", CARTOGRAPHY_SYNCS,
    ]  # fmt: skip
    walls, calls, cpus = [], [], []
    for run in (1, 2):
        proxy.count()
        log = home / f"cartography-{run}.log"
        cpu = cpu_now(servers)
        start = time.perf_counter()
        with log.open("w") as out:
            code = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_used(cpu, servers))
        calls.append(proxy.count())
        print(
            f"  cartography run {run}: {walls[-1]:.0f}s, exit {code}, {load()}, log {log}",
            flush=True,
        )
    neo4j = Neo4jConfig(
        uri=f"bolt://127.0.0.1:{stack.ports.bolt}", password=stack.secrets.neo4j_password
    )
    driver = connect(neo4j)
    counts = graph_counts(driver, CARTOGRAPHY_LABELS)
    driver.close()
    return {"version": version, "walls": walls, "calls": calls, "counts": counts, "cpu": cpus}


def load() -> str:
    """The time and the load average, for each run's line: the bench shares the machine."""
    return f"at {time.strftime('%H:%M:%S')} load average " + " ".join(
        f"{x:.1f}" for x in os.getloadavg()
    )


def cpu_line(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())


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


if __name__ == "__main__":
    main()
