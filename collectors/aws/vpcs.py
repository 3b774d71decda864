"""VPCs of one account and region."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws import rows
from collectors.aws.kinds import REGIONAL, TAGS
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="vpcs",
    label="AWSVPC",
    scope=REGIONAL,
    fields=(
        Field("vpc_id", filter=True),
        Field("cidr_block", filter=True),
        Field("state", filter=True),
        Field("is_default", bool, filter=True),
        Field("owner_id"),
        *TAGS,
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


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    for page in scope.client("ec2").get_paginator("describe_vpcs").paginate():
        yield [
            {
                "uid": v["VpcId"],
                "vpc_id": v["VpcId"],
                "cidr_block": v.get("CidrBlock"),
                "state": v.get("State"),
                "is_default": v.get("IsDefault", False),
                "owner_id": v.get("OwnerId"),
                **rows.tags(v.get("Tags")),
            }
            for v in page["Vpcs"]
        ]


COLLECTOR = Collector(KIND, collect)
