"""Reports over a large graph: the first page of every report, timed.

Builds a synthetic graph of about 60,000 nodes (AWS and vSphere kinds with their
relationships, a share of each kind being what some report finds), migrates the schema
(with the indexes reports ask for), then times the first page (100 rows) of every
report through ``graph.reports.page``, 20 runs each after a warm-up, beside a baseline:
a plain page of one label in uid order.  Starts its own Neo4j.
Usage: python bench/reports.py [--scale 1.0] [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app.config import Settings
from collectors import CATALOG
from dev.stack import Ports, Stack
from graph import reports, schema
from graph.driver import connect

BUILD = [
    # AWS: instances in subnets, half of them with a public IP and a fifth stopped; volumes,
    # a tenth unattached; interfaces, a tenth detached; security groups, balancers, images.
    """UNWIND range(0, $n / 100 - 1) AS v
       CREATE (:AWSVPC {uid: 'vpc-' + v, account_id: '1', region: 'r', is_default: v % 10 = 0,
                        last_seen: datetime() - duration({days: v % 9})})""",
    """UNWIND range(0, $n / 20 - 1) AS s
       MATCH (v:AWSVPC {uid: 'vpc-' + (s % ($n / 100))})
       CREATE (v)-[:HAS_SUBNET]->(:AWSSubnet {uid: 'subnet-' + s, account_id: '1', region: 'r',
                                            vpc_id: v.uid, last_seen: datetime()})""",
    """UNWIND range(0, $n - 1) AS i
       MATCH (s:AWSSubnet {uid: 'subnet-' + (i % ($n / 20))})
       CREATE (s)-[:HAS_INSTANCE]->(:AWSInstance {uid: 'i-' + i, account_id: '1', region: 'r',
           state: CASE WHEN i % 5 = 0 THEN 'stopped' ELSE 'running' END,
           public_ip: CASE WHEN i % 2 = 0 THEN '203.0.113.' + (i % 250) END,
           security_group_ids: ['sg-' + (i % ($n / 10))], last_seen: datetime()})""",
    """UNWIND range(0, $n - 1) AS i
       OPTIONAL MATCH (inst:AWSInstance {uid: 'i-' + i}) WHERE i % 10 <> 0
       CREATE (vol:AWSVolume {uid: 'vol-' + i, account_id: '1', region: 'r', size_gib: 8 + i % 100,
           instance_ids: CASE WHEN inst IS NULL THEN [] ELSE [inst.uid] END,
           create_time: datetime() - duration({days: i % 400}), last_seen: datetime()})
       FOREACH (_ IN CASE WHEN inst IS NULL THEN [] ELSE [1] END |
         CREATE (inst)-[:HAS_VOLUME]->(vol))""",
    """UNWIND range(0, $n / 4 - 1) AS e
       CREATE (:AWSNetworkInterface {uid: 'eni-' + e, account_id: '1', region: 'r',
           vpc_id: 'vpc-' + (e % ($n / 100)),
           status: CASE WHEN e % 10 = 0 THEN 'available' ELSE 'in-use' END,
           instance_id: CASE WHEN e % 10 = 0 THEN null ELSE 'i-' + e END,
           security_group_ids: ['sg-' + (e % ($n / 10))], last_seen: datetime()})""",
    """UNWIND range(0, $n / 10 - 1) AS g
       CREATE (:AWSSecurityGroup {uid: 'sg-' + g, account_id: '1', region: 'r',
           group_name: 'g' + g, vpc_id: 'vpc-' + (g % ($n / 100)), last_seen: datetime()})""",
    """MATCH (i:AWSInstance), (g:AWSSecurityGroup) WHERE g.uid IN i.security_group_ids
       CREATE (i)-[:IN_SECURITY_GROUP]->(g)""",
    """UNWIND range(0, $n / 100 - 1) AS b
       CREATE (lb:AWSLoadBalancer {uid: 'lb-' + b, account_id: '1', region: 'r',
           vpc_id: 'vpc-' + b, security_group_ids: [], last_seen: datetime()})
       WITH lb, b WHERE b % 4 <> 0
       MATCH (i:AWSInstance) WHERE i.uid IN ['i-' + (b * 3), 'i-' + (b * 3 + 1)]
       CREATE (lb)-[:ROUTES_TO]->(i)""",
    # vSphere: hosts (some in maintenance or disconnected), VMs on them, datastores.
    """UNWIND range(0, $n / 50 - 1) AS h
       CREATE (:VSphereHost {uid: 'vc:host-' + h, vcenter: 'vc', maintenance_mode: h % 25 = 0,
           connection_state: CASE WHEN h % 30 = 0 THEN 'notResponding' ELSE 'connected' END,
           last_seen: datetime()})""",
    """UNWIND range(0, $n / 2 - 1) AS v
       MATCH (h:VSphereHost {uid: 'vc:host-' + (v % ($n / 50))})
       CREATE (h)-[:RUNS]->(vm:VSphereVM {uid: 'vc:vm-' + v, vcenter: 'vc',
           power_state: CASE WHEN v % 6 = 0 THEN 'poweredOff' ELSE 'poweredOn' END,
           template: v % 40 = 0, host_uid: h.uid, last_seen: datetime()})""",
    """UNWIND range(0, $n / 500 - 1) AS d
       CREATE (:VSphereDatastore {uid: 'vc:ds-' + d, vcenter: 'vc', capacity_bytes: 1000,
           free_bytes: (d * 37) % 1000, last_seen: datetime()})""",
    """MATCH (vm:VSphereVM) WHERE toInteger(split(vm.uid, '-')[1]) % 9 <> 0
       MATCH (n:VSphereNetwork {uid: 'vc:net-0'})
       CREATE (vm)-[:CONNECTED_TO]->(n)""",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    n = int(20_000 * args.scale) // 500 * 500
    stack = Stack.scratch("inventory-bench-reports-", Ports(bolt=38087, http=37874))
    try:
        stack.start(stack.neo4j())
        stack.write_config({})
        os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
        settings = Settings()
        driver = connect(settings.neo4j)
        schema.migrate(driver, CATALOG, "neo4j")
        driver.execute_query("CREATE (:VSphereNetwork {uid: 'vc:net-0', vcenter: 'vc'})")
        t = time.perf_counter()
        for statement in BUILD:
            driver.execute_query(statement, n=n)
        nodes = driver.execute_query("MATCH (n) RETURN count(n) AS c").records[0]["c"]
        links = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS c").records[0]["c"]
        print(f"built {nodes} nodes, {links} relationships in {time.perf_counter() - t:.0f}s")

        def timed(run: object) -> tuple[float, float, float]:
            run()  # type: ignore[operator]
            samples = []
            for _ in range(args.runs):
                start = time.perf_counter()
                run()  # type: ignore[operator]
                samples.append((time.perf_counter() - start) * 1000)
            samples.sort()
            return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], samples[-1]

        base = timed(
            lambda: driver.execute_query(
                "MATCH (n:AWSInstance) WHERE n.uid > $after RETURN n ORDER BY n.uid LIMIT 100",
                after="",
            )
        )
        print(
            f"\n{nodes} nodes; first page of 100 rows, {args.runs} runs each; "
            f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )
        print(f"{'report':<30} {'rows':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
        p50, p95, top = base
        print(f"{'(baseline: a label page)':<30} {100:>6} {p50:>7.1f} {p95:>7.1f} {top:>7.1f}")
        worst = 0.0
        for report in reports.catalog().values():
            params = report.arguments({}, settings.report_defaults())

            def run(report: reports.Report = report, params: dict = params) -> None:
                reports.page(driver, "neo4j", report, params, "", 100)

            rows = len(reports.page(driver, "neo4j", report, params, "", 100)[0])
            p50, p95, top = timed(run)
            worst = max(worst, p95)
            print(f"{report.name:<30} {rows:>6} {p50:>7.1f} {p95:>7.1f} {top:>7.1f}")
        print(f"\nworst p95 {worst:.1f} ms (target: first page under 200 ms)")
        driver.close()
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
