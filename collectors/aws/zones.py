"""Availability zones of one account and region."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.kinds import REGIONAL
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="availability-zones",
    label="AWSAvailabilityZone",
    scope=REGIONAL,
    fields=(
        Field("name", filter=True),
        Field("zone_id", filter=True),
        Field("state", filter=True),
        Field("zone_type", filter=True),
    ),
    links=(
        Link(
            "HAS_ZONE",
            "AWSRegion",
            "AWSAvailabilityZone",
            on=(("account_id", "account_id"), ("region", "region")),
            forward="zones",
            backward="aws_region",
        ),
    ),
    description="An availability zone as one account sees it (zone names differ per account).",
)


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    reply = scope.client("ec2").describe_availability_zones()
    yield [
        {
            "uid": f"{scope.account_id}:{z['ZoneName']}",
            "name": z["ZoneName"],
            "zone_id": z.get("ZoneId"),
            "state": z.get("State"),
            "zone_type": z.get("ZoneType"),
        }
        for z in reply["AvailabilityZones"]
    ]


COLLECTOR = Collector(KIND, collect)
