"""AWS collection end to end: a moto estate of 2 accounts x 3 regions (2,000+ instances,
and per region buckets, load balancers and Lambda functions, per account hosted zones:
the kinds with a detail call per item) collected by one worker process with 1 and then 4
threads.

Each timed collection starts on an emptied graph, after ``--warm-up`` untimed ones: on a
fresh Neo4j the same collection took up to twice as long (its JVM and plan cache cold,
which a long-lived server's are not).
Prints wall time, AWS API calls (counted by a proxy in front of moto, which may add a
delay to every call, as a far endpoint does), the longest sequential chain of calls,
nodes and links written, and the worker's peak RSS.  Starts its own Redis, Neo4j and
moto on ports of its own.
With ``--baseline REV`` a worker running that commit's code (its tree from ``git archive``)
collects the same estate on the same servers before ours, at each thread count, and the
speed-up is printed.
Usage: python bench/collect_aws.py [--per-region 340] [--details 24] [--delay-ms 100]
       [--threads 1 4] [--warm-up 1] [--baseline REV]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app.config import Settings
from dev.demo import aws as demo
from dev.demo import aws_dns, aws_network, aws_services
from dev.loopback import LoopbackServer
from dev.programs import ROOT
from dev.stack import Ports, Stack
from graph import schema
from tests.faultproxy import FaultProxy
from worker.records import totals
from worker.runtime import Runtime

P = TypeVar("P", bound=LoopbackServer)

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


def seed_details(moto: str, count: int) -> dict[str, int]:
    """Per account and region ``count`` buckets, application load balancers (a target
    group each, with instances in it), Lambda functions and ``count // 4`` classic ELBs;
    per account ``count`` hosted zones (a quarter private) of 3 records each."""
    made: Counter[str] = Counter()
    for owner, role in (("main", None), ("shop", demo.ROLE)):
        session = demo.session(moto, role)
        lambda_role = aws_services.lambda_role(session.client("iam", endpoint_url=moto), owner)
        for region in REGIONS:
            made += _region_details(session, moto, region, owner, count, lambda_role)
        route53 = session.client("route53", endpoint_url=moto)
        ec2 = session.client("ec2", region_name=REGIONS[0], endpoint_url=moto)
        vpc = ec2.describe_vpcs()["Vpcs"][-1]["VpcId"]
        for n in range(count):
            name = f"z{n}.{owner}.example.com"
            private = {"VPC": {"VPCRegion": REGIONS[0], "VPCId": vpc}} if n % 4 == 0 else {}
            records = [aws_dns.record(r, "A", f"10.1.{n}.{i}") for i, r in enumerate("abc")]
            aws_dns.zone(route53, name, records, **private)
            made["hosted zones"] += 1
    return dict(made)


def _region_details(
    session: Any, moto: str, region: str, owner: str, count: int, role: str
) -> Counter[str]:
    client = lambda service: session.client(service, region_name=region, endpoint_url=moto)  # noqa: E731
    ec2, elbv2, elb, s3, lam = map(client, ("ec2", "elbv2", "elb", "s3", "lambda"))
    vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault"))
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    subnet_ids = [s["SubnetId"] for s in subnets][:2]
    reply = ec2.describe_instances(Filters=[{"Name": "vpc-id", "Values": [vpc]}], MaxResults=20)
    instances = [i["InstanceId"] for r in reply["Reservations"] for i in r["Instances"]]
    account = session.client("sts", endpoint_url=moto).get_caller_identity()["Account"]
    package = {"ZipFile": _package()}
    for n in range(count):
        bucket: dict[str, Any] = {"Bucket": f"b{n}-{owner}-{account}-{region}"}
        if region != "us-east-1":
            bucket["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**bucket)
        group = aws_network.application_load_balancer(elbv2, f"{owner}-lb{n}", subnet_ids, vpc)
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": instances[n % 20]}])
        lam.create_function(
            FunctionName=f"{owner}-fn{n}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handle",
            Code=package,
            Tags={"owner": owner},
        )
        if n % 4 == 0:
            elb.create_load_balancer(
                LoadBalancerName=f"{owner}-classic{n}",
                Subnets=subnet_ids,
                Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
            )
    return Counter(buckets=count, **{"load balancers": count + (count + 3) // 4}, functions=count)


def _package() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return out.getvalue()


def longest_chain(timeline: list[tuple[str, str, str, float, float]]) -> dict[str, Any]:
    """The longest chain of calls of one account, region and service (so of one kind's
    collection in one scope, mostly) in which each call began after the one before had
    ended: calls that waited for one another.  Its length, its seconds, whose it is."""
    groups: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for key, region, service, start, end in timeline:
        groups[(key, region, service)].append((start, end))
    best: dict[str, Any] = {"calls": 0, "seconds": 0.0, "of": "-"}
    for (_, region, service), calls in groups.items():
        calls.sort(key=lambda c: c[1])
        ends = [end for _, end in calls]
        upto: list[tuple[int, float]] = []  # the longest chain among the calls so far
        for start, end in calls:
            j = bisect_right(ends, start)  # the calls that ended before this one began
            before = upto[j - 1] if j else (0, 0.0)
            chain = (before[0] + 1, before[1] + end - start)
            upto.append(max(upto[-1], chain) if upto else chain)
        if upto and upto[-1] > (best["calls"], best["seconds"]):
            best = {"calls": upto[-1][0], "seconds": upto[-1][1], "of": f"{service} {region}"}
    return best


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
    """How many tasks a collection's tree holds, how many failed, what they wrote, and the
    changes they recorded per task name (``aws:collect-vpcs: 3 created``)."""
    failed = Counter(r["state"] for r in tree)["failed"]
    changed: dict[str, Counter[str]] = defaultdict(Counter)
    for r in tree:
        changed[r["task"]].update((r.get("result") or {}).get("changes") or {})
    changes = {task: dict(c) for task, c in sorted(changed.items()) if c}
    return {"tasks": len(tree), "failed": failed, "changes": changes, **totals(tree)}


@contextlib.contextmanager
def moto_stack(
    prefix: str,
    ports: Ports,
    proxy_class: type[P] = FaultProxy,  # type: ignore[assignment]
) -> Iterator[tuple[Stack, P]]:
    """A scratch stack running Redis, moto and Neo4j, and a proxy in front of moto that
    counts the calls (a ``proxy_class``); both stopped (and the stack's folder deleted) on
    the way out."""
    stack = Stack.scratch(prefix, ports)
    try:
        for service in (stack.redis(), stack.moto(), stack.neo4j()):
            stack.start(service)
        proxy = proxy_class(f"http://127.0.0.1:{ports.moto}")
        try:
            yield stack, proxy
        finally:
            proxy.stop()
    finally:
        stack.discard()


def run(stack: Stack, rt: Runtime, proxy: FaultProxy, threads: int, code: Path = ROOT) -> dict:
    """One timed collection on an emptied graph by a worker running the code in ``code``
    (this checkout, or a baseline's tree)."""
    empty_graph(rt)
    name = f"worker-{threads}"
    worker = stack.inventory(name, "worker", "--processes", "1", "--threads", str(threads))
    worker.cwd = code
    pid = stack.start(worker)
    time.sleep(3)  # the forked worker process imports the app
    proxy.calls = 0
    proxy.timeline = []
    tree, wall = collection(rt, "aws:collect-all", timeout=1200)
    chain = longest_chain(proxy.timeline)
    rss = peak_rss_mb(pid)
    stack.stop(name)
    return {
        "threads": threads,
        "wall": wall,
        "calls": proxy.calls,
        "rss": rss,
        "chain": chain,
        **outcome(tree),
    }


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """The tree of commit ``rev`` of this repository in a scratch folder (a baseline's
    code: its worker runs there, on this checkout's Python environment)."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True)
    if archive.returncode:
        raise SystemExit(f"--baseline {rev}: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="inventory-baseline-") as folder:
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield Path(folder)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-region", type=int, default=340)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--details", type=int, default=24, help="buckets, balancers... a region")
    ap.add_argument("--delay-ms", type=float, default=0, help="added to every AWS call")
    ap.add_argument("--port-offset", type=int, default=0, help="two benches side by side")
    ap.add_argument(
        "--warm-up",
        type=int,
        default=1,
        help="untimed collections first (Neo4j's JVM and plan cache warm, as a long-lived "
        "server's are); 0: the first timed run is a fresh Neo4j's",
    )
    ap.add_argument(
        "--baseline",
        metavar="REV",
        help="a commit whose code collects too, before ours at each thread count, on the "
        "same servers and estate (its tree from git archive)",
    )
    ap.add_argument(
        "--detail-concurrency",
        type=int,
        help="1: the detail calls one by one (default: the config's)",
    )
    args = ap.parse_args()
    o = args.port_offset
    ports = Ports(api=38100 + o, bolt=37787 + o, http=37574 + o, redis=36479 + o, moto=35100 + o)
    with contextlib.ExitStack() as scope:
        sides = [("ours", ROOT)]
        if args.baseline:  # checked out first: a wrong REV fails before the seeding
            sides.insert(0, (args.baseline, scope.enter_context(checkout(args.baseline))))
        stack, proxy = scope.enter_context(moto_stack("inventory-bench-aws-", ports))
        t = time.perf_counter()
        made = seed(f"http://127.0.0.1:{ports.moto}", args.per_region)
        details = seed_details(f"http://127.0.0.1:{ports.moto}", args.details)
        print(f"seeded {made} instances, {details} in {time.perf_counter() - t:.0f}s", flush=True)
        proxy.delay = args.delay_ms / 1000
        accounts = demo.accounts_config(proxy.url)
        for a in accounts:
            a["regions"] = REGIONS
        aws: dict[str, Any] = {"accounts": accounts}
        if args.detail_concurrency is not None:  # unset: a tree older than the setting runs too
            aws["detail_concurrency"] = args.detail_concurrency
        rt = runtime(stack, {"aws": aws, "tasks": {"max_retries": 0}})
        for _ in range(args.warm_up):
            for label, code in sides:  # the baseline first at each thread count
                warm = run(stack, rt, proxy, max(args.threads), code)
                print(
                    f"warm-up collection, {label}, {warm['threads']} threads: {warm['wall']:.1f}s",
                    flush=True,
                )
        results = [
            (label, run(stack, rt, proxy, n, code)) for n in args.threads for label, code in sides
        ]
        print(f"\n{made} instances, {details}, 2 accounts x {len(REGIONS)} regions")
        print(f"{args.delay_ms:.0f} ms added to every call; {machine()}")
        print(
            f"{'code':>9} {'threads':>7} {'wall s':>7} {'API calls':>9} {'chain':>5} "
            f"{'chain s':>7} {'tasks':>5} {'nodes':>6} {'links':>6} {'peak RSS MB':>11} "
            f"{'failed':>6}  chain of"
        )
        for label, r in results:
            c = r["chain"]
            print(
                f"{label[:9]:>9} {r['threads']:>7} {r['wall']:>7.1f} {r['calls']:>9} "
                f"{c['calls']:>5} {c['seconds']:>7.1f} {r['tasks']:>5} "
                f"{r.get('nodes_written', 0):>6} {r.get('links_written', 0):>6} "
                f"{r['rss']:>11.0f} {r['failed']:>6}  {c['of']}"
            )
        if args.baseline:
            for n in args.threads:
                base, ours = (r["wall"] for _, r in results if r["threads"] == n)
                print(f"{n} threads: ours {base / ours:.2f}x faster than {args.baseline}")
        rt.close()


if __name__ == "__main__":
    main()
