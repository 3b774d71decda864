"""The API at speed: a graph of about 60,000 nodes, one API process (or --workers),
and 1, 8 and 32 concurrent clients on loopback.

Scenarios: a list page of 100 instances (from a random cursor, so that pages come from all
over the index); a filtered list page (state=stopped, also from a random cursor); tag
filters from a random cursor, a common tag (env=prod, a tenth of the instances, as many
as are stopped) and a rare one (owner=alice, 50 of 50,000); a get by uid with its
relationships; a nested GraphQL query (VPCs -> subnets -> instances) of
1,000 leaves.  Prints p50, p99 and requests/s for each, beside a baseline: /healthz, the
cheapest route (what the server itself costs).  The clients are wrk's (a load generator
in C, from Debian): a client in Python would take as much of the two cores as the server.
Three APIs are measured in turn on the same graph: as configured by default (answers of
the kinds' routes kept, api.cache_mb; the share given from the cache is printed; GraphQL
compiled to one statement per query), with no cache (api.cache_mb: 0), every answer read
from Neo4j, and with GraphQL through its resolvers (api.graphql.compile: false), the
baseline of the compiled GraphQL.
Starts its own Neo4j, Redis and APIs.
Usage: python bench/api.py [--seconds 5] [--warm 30] [--workers 1] [--only WORD ...]
[--rounds 1] [--apis configured uncached resolvers]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import Request, urlopen

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)


import httpx
from prometheus_client.parser import text_string_to_metric_families

from api import cursors
from app.config import Settings
from bench.collect_aws import cpu_seconds, machine
from collectors import CATALOG
from dev.stack import Ports, Stack, port_open, wait_until
from graph import schema
from graph.driver import connect

VPCS, SUBNETS_PER_VPC, INSTANCES_PER_SUBNET = 100, 10, 50  # 50,000 instances
# Tags of every share, for tag filters (here and in bench/tags.py): env=prod on a tenth of
# the instances (not the stopped tenth), team-<k> a twentieth each, Name=app <n> a fiftieth,
# cc-<k> a hundredth, owner=alice on 50 and legal-hold=true on one.
TAGS = """['env=' + CASE n % 10 WHEN 1 THEN 'prod' WHEN 2 THEN 'staging' ELSE 'dev' END,
          'Name=app ' + n, 'team=team-' + (s % 20), 'cc=cc-' + (s % 100)]
         + CASE WHEN s % 20 = 0 AND n = 7 THEN ['owner=alice'] ELSE [] END
         + CASE WHEN s = 777 AND n = 7 THEN ['legal-hold=true'] ELSE [] END"""
GRAPHQL = """{ awsVpcs(limit: 4) { uid subnets(first: 5) { uid instances(first: 50) {
  uid state } } } }"""  # 4 x 5 x 50 = 1,000 leaves


def build(settings: Settings) -> int:
    driver = connect(settings.neo4j)
    schema.migrate(driver, CATALOG, "neo4j")
    scope = "account_id: '1', region: 'r', last_seen: datetime(), first_seen: datetime()"
    driver.execute_query(
        "UNWIND range(0, $v - 1) AS v "
        f"CREATE (:AWSVPC {{uid: 'vpc-' + v, name: 'vpc ' + v, {scope}}})",
        v=VPCS,
    )
    driver.execute_query(
        f"""UNWIND range(0, $v * $s - 1) AS s MATCH (v:AWSVPC {{uid: 'vpc-' + (s % $v)}})
        CREATE (v)-[:HAS_SUBNET]->(:AWSSubnet {{uid: 'subnet-' + s, vpc_id: v.uid, {scope}}})""",
        v=VPCS,
        s=SUBNETS_PER_VPC,
    )
    for chunk in range(0, VPCS * SUBNETS_PER_VPC, 100):
        driver.execute_query(
            f"""UNWIND range($from, $to) AS s MATCH (sub:AWSSubnet {{uid: 'subnet-' + s}})
            UNWIND range(0, $i - 1) AS n
            CREATE (sub)-[:HAS_INSTANCE]->(:AWSInstance {{uid: 'i-' + s + '-' + n,
                subnet_id: sub.uid, vpc_id: sub.vpc_id, instance_type: 't3.micro',
                state: CASE WHEN n % 10 = 0 THEN 'stopped' ELSE 'running' END,
                private_ip: '10.' + (s % 250) + '.0.' + n, name: 'app ' + n,
                tags: {TAGS}, {scope}}})""",
            i=INSTANCES_PER_SUBNET,
            **{"from": chunk, "to": chunk + 99},
        )
    count = driver.execute_query("MATCH (n) RETURN count(n) AS c").records[0]["c"]
    driver.close()
    return count


# Each wrk thread goes through the requests from a point of its own; the summary as JSON.
WRK_SCRIPT = """
local paths, at, counter = {}, 0, 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  at = (id or 0) * 997 % #paths
  if args[2] then
    wrk.method = "POST"
    wrk.body = io.open(args[2]):read("*a")
    wrk.headers["Content-Type"] = "application/json"
  end
end
function request() at = at % #paths + 1; return wrk.format(nil, paths[at]) end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"p50": %f, "p99": %f, "requests": %d, "failed": %d, "us": %d}\\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, summary.duration))
end
"""


def measure(
    base: str,
    token: str,
    clients: int,
    seconds: int,
    paths: list[str],
    body: str | None,
    servers: dict[str, int] | None = None,
) -> dict:
    """wrk's p50 and p99 (ms) and requests/s with ``clients`` connections, each sending the
    next of ``paths`` (POSTing ``body`` if given) as soon as its last answer came; and the
    CPU ms per request each of ``servers`` (name: pid) spent meanwhile."""
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    (work / "script.lua").write_text(WRK_SCRIPT)
    (work / "paths").write_text("\n".join(paths) + "\n")
    args = [str(work / "paths")]
    if body is not None:
        (work / "body").write_text(body)
        args.append(str(work / "body"))
    argv = [
        "wrk", "--threads", str(min(clients, 2)), "--connections", str(clients),
        "--duration", f"{seconds}s", "--timeout", "30s",
        "--header", f"Authorization: Bearer {token}",
        "--script", str(work / "script.lua"), base, "--", *args,
    ]  # fmt: skip
    servers = servers or {}
    before = {name: cpu_seconds(pid) for name, pid in servers.items()}
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    cpu = {name: cpu_seconds(pid) - before[name] for name, pid in servers.items()}
    shutil.rmtree(work)
    r = json.loads(out.strip().splitlines()[-1])
    if r["failed"]:
        raise SystemExit(f"{r['failed']} of {r['requests']} requests failed: {out}")
    per_request = {name: 1000 * used / r["requests"] for name, used in cpu.items()}
    return {
        "p50": r["p50"],
        "p99": r["p99"],
        "rps": r["requests"] / (r["us"] / 1e6),
        "cpu": per_request,
    }


def cache_hits(base: str, token: str) -> tuple[float, float]:
    """The API's count of answers given from its cache, and of those read (0s if none)."""
    text = urlopen(Request(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})).read()
    counts = {"hit": 0.0, "miss": 0.0}
    for family in text_string_to_metric_families(text.decode()):
        if family.name == "inventory_api_cache":
            for sample in family.samples:
                if sample.name == "inventory_api_cache_total":
                    counts[sample.labels["result"]] = sample.value
    return counts["hit"], counts["miss"]


# The APIs measured: a title and the environment changing its config.
APIS = {
    "configured": ("API as configured (api.cache_mb: 256, api.graphql.compile: true)", {}),
    "uncached": ("API with no cache (api.cache_mb: 0)", {"INVENTORY_API__CACHE_MB": "0"}),
    "resolvers": (
        "API with GraphQL through its resolvers (api.graphql.compile: false)",
        {"INVENTORY_API__GRAPHQL__COMPILE": "false"},
    ),
}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=5, help="Each measurement's length.")
    ap.add_argument(
        "--warm", type=int, default=30, help="Seconds of 8 clients on each scenario first."
    )
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument(
        "--only", nargs="+", default=[], help="Only the scenarios whose name has one of these."
    )
    ap.add_argument(
        "--rounds", type=int, default=1, help="Measure every scenario this many times in turn."
    )
    ap.add_argument(
        "--apis",
        nargs="+",
        choices=list(APIS),
        default=list(APIS),
        help="The APIs to measure in turn: as configured, without its cache, with GraphQL "
        "through its resolvers (the baseline of the compiled GraphQL).",
    )
    return ap.parse_args()


Scenarios = dict[str, tuple[list[str], str | None]]  # name -> (paths, POST body)


def scenarios(only: list[str]) -> Scenarios:
    """The requests of each scenario (those named with a word of ``only``, if given)."""
    rng = random.Random(7)
    subnets = VPCS * SUBNETS_PER_VPC

    def pages(query: str) -> list[str]:  # pages from anywhere in the uid index
        return [
            f"/api/v1/aws/instances?limit=100{query}&cursor="
            + cursors.encode(f"i-{rng.randrange(subnets)}")
            for _ in range(2000)
        ]

    gets = [
        f"/api/v1/aws/instances/i-{rng.randrange(subnets)}-{rng.randrange(INSTANCES_PER_SUBNET)}"
        for _ in range(2000)
    ]
    every: Scenarios = {
        "baseline /healthz": (["/healthz"], None),
        "list page of 100": (pages(""), None),
        "filtered list page": (pages("&state=stopped"), None),
        "tag filter, common": (pages("&tag=env%3Dprod"), None),
        "tag filter, rare": (pages("&tag=owner%3Dalice"), None),
        "get by uid + links": (gets, None),
        "nested GraphQL, 1,000 leaves": (["/graphql"], json.dumps({"query": GRAPHQL})),
    }
    if not only:
        return every
    return {k: v for k, v in every.items() if any(w in k for w in only)}


def measure_api(
    stack: Stack, neo4j: int, env: dict[str, str], cases: Scenarios, args: argparse.Namespace
) -> None:
    """Start an API (its config changed by ``env``), warm it, and print each scenario's
    figures with each number of clients; then stop it."""
    token = stack.secrets.read_token
    api = stack.inventory("api", "api", "--workers", str(args.workers))
    api.env.update(env)
    servers = {"API": stack.start(api), "Neo4j": neo4j}
    wait_until(lambda: port_open(stack.ports.api), 60, "the API")
    base = f"http://127.0.0.1:{stack.ports.api}"
    # Warm, as a running service is (Neo4j compiles its hot paths in the first
    # seconds), and each route answering 200.
    for paths, body in cases.values():
        if body is not None:  # a GraphQL error still answers 200: none may be measured
            reply = httpx.post(
                base + paths[0], content=body, timeout=60,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )  # fmt: skip
            if reply.status_code != 200 or "errors" in reply.json():
                raise SystemExit(f"{paths[0]} answered {reply.status_code}: {reply.text:.500}")
        measure(base, token, 8, args.warm, paths, body)
    print("CPU: milliseconds of each server's CPU per request; cached: answers kept")
    print(
        f"{'scenario':<30} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}"
        f" {'cached':>7} {'CPU API':>8} {'CPU Neo4j':>9}"
    )
    # With --rounds, scenarios take turns, so that the machine's changes of pace
    # fall on each alike.
    for _, (name, (paths, body)) in itertools.product(range(args.rounds), cases.items()):
        for clients in args.clients:
            hits = cache_hits(base, token)
            r = measure(base, token, clients, args.seconds, paths, body, servers)
            # Counted per process: with more workers, the share is one's only.
            hit, miss = (a - b for a, b in zip(cache_hits(base, token), hits, strict=True))
            cached = f"{100 * hit / (hit + miss):.0f}%" if hit + miss else "-"
            print(
                f"{name:<30} {clients:>7} {r['p50']:>8.1f} {r['p99']:>8.1f}"
                f" {r['rps']:>8.0f} {cached:>7} {r['cpu']['API']:>8.2f}"
                f" {r['cpu']['Neo4j']:>9.2f}",
                flush=True,
            )
    stack.stop("api")


def main() -> None:
    args = parse_args()
    stack = Stack.scratch(
        "inventory-bench-api-", Ports(api=38400, bolt=38187, http=37974, redis=36779)
    )
    try:
        stack.start(stack.redis())
        neo4j = stack.start(stack.neo4j())
        stack.write_config({"api": {"port": stack.ports.api}})
        os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
        settings = Settings()
        t = time.perf_counter()
        nodes = build(settings)
        print(f"built {nodes} nodes in {time.perf_counter() - t:.0f}s", flush=True)
        cases = scenarios(args.only)
        print(
            f"\n{nodes} nodes; API: {args.workers} worker process(es); clients: wrk "
            f"(keep-alive); {machine()}"
        )
        for name in args.apis:
            title, env = APIS[name]
            print(f"\n{title}")
            measure_api(stack, neo4j, env, cases, args)
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
