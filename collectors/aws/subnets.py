"""Subnets of one account and region."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws import rows
from collectors.aws.kinds import REGIONAL, TAGS
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="subnets",
    label="AWSSubnet",
    scope=REGIONAL,
    fields=(
        Field("subnet_id", filter=True),
        Field("vpc_id", filter=True),
        Field("availability_zone", filter=True),
        Field("availability_zone_id"),
        Field("cidr_block", filter=True),
        Field("available_ip_count", int),
        Field("state", filter=True),
        Field("default_for_az", bool),
        *TAGS,
    ),
    links=(
        Link(
            "HAS_SUBNET",
            "AWSVPC",
            "AWSSubnet",
            on=(("uid", "vpc_id"),),
            forward="subnets",
            backward="vpc",
        ),
        Link(
            "IN_ZONE",
            "AWSSubnet",
            "AWSAvailabilityZone",
            on=(("account_id", "account_id"), ("availability_zone", "name")),
            forward="zone",
            backward="subnets",
            forward_many=False,
            backward_many=True,
        ),
    ),
    description="A subnet of a VPC in one availability zone.",
)


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    for page in scope.client("ec2").get_paginator("describe_subnets").paginate():
        yield [
            {
                "uid": s["SubnetId"],
                "subnet_id": s["SubnetId"],
                "vpc_id": s.get("VpcId"),
                "availability_zone": s.get("AvailabilityZone"),
                "availability_zone_id": s.get("AvailabilityZoneId"),
                "cidr_block": s.get("CidrBlock"),
                "available_ip_count": s.get("AvailableIpAddressCount"),
                "state": s.get("State"),
                "default_for_az": s.get("DefaultForAz", False),
                **rows.tags(s.get("Tags")),
            }
            for s in page["Subnets"]
        ]


COLLECTOR = Collector(KIND, collect)
