"""Route53 record sets of every hosted zone of one account, with what each resolves to:
the addresses and names that link it to the Elastic IPs, instances and load balancers of
any account collected.

A zone whose records cannot be listed (a call closed to us, the zone deleted since the
zone listing) keeps the records the graph knew, with a warning; the other zones go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from ipaddress import ip_address, ip_network
from typing import TYPE_CHECKING, Any

from collectors.aws.common import GLOBAL
from collectors.aws.hosted_zones import dns_name, zone_id, zones
from collectors.base import Collector
from model import UNKNOWN, Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

ADDRESS_TYPES = ("A", "AAAA")
# Private addresses (RFC 1918, and IPv6's unique local ones): never someone else's.
PRIVATE = tuple(
    ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
# How a record set is routed, by the key that only that policy sets.
ROUTING = (
    ("Weight", "weighted"),
    ("Region", "latency"),
    ("Failover", "failover"),
    ("GeoLocation", "geolocation"),
    ("GeoProximityLocation", "geoproximity"),
    ("CidrRoutingConfig", "ip-based"),
    ("MultiValueAnswer", "multivalue"),
)


def uid(record: dict[str, Any]) -> str:
    """``<zone id>:<name>:<type>``, and ``:<set identifier>`` for one of several record
    sets of a routing policy."""
    out = f"{zone_id(record['HostedZone']['Id'])}:{dns_name(record['Name'])}:{record['Type']}"
    return f"{out}:{record['SetIdentifier']}" if record.get("SetIdentifier") else out


def _values(record: dict[str, Any]) -> list[str]:
    return [v["Value"] for v in record.get("ResourceRecords") or ()]


def _address(value: str) -> Any:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def target_name(name: str) -> str:
    """A name as the links compare it: lower-case, without the final dot, and without the
    ``dualstack.`` that an alias to a load balancer puts before the balancer's name."""
    return name.strip().lower().removesuffix(".").removeprefix("dualstack.")


def targets(record: dict[str, Any]) -> list[str]:
    """What the record resolves to: its A and AAAA addresses, its CNAME's name, its alias
    target's name (see ``target_name``)."""
    out = set()
    if record.get("Type") in ADDRESS_TYPES:
        out |= {a.compressed for a in map(_address, _values(record)) if a is not None}
    elif record.get("Type") == "CNAME":
        out |= {target_name(v) for v in _values(record)}
    alias = (record.get("AliasTarget") or {}).get("DNSName")
    if alias:
        out.add(target_name(alias))
    return sorted(out)


def public_ips(record: dict[str, Any]) -> list[str]:
    """The A and AAAA addresses that are not private: those someone else may hold."""
    if record.get("Type") not in ADDRESS_TYPES:
        return []
    found = (_address(v) for v in _values(record))
    return sorted(
        a.compressed for a in found if a is not None and not any(a in net for net in PRIVATE)
    )


def routing_policy(record: dict[str, Any]) -> str:
    return next(
        (
            policy
            for key, policy in ROUTING
            if record.get(key) is not None and record.get(key) is not False
        ),
        "simple",
    )


def _points_to(target: str, on: str, forward: str, fold_case: bool = False) -> Link:
    return Link(
        "POINTS_TO",
        "AWSDNSRecord",
        target,
        on=(("targets", on),),
        in_list="source",
        forward=forward,
        backward="dns_records",
        backward_many=True,
        scoped="source",
        fold_case=fold_case,
        # A record in one account may point at what another account holds.
        across_scopes=True,
    )


KIND = Kind(
    provider="aws",
    name="dns-records",
    label="AWSDNSRecord",
    scope=GLOBAL,
    uid=uid,
    fields=(
        Field(
            "name",
            path=lambda r: dns_name(r["Name"]),
            filter=True,
            doc="The record's name, without the final dot (a wildcard's * as written).",
        ),
        Field("type", path="Type", filter=True),
        Field(
            "zone_id",
            path=lambda r: zone_id(r["HostedZone"]["Id"]),
            filter=True,
            doc="Its hosted zone's id.",
        ),
        Field(
            "zone_name",
            path=lambda r: dns_name(r["HostedZone"]["Name"]),
            filter=True,
            doc="Its hosted zone's name.",
        ),
        Field(
            "private_zone",
            bool,
            path="HostedZone.Config.PrivateZone",
            filter=True,
            doc="Whether its zone is private (resolved in the zone's VPCs only).",
        ),
        Field("ttl", int, path="TTL"),  # none for an alias
        Field("values", list, path=_values, doc="Its values (ResourceRecords), as given."),
        Field(
            "alias_target",
            path=lambda r: dns_name((r.get("AliasTarget") or {}).get("DNSName")),
            doc="The DNS name an alias record points at, without the final dot.",
        ),
        Field("alias_zone_id", path="AliasTarget.HostedZoneId"),
        Field("evaluate_target_health", bool, path="AliasTarget.EvaluateTargetHealth"),
        Field("set_identifier", path="SetIdentifier", filter=True),
        Field(
            "routing_policy",
            path=routing_policy,
            filter=True,
            doc="simple, weighted, latency, failover, geolocation, geoproximity, ip-based or "
            "multivalue.",
        ),
        Field("weight", int, path="Weight"),
        Field("health_check_id", path="HealthCheckId"),
        # Read from values and alias_target, whose changes are recorded.
        Field(
            "targets",
            list,
            path=targets,
            tracked=False,
            doc="What it resolves to, as POINTS_TO compares it: its A and AAAA addresses, its "
            "CNAME's and its alias target's names (lower-case, no final dot, no dualstack.).",
        ),
        Field(
            "public_ips",
            list,
            path=public_ips,
            tracked=False,
            doc="Its A and AAAA addresses that are not private (RFC 1918, IPv6 unique local).",
        ),
    ),
    links=(
        Link(
            "HAS_RECORD",
            "AWSHostedZone",
            "AWSDNSRecord",
            on=(("uid", "zone_id"),),
            forward="dns_records",
            backward="hosted_zone",
        ),
        _points_to("AWSElasticIP", "public_ip", "elastic_ips"),
        _points_to("AWSInstance", "public_ip", "instances"),
        _points_to("AWSLoadBalancer", "dns_name", "load_balancers", fold_case=True),
    ),
    description="A Route53 record set, with the addresses and load balancers it points at.",
)


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    route53 = session.client("route53")
    for page in zones(session):
        # The zones' records are asked for at once, and written a zone at a time.
        for zone, found in session.each(page, partial(_records, session, route53)):
            if found is UNKNOWN:
                session.keep("zone_id", zone_id(zone["Id"]))  # its records stay as they were
                continue
            yield [{**r, "HostedZone": zone} for r in found]


def _records(session: AwsSession, route53: Any, zone: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The zone and its record sets; UNKNOWN (and a warning) where they could not be
    listed."""
    zid = zone_id(zone["Id"])

    def ask() -> list[dict[str, Any]]:
        # A whole zone at once: a retry starts again from its first page.
        pages = route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zid)
        return [r for page in pages for r in page["ResourceRecordSets"]]

    return zone, session.attempt(f"records of hosted zone {zid} ({dns_name(zone['Name'])})", ask)


COLLECTOR = Collector(KIND, collect)
