"""The API at speed: a graph of about 60,000 nodes, one API process (or --workers),
and 1, 8 and 32 concurrent clients on loopback.

Scenarios: a list page of 100 instances (from a random cursor, so that pages come from all
over the index); a filtered list page (state=stopped, also from a random cursor); a get by
uid with its relationships; a nested GraphQL query (VPCs -> subnets -> instances) of
1,000 leaves.  Prints p50, p99 and requests/s for each, beside a baseline: /healthz, the
cheapest route (what the server and the client themselves cost).  Starts its own Neo4j,
Redis and API.  Usage: python bench/api.py [--requests 400] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from api import cursors
from app.config import Settings
from collectors import CATALOG
from dev.stack import Ports, Stack, port_open, wait_until
from graph import schema
from graph.driver import connect

VPCS, SUBNETS_PER_VPC, INSTANCES_PER_SUBNET = 100, 10, 50  # 50,000 instances
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
                tags: ['env=prod', 'Name=app ' + n], {scope}}})""",
            i=INSTANCES_PER_SUBNET,
            **{"from": chunk, "to": chunk + 99},
        )
    count = driver.execute_query("MATCH (n) RETURN count(n) AS c").records[0]["c"]
    driver.close()
    return count


async def measure(base: str, headers: dict, clients: int, requests: int, call) -> dict:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        await call(client)  # warm up

        async def one(n: int) -> None:
            for _ in range(n):
                start = time.perf_counter()
                reply = await call(client)
                latencies.append((time.perf_counter() - start) * 1000)
                assert reply.status_code == 200, reply.text[:300]

        start = time.perf_counter()
        share = requests // clients
        await asyncio.gather(*(one(share) for _ in range(clients)))
        wall = time.perf_counter() - start
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)],
        "rps": len(latencies) / wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=640)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    args = ap.parse_args()
    stack = Stack.scratch(
        "inventory-bench-api-", Ports(api=38400, bolt=38187, http=37974, redis=36779)
    )
    try:
        stack.start(stack.redis())
        stack.start(stack.neo4j())
        stack.write_config({"api": {"port": stack.ports.api}})
        os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
        settings = Settings()
        t = time.perf_counter()
        nodes = build(settings)
        print(f"built {nodes} nodes in {time.perf_counter() - t:.0f}s", flush=True)
        api = stack.inventory("api", "api", "--workers", str(args.workers))
        stack.start(api)
        wait_until(lambda: port_open(stack.ports.api), 60, "the API")
        base = f"http://127.0.0.1:{stack.ports.api}"
        headers = {"Authorization": f"Bearer {stack.secrets.read_token}"}
        rng = random.Random(7)
        uids = [f"i-{s}-{n}" for s in range(0, VPCS * SUBNETS_PER_VPC, 7) for n in (0, 3)]

        def cursor() -> str:  # a page from anywhere in the uid index
            return cursors.encode(f"i-{rng.randrange(VPCS * SUBNETS_PER_VPC)}")

        scenarios = {
            "baseline /healthz": lambda c: c.get("/healthz"),
            "list page of 100": lambda c: c.get(
                "/api/v1/aws/instances", params={"limit": 100, "cursor": cursor()}
            ),
            "filtered list page": lambda c: c.get(
                "/api/v1/aws/instances",
                params={"limit": 100, "state": "stopped", "cursor": cursor()},
            ),
            "get by uid + links": lambda c: c.get(f"/api/v1/aws/instances/{rng.choice(uids)}"),
            "nested GraphQL, 1,000 leaves": lambda c: c.post("/graphql", json={"query": GRAPHQL}),
        }
        print(
            f"\n{nodes} nodes; API: {args.workers} worker process(es); "
            f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )
        print(f"{'scenario':<30} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
        for name, call in scenarios.items():
            for clients in args.clients:
                requests = args.requests // 4 if "GraphQL" in name else args.requests
                r = asyncio.run(measure(base, headers, clients, requests, call))
                print(
                    f"{name:<30} {clients:>7} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['rps']:>8.0f}",
                    flush=True,
                )
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
