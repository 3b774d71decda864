"""Route53 hosted zones and record sets, collected from moto by real workers through the
fault proxy: their properties are moto's, a record points at what holds its address or
DNS name in any account (linked when either end is collected, in whichever order), the
demo plants what dangling-dns-records finds and the near misses it must not, what goes
from Route53 goes from the graph, and a zone whose records or tags cannot be read keeps
what the graph knew, with a warning.

Counts and relationships against moto are in tests/test_aws_kinds.py (dev/demo/aws_truth.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dev.demo import aws as demo
from tests.faultproxy import FaultProxy, route53_error
from tests.helpers import collect
from worker.runtime import Runtime

MAIN = {"account": "demo-main"}
SHOP_EU = {"account": "demo-shop", "region": "eu-west-1"}
OWNERS = {demo.MAIN_ACCOUNT: ("main", None), demo.SHOP_ACCOUNT: ("shop", demo.ROLE)}
DENIED = route53_error("AccessDenied", "not authorized")


@pytest.fixture(scope="module")
def graph(collected: Runtime) -> Runtime:
    return collected


def query(rt: Runtime, statement: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = rt.driver.execute_query(statement, params)
    return [r.data() for r in records]


def route53(moto_url: str, account: str) -> Any:
    return demo.session(moto_url, OWNERS[account][1]).client("route53", endpoint_url=moto_url)


def zones_of(moto_url: str) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    for account in OWNERS:
        client = route53(moto_url, account)
        for zone in client.list_hosted_zones()["HostedZones"]:
            yield account, client, zone


def the_collection(rt: Runtime, out: str, task: str) -> dict[str, Any]:
    root = next(line.split()[-1] for line in out.splitlines() if line.startswith("enqueued"))
    (record,) = [r for r in rt.records.tree(root) if r["task"] == task]
    return record


def collect_denied(
    graph: Runtime, config_path: Path, proxy: FaultProxy, kind: str, call: str
) -> dict[str, Any]:
    """The main account's ``kind`` collected with the Route53 calls whose path holds
    ``call`` denied: the record of a task that succeeded with one warning."""
    proxy.rules.append((lambda c: c.service == "route53" and c.has(call), 403, DENIED))
    try:
        code, out = collect(config_path, f"aws:collect-{kind}", MAIN)
    finally:
        proxy.rules.clear()
    assert code == 0, out
    record = the_collection(graph, out, f"aws:collect-{kind}")
    assert record["state"] == "succeeded" and record["result"]["warnings"] == 1
    return record


def test_zones_and_records_are_as_moto_lists_them(graph: Runtime, moto_url: str) -> None:
    zones, records = {}, {}
    for account, client, zone in zones_of(moto_url):
        uid = zone["Id"].rsplit("/", 1)[-1]
        zones[uid] = (account, zone["Name"][:-1], zone["Config"]["PrivateZone"])
        zones[uid] += (zone["ResourceRecordSetCount"],)
        for r in client.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            values = [v["Value"] for v in r.get("ResourceRecords", [])]
            alias = r["AliasTarget"]["DNSName"].removesuffix(".") if "AliasTarget" in r else None
            records[f"{uid}:{r['Name'][:-1]}:{r['Type']}"] = (account, r.get("TTL"), values, alias)
    got = query(
        graph,
        "MATCH (z:AWSHostedZone) RETURN z.uid AS uid, z.account_id AS a, z.name AS n, "
        "z.private AS p, z.record_count AS c",
    )
    assert {r["uid"]: (r["a"], r["n"], r["p"], r["c"]) for r in got} == zones
    got = query(
        graph,
        "MATCH (r:AWSDNSRecord) RETURN r.uid AS uid, r.account_id AS a, r.ttl AS ttl, "
        "r.values AS v, r.alias_target AS alias",
    )
    assert {r["uid"]: (r["a"], r["ttl"], r["v"], r["alias"]) for r in got} == records
    # Per account a public and a private zone: moto's NS and SOA in each, and the demo's.
    assert sorted(n for _, n, _, _ in zones.values()) == [
        "main.example.com", "main.internal", "shop.example.com", "shop.internal",
    ]  # fmt: skip
    # NS and SOA in each zone; six records in the main public zone, five in the shop's
    # (no partner), two in each private one.
    assert len(records) == (2 + 6 + 2 + 2) + (2 + 5 + 2 + 2)
    tags = query(graph, "MATCH (z:AWSHostedZone {private: false}) RETURN z.name AS n, z.tags AS t")
    assert {r["n"]: r["t"] for r in tags} == {
        "main.example.com": ["owner=main"],
        "shop.example.com": ["owner=shop"],
    }


def test_a_record_points_at_what_holds_its_address_or_name_in_any_account(
    graph: Runtime,
) -> None:
    got = query(
        graph,
        "MATCH (r:AWSDNSRecord)-[:POINTS_TO]->(t) "
        "RETURN r.name AS name, r.account_id AS a, labels(t)[0] AS label, t.name AS target, "
        "t.account_id AS ta, t.region AS region",
    )
    pointed = {(r["name"], r["label"], r["target"], r["ta"], r["region"]) for r in got}
    for account, (owner, _) in OWNERS.items():
        web = [p for p in pointed if p[0] == f"web.{owner}.example.com"]
        # The address on the instance: the Elastic IP, and the instance it makes public.
        assert {(label, target) for _, label, target, _, _ in web} == {
            ("AWSElasticIP", f"{owner}-web-ip"),
            ("AWSInstance", f"{owner}-prod-app"),
        }
        assert (
            f"www.{owner}.example.com", "AWSLoadBalancer", f"{owner}-web", account, "us-east-1"
        ) in pointed  # fmt: skip
        assert (
            f"legacy.{owner}.example.com", "AWSLoadBalancer", f"{owner}-legacy", account,
            "us-east-1",
        ) in pointed  # fmt: skip
    # The main account's record at the shop account's address.
    partner = {p[1:] for p in pointed if p[0] == "partner.main.example.com"}
    assert partner == {
        ("AWSElasticIP", "shop-web-ip", demo.SHOP_ACCOUNT, "us-east-1"),
        ("AWSInstance", "shop-prod-app", demo.SHOP_ACCOUNT, "us-east-1"),
    }
    # What was released or deleted, and what is private, points at nothing.
    assert not {p for p in pointed if p[0].split(".")[0] in ("old", "retired", "old-api", "db")}


# The demo's leaks: (account, record name, what is missing) per account.
DANGLING = {
    (account, f"{name}.{owner}.{zone}", missing)
    for account, (owner, _) in OWNERS.items()
    for name, zone, missing in (
        ("old", "example.com", "address"),
        ("retired", "example.com", "load balancer"),
        ("old-api", "internal", "load balancer"),
    )
}


def test_the_demo_plants_what_dangling_dns_records_finds_and_not_its_near_misses(
    graph: Runtime, client: TestClient, read: dict
) -> None:
    def found(**params: str) -> set[tuple[str, str, str]]:
        reply = client.get("/api/v1/reports/dangling-dns-records", headers=read, params=params)
        assert reply.status_code == 200, reply.text
        return {(r["account_id"], r["name"], r["missing"]) for r in reply.json()["items"]}

    assert found() == DANGLING
    public = {d for d in DANGLING if ".internal" not in d[1]}
    assert found(public_zones_only="true") == public
    rows = client.get("/api/v1/reports/dangling-dns-records", headers=read).json()["items"]
    retired = next(r for r in rows if r["name"] == "retired.main.example.com")
    assert retired["dangling"] == ["main-retired-1.us-east-1.elb.amazonaws.com"]
    old = next(r for r in rows if r["name"] == "old.shop.example.com")
    assert old["dangling"] == old["values"] and old["private_zone"] is False


LB_NAME = "MAIN-WEB-1.US-EAST-1.ELB.AMAZONAWS.COM."


class Doomed:
    """A zone made in the main account, its records changed, then deleted."""

    def __init__(self, moto_url: str) -> None:
        self.client = route53(moto_url, demo.MAIN_ACCOUNT)
        zone = self.client.create_hosted_zone(Name="doomed.example.net", CallerReference="doomed")
        self.zid = zone["HostedZone"]["Id"]
        self.z = self.zid.rsplit("/", 1)[-1]

    def change(self, action: str, name: str, kind: str, value: str) -> None:
        record = {"Name": f"{name}.doomed.example.net", "Type": kind, "TTL": 60}
        record["ResourceRecords"] = [{"Value": value}]
        batch = {"Changes": [{"Action": action, "ResourceRecordSet": record}]}
        self.client.change_resource_record_sets(HostedZoneId=self.zid, ChangeBatch=batch)

    def points(self, graph: Runtime) -> set[tuple[str, str]]:
        """(record name, target uid) of each POINTS_TO from the zone's records."""
        points = (
            "MATCH (r:AWSDNSRecord {zone_id: $z})-[:POINTS_TO]->(t) RETURN r.name AS r, t.uid AS t"
        )
        return {(r["r"], r["t"]) for r in query(graph, points, z=self.z)}


def collect_ok(config_path: Path, scope: dict[str, str], *kinds: str) -> None:
    for kind in kinds:
        code, out = collect(config_path, f"aws:collect-{kind}", scope)
        assert code == 0, out


def links_follow_either_end(
    graph: Runtime, config_path: Path, zone: Doomed, address: dict[str, Any]
) -> None:
    """The load balancer, collected before, is linked when the records are collected; the
    address, collected in the other account after them, when it is."""
    collect_ok(config_path, MAIN, "hosted-zones", "dns-records")
    web_lb = (
        "MATCH (lb:AWSLoadBalancer {name: 'main-web', region: 'us-east-1'}) RETURN lb.uid AS uid"
    )
    (web,) = query(graph, web_lb)
    assert zone.points(graph) == {("lb.doomed.example.net", web["uid"])}
    collect_ok(config_path, SHOP_EU, "elastic-ips")
    assert zone.points(graph) == {
        ("lb.doomed.example.net", web["uid"]),
        ("a.doomed.example.net", address["AllocationId"]),
    }
    in_zone = "MATCH (:AWSHostedZone {uid: $z})-[:HAS_RECORD]->(r) RETURN count(r) AS n"
    assert query(graph, in_zone, z=zone.z) == [{"n": 4}]  # with moto's NS and SOA


def record_and_address_go(
    graph: Runtime, config_path: Path, zone: Doomed, shop: Any, address: dict[str, Any]
) -> None:
    zone.change("DELETE", "a", "A", address["PublicIp"])
    shop.release_address(AllocationId=address["AllocationId"])
    collect_ok(config_path, MAIN, "dns-records")
    assert {r for r, _ in zone.points(graph)} == {"lb.doomed.example.net"}
    gone = "MATCH (r:AWSDNSRecord {uid: $u}) RETURN count(r) AS n"
    assert query(graph, gone, u=f"{zone.z}:a.doomed.example.net:A") == [{"n": 0}]
    collect_ok(config_path, SHOP_EU, "elastic-ips")
    released = "MATCH (a:AWSElasticIP {uid: $a}) RETURN count(a) AS n"
    assert query(graph, released, a=address["AllocationId"]) == [{"n": 0}]


def zone_goes(graph: Runtime, config_path: Path, zone: Doomed) -> None:
    zone.change("DELETE", "lb", "CNAME", LB_NAME)
    zone.client.delete_hosted_zone(Id=zone.zid)
    collect_ok(config_path, MAIN, "hosted-zones", "dns-records")
    # (By label: the change records of their deletion name them too.)
    left = (
        "MATCH (n:AWSHostedZone|AWSDNSRecord) WHERE $z IN [n.uid, n.zone_id] RETURN count(n) AS n"
    )
    assert query(graph, left, z=zone.z) == [{"n": 0}]


def test_records_and_zones_go_when_they_go_and_links_follow_either_end(
    graph: Runtime, moto_url: str, config_path: Path
) -> None:
    """A zone made in the main account whose records point at an address the shop account
    allocates in another region (collected after the records) and, in capitals, at the
    main web load balancer; then the record, the address and the zone go."""
    shop = demo.session(moto_url, demo.ROLE).client(
        "ec2", region_name=SHOP_EU["region"], endpoint_url=moto_url
    )
    address = shop.allocate_address(Domain="vpc")
    zone = Doomed(moto_url)
    zone.change("CREATE", "a", "A", address["PublicIp"])
    zone.change("CREATE", "lb", "CNAME", LB_NAME)
    links_follow_either_end(graph, config_path, zone, address)
    record_and_address_go(graph, config_path, zone, shop, address)
    zone_goes(graph, config_path, zone)


def test_a_zone_whose_records_cannot_be_read_keeps_them_with_a_warning(
    graph: Runtime, moto_url: str, config_path: Path, proxy: FaultProxy
) -> None:
    """The private zone's listing denied: its records stay (even one deleted meanwhile),
    the public zone's are collected as ever; then, readable again, the deleted one goes."""
    client = route53(moto_url, demo.MAIN_ACCOUNT)
    by_name = {z["Name"]: z["Id"] for z in client.list_hosted_zones()["HostedZones"]}
    private = by_name["main.internal."]
    zid = private.rsplit("/", 1)[-1]
    db = {"Name": "db.main.internal.", "Type": "A", "TTL": 300}
    db["ResourceRecords"] = [{"Value": "10.0.0.10"}]

    def change(action: str) -> None:
        batch = {"Changes": [{"Action": action, "ResourceRecordSet": dict(db)}]}
        client.change_resource_record_sets(HostedZoneId=private, ChangeBatch=batch)

    change("DELETE")
    kept = f"{zid}:db.main.internal:A"
    count = "MATCH (r:AWSDNSRecord {uid: $u}) RETURN count(r) AS n"
    record = collect_denied(graph, config_path, proxy, "dns-records", f"{zid}/rrset")
    (reason,) = record["result"]["warning_reasons"]
    assert zid in reason and "main.internal" in reason and "AccessDenied" in reason
    assert query(graph, count, u=kept) == [{"n": 1}]
    assert record["result"]["nodes_written"] == 8  # the public zone's
    code, out = collect(config_path, "aws:collect-dns-records", MAIN)
    assert code == 0, out
    assert query(graph, count, u=kept) == [{"n": 0}]
    # The estate as the other tests know it (moto refuses a CREATE of a name it has
    # journalled before).
    change("UPSERT")
    code, out = collect(config_path, "aws:collect-dns-records", MAIN)
    assert code == 0, out
    assert query(graph, count, u=kept) == [{"n": 1}]


def test_zone_tags_that_cannot_be_read_are_kept_with_a_warning(
    graph: Runtime, config_path: Path, proxy: FaultProxy
) -> None:
    record = collect_denied(graph, config_path, proxy, "hosted-zones", "/tags/hostedzone")
    assert "AccessDenied" in record["result"]["warning_reasons"][0]
    tags = "MATCH (z:AWSHostedZone {name: 'main.example.com'}) RETURN z.tags AS t"
    assert query(graph, tags) == [{"t": ["owner=main"]}]  # as the last time


def test_route53_is_linked_in_a_graph_that_has_none_of_its_regions(
    workers: Any, estate: Any, clean_graph: Runtime, config_path: Path
) -> None:
    """Zones and records collected into an empty graph: each record is linked to its zone
    at once, and the zones to their account when it comes.  (A link task once fanned out
    to the regions the graph held, so an account's Route53 collected before any of its
    regions stayed unlinked: seen when a drill's killed worker delayed the regions.)"""
    rt = clean_graph
    for kind in ("hosted-zones", "dns-records"):
        code, out = collect(config_path, f"aws:collect-{kind}", MAIN)
        assert code == 0, out
    assert query(rt, "MATCH (r:AWSRegion) RETURN count(r) AS n") == [{"n": 0}]
    in_zone = (
        "MATCH (r:AWSDNSRecord) OPTIONAL MATCH (z:AWSHostedZone)-[:HAS_RECORD]->(r) "
        "RETURN r.zone_id AS zone, count(r) AS records, count(z) AS linked, "
        "collect(DISTINCT z.uid) AS zones"
    )
    rows = query(rt, in_zone)
    assert len(rows) == 2  # the main account's public and private zones
    for row in rows:
        assert row["linked"] == row["records"] and row["zones"] == [row["zone"]], row
    code, out = collect(config_path, "aws:collect-accounts", MAIN)
    assert code == 0, out
    zones = "MATCH (a:AWSAccount)-[:HAS_HOSTED_ZONE]->(z) RETURN a.uid AS a, count(z) AS n"
    assert query(rt, zones) == [{"a": demo.MAIN_ACCOUNT, "n": 2}]
