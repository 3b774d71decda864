"""Availability zones of one account and region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL, named_in_account
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="availability-zones",
    label="AWSAvailabilityZone",
    scope=REGIONAL,
    # <account_id>:<name>: zone names map to different zones in each account.
    uid="uid",
    fields=(
        Field("name", path="ZoneName", filter=True),
        Field("zone_id", path="ZoneId", filter=True),
        Field("state", path="State", filter=True),
        Field("zone_type", path="ZoneType", filter=True),
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


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    reply = session.client("ec2").describe_availability_zones()
    yield named_in_account(session, reply["AvailabilityZones"], "ZoneName")


COLLECTOR = Collector(KIND, collect)
