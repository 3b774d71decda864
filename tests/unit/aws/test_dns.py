"""Row mapping of Route53 hosted zones and record sets from ListHostedZones,
ListTagsForResources, GetHostedZone and ListResourceRecordSets answers recorded from moto
(the demo's main account: a public zone and a private one), and what a failing call
leaves."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.aws import dns_records, hosted_zones
from cypher import render
from graph import links
from graph.writer import _kept
from model import Link
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"
DENIED = {"Code": "AccessDenied", "Message": "not authorized to perform this action"}


def _zones() -> dict[str, dict[str, Any]]:
    """The recorded zones by name: their ids, as ListHostedZones gives them."""
    answer = recording("route53", "list_hosted_zones")[0]["response"]["HostedZones"]
    return {z["Name"]: z for z in answer}


def _zone_id(name: str) -> str:
    return _zones()[name]["Id"].removeprefix("/hostedzone/")


def _records(session: FakeSession | None = None) -> dict[str, dict[str, Any]]:
    got = rows(dns_records.COLLECTOR, session or FakeSession(ACCOUNT, REGION))
    return {f"{r['name']} {r['type']}": r for r in got}


def test_zones_are_known_by_their_bare_id_with_their_tags_and_a_private_ones_vpcs() -> None:
    got = {r["name"]: r for r in rows(hosted_zones.COLLECTOR, FakeSession(ACCOUNT, REGION))}
    vpc = recording("route53", "get_hosted_zone")[0]["response"]["VPCs"][0]["VPCId"]
    public, private = _zone_id("main.example.com."), _zone_id("main.internal.")
    assert got == {
        "main.example.com": {
            "uid": public,
            "zone_id": public,
            "name": "main.example.com",
            "private": False,
            "comment": None,
            "record_count": 8,
            "vpc_ids": [],
            "tags": ["owner=main"],
        },
        "main.internal": {
            "uid": private,
            "zone_id": private,
            "name": "main.internal",
            "private": True,
            "comment": None,
            "record_count": 4,
            "vpc_ids": [vpc],
            "tags": [],
        },
    }


def test_zone_tags_and_vpcs_that_cannot_be_read_are_left_as_known_with_a_warning() -> None:
    ids = [_zone_id("main.example.com."), _zone_id("main.internal.")]
    session = FakeSession(
        ACCOUNT,
        REGION,
        answers={
            "route53.list_tags_for_resources": [
                {"params": {"ResourceType": "hostedzone", "ResourceIds": ids}, "error": DENIED}
            ],
            "route53.get_hosted_zone": [{"params": {"Id": ids[1]}, "error": DENIED}],
        },
    )
    got = {r["name"]: r for r in rows(hosted_zones.COLLECTOR, session)}
    # Left out of the rows, so that the graph keeps what it knew.
    assert "tags" not in got["main.example.com"] and "tags" not in got["main.internal"]
    assert "vpc_ids" not in got["main.internal"] and got["main.example.com"]["vpc_ids"] == []
    assert len(session.warnings) == 2
    assert all("AccessDenied" in w for w in session.warnings)
    assert any(ids[1] in w and "VPCs" in w for w in session.warnings)


def test_records_carry_their_zone_values_alias_and_what_they_point_at() -> None:
    got = _records()
    public = _zone_id("main.example.com.")
    www = got["www.main.example.com A"]
    assert www["uid"] == f"{public}:www.main.example.com:A"
    assert (www["zone_id"], www["zone_name"], www["private_zone"]) == (
        public,
        "main.example.com",
        False,
    )
    # An alias has no TTL nor values; it points at the balancer without "dualstack.".
    assert (www["ttl"], www["values"]) == (None, [])
    assert www["alias_target"] == "dualstack.main-web-1.us-east-1.elb.amazonaws.com"
    assert www["alias_zone_id"] == "Z2P70J7EXAMPLE" and www["evaluate_target_health"] is False
    assert www["targets"] == ["main-web-1.us-east-1.elb.amazonaws.com"]
    assert www["public_ips"] == [] and www["routing_policy"] == "simple"
    legacy = got["legacy.main.example.com CNAME"]
    assert legacy["targets"] == ["main-legacy.us-east-1.elb.amazonaws.com"]
    assert legacy["ttl"] == 300 and legacy["public_ips"] == []
    old = got["old.main.example.com A"]
    assert old["values"] == old["targets"] == old["public_ips"]
    assert len(old["values"]) == 1 and old["values"][0].count(".") == 3
    # NS and SOA records are kept, pointing at nothing the links compare.
    assert (
        got["main.example.com NS"]["targets"] == []
        and len(got["main.example.com NS"]["values"]) == 4
    )
    assert {r["zone_name"] for r in got.values()} == {"main.example.com", "main.internal"}


def test_a_private_address_is_a_target_but_not_a_public_ip() -> None:
    db = _records()["db.main.internal A"]
    assert db["private_zone"] is True
    assert (db["values"], db["targets"], db["public_ips"]) == (["10.0.0.10"], ["10.0.0.10"], [])


def _inline(*records: dict[str, Any]) -> FakeSession:
    zone = {"Id": "/hostedzone/Z1", "Name": "example.org.", "Config": {"PrivateZone": False}}
    return FakeSession(
        ACCOUNT,
        REGION,
        answers={
            "route53.list_hosted_zones": [{"params": {}, "response": {"HostedZones": [zone]}}],
            "route53.list_resource_record_sets": [
                {"params": {"HostedZoneId": "Z1"}, "response": {"ResourceRecordSets": records}}
            ],
        },
    )


def test_names_values_and_routing_are_read_as_route53_writes_them() -> None:
    weighted = {
        "Name": "\\052.example.org.",  # Route53's escape of the wildcard's "*"
        "Type": "CNAME",
        "SetIdentifier": "blue",
        "Weight": 0,
        "TTL": 60,
        "ResourceRecords": [{"Value": "Dualstack.Shop-LB-42.EU-WEST-1.ELB.amazonaws.com."}],
    }
    many = {
        "Name": "api.example.org.",
        "Type": "AAAA",
        "TTL": 60,
        "MultiValueAnswer": True,
        "SetIdentifier": "a",
        "ResourceRecords": [{"Value": "2600:1F18:0:0::1"}, {"Value": "fd00::5"}],
    }
    four = {
        "Name": "v4.example.org.",
        "Type": "A",
        "TTL": 60,
        "ResourceRecords": [{"Value": v} for v in ("172.20.1.1", "172.32.0.1", "192.168.1.1")],
    }
    got = {r["uid"]: r for r in rows(dns_records.COLLECTOR, _inline(weighted, many, four))}
    star = got["Z1:*.example.org:CNAME:blue"]
    assert (star["name"], star["set_identifier"], star["weight"]) == ("*.example.org", "blue", 0)
    assert star["routing_policy"] == "weighted"
    assert star["targets"] == ["shop-lb-42.eu-west-1.elb.amazonaws.com"]
    api = got["Z1:api.example.org:AAAA:a"]
    assert api["routing_policy"] == "multivalue"
    # Addresses as Python writes them; the unique local one is private.
    assert api["targets"] == ["2600:1f18::1", "fd00::5"] and api["public_ips"] == ["2600:1f18::1"]
    # 172.16/12 is private, 172.32 is not.
    assert got["Z1:v4.example.org:A"]["public_ips"] == ["172.32.0.1"]


def test_a_zone_whose_records_cannot_be_listed_keeps_them_and_the_others_go_on() -> None:
    internal = _zone_id("main.internal.")
    denied = {"params": {"HostedZoneId": internal}, "error": DENIED}
    public = recording("route53", "list_resource_record_sets")[0]
    session = FakeSession(
        ACCOUNT, REGION, answers={"route53.list_resource_record_sets": [denied, public]}
    )
    got = _records(session)
    assert {r["zone_name"] for r in got.values()} == {"main.example.com"}
    assert session.kept == {"zone_id": [internal]}
    (warning,) = session.warnings
    assert internal in warning and "main.internal" in warning and "AccessDenied" in warning


def test_cleanup_spares_the_nodes_a_collection_keeps_by_a_declared_field() -> None:
    kind = dns_records.KIND
    assert _kept(kind, {}) == "true"
    assert _kept(kind, {"zone_id": ["Z1"]}) == "NOT n.zone_id IN $kept.zone_id"
    with pytest.raises(ValueError, match="no field"):
        _kept(kind, {"zone": ["Z1"]})
    text = render("remove_stale_nodes", label="L", scope="true", kept=_kept(kind, {}), deleted="")
    assert "AND true" in text


def test_records_point_at_addresses_and_balancers_in_any_account() -> None:
    declared = {(lk.type, lk.target): lk for lk in dns_records.KIND.links}
    assert set(declared) == {
        ("HAS_RECORD", "AWSDNSRecord"),
        ("POINTS_TO", "AWSElasticIP"),
        ("POINTS_TO", "AWSInstance"),
        ("POINTS_TO", "AWSLoadBalancer"),
    }
    points: list[Link] = [lk for lk in dns_records.KIND.links if lk.type == "POINTS_TO"]
    assert all(lk.scoped == "source" and lk.across_scopes for lk in points)
    assert links.join(declared[("POINTS_TO", "AWSElasticIP")]) == "t.public_ip IN s.targets"
    # DNS names compare without regard to case: AWS gives "Main-Web-1....".
    assert links.join(declared[("POINTS_TO", "AWSLoadBalancer")]) == (
        "toLower(t.dns_name) IN [v IN s.targets | toLower(v)]"
    )
    (zone_link,) = hosted_zones.KIND.links
    assert (zone_link.source, zone_link.type) == ("AWSAccount", "HAS_HOSTED_ZONE")
