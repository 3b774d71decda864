"""Route53 hosted zones of one account (Route53 has no regions), public and private, with
their tags and, for a private zone, the VPCs that resolve it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from collectors.aws.common import GLOBAL, tag_list
from collectors.base import Collector
from model import UNKNOWN, Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

_ESCAPE = re.compile(r"\\(\d{3})")


def zone_id(raw: str) -> str:
    """A zone's id without the ``/hostedzone/`` that ListHostedZones puts before it."""
    return raw.rsplit("/", 1)[-1]


def dns_name(raw: str | None) -> str | None:
    """A DNS name as people write it: Route53's octal escapes read (``\\052`` is the ``*``
    of a wildcard), without the final dot."""
    if raw is None:
        return None
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), raw).removesuffix(".")


KIND = Kind(
    provider="aws",
    name="hosted-zones",
    label="AWSHostedZone",
    scope=GLOBAL,
    uid=lambda z: zone_id(z["Id"]),
    fields=(
        Field(
            "zone_id",
            path=lambda z: zone_id(z["Id"]),
            filter=True,
            doc="Its id, without the /hostedzone/ before it.",
        ),
        Field(
            "name",
            path=lambda z: dns_name(z["Name"]),
            filter=True,
            doc="The domain it holds, without the final dot.",
        ),
        Field("private", bool, path="Config.PrivateZone", filter=True),
        Field("comment", path="Config.Comment"),
        # Moves with every record made or deleted, which the records' own changes say.
        Field("record_count", int, path="ResourceRecordSetCount", tracked=False),
        Field(
            "vpc_ids",
            list,
            path="VpcIds",
            doc="The VPCs a private zone answers in (GetHostedZone); none for a public one.",
        ),
        Field("tags", list, path="TagList", doc="Its tags, as key=value strings."),
    ),
    links=(
        Link(
            "HAS_HOSTED_ZONE",
            "AWSAccount",
            "AWSHostedZone",
            on=(("account_id", "account_id"),),
            forward="hosted_zones",
            backward="account",
        ),
    ),
    description="A Route53 hosted zone, public or private (per account: Route53 has no regions).",
)

TAGGED_AT_ONCE = 10  # zone ids per ListTagsForResources, AWS's most


def zones(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    """The account's hosted zones, a page of ListHostedZones at a time."""
    paginator = session.client("route53").get_paginator("list_hosted_zones")
    for page in paginator.paginate(PaginationConfig={"PageSize": 100}):
        yield page["HostedZones"]


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    route53 = session.client("route53")
    for page in zones(session):
        tags: dict[str, Any] = {}
        ids = [zone_id(z["Id"]) for z in page]
        batches = [ids[at : at + TAGGED_AT_ONCE] for at in range(0, len(ids), TAGGED_AT_ONCE)]
        for found in session.each(batches, partial(_tags, session, route53)):
            tags |= found
        vpcs = session.each(page, partial(_vpcs, session, route53))
        yield [
            {**z, "TagList": tags[zone_id(z["Id"])], "VpcIds": v}
            for z, v in zip(page, vpcs, strict=True)
        ]


def _tags(session: AwsSession, route53: Any, ids: list[str]) -> dict[str, Any]:
    """Each zone's tags as ``key=value`` strings; UNKNOWN for all of them (and a warning)
    where the call failed, so that the graph keeps the tags it knew."""

    def ask() -> dict[str, list[str]]:
        found = route53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=ids)
        out: dict[str, list[str]] = {i: [] for i in ids}
        for tag_set in found["ResourceTagSets"]:
            out[tag_set["ResourceId"]] = tag_list()(tag_set)
        return out

    answer = session.attempt(f"tags of hosted zones {', '.join(ids)}", ask)
    return {i: UNKNOWN for i in ids} if answer is UNKNOWN else answer


def _vpcs(session: AwsSession, route53: Any, zone: dict[str, Any]) -> Any:
    """The VPCs a private zone answers in (GetHostedZone); UNKNOWN (and a warning) where
    that call failed."""
    if not (zone.get("Config") or {}).get("PrivateZone"):
        return []
    zid = zone_id(zone["Id"])

    def ask() -> list[str]:
        return sorted(v["VPCId"] for v in route53.get_hosted_zone(Id=zid).get("VPCs") or ())

    return session.attempt(f"VPCs of private hosted zone {zid}", ask)


COLLECTOR = Collector(KIND, collect)
