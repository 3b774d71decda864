"""VPCs of one account and region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL, tags
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="vpcs",
    label="AWSVPC",
    scope=REGIONAL,
    uid="VpcId",
    fields=(
        Field("vpc_id", source="VpcId", filter=True),
        Field("cidr_block", source="CidrBlock", filter=True),
        Field("state", source="State", filter=True),
        Field("is_default", bool, source=lambda v: v.get("IsDefault", False), filter=True),
        Field("owner_id", source="OwnerId"),
        *tags(),
    ),
    links=(
        Link(
            "HAS_VPC",
            "AWSRegion",
            "AWSVPC",
            on=(("account_id", "account_id"), ("region", "region")),
            forward="vpcs",
            backward="aws_region",
        ),
    ),
    description="A virtual private cloud.",
)


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    for page in session.client("ec2").get_paginator("describe_vpcs").paginate():
        yield page["Vpcs"]


COLLECTOR = Collector(KIND, collect)
