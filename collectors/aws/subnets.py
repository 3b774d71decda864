"""Subnets of one account and region."""

from __future__ import annotations

from collectors.aws.common import REGIONAL, paged, tags
from model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="subnets",
    label="AWSSubnet",
    scope=REGIONAL,
    uid="SubnetId",
    fields=(
        Field("subnet_id", path="SubnetId", filter=True),
        Field("vpc_id", path="VpcId", filter=True),
        Field("availability_zone", path="AvailabilityZone", filter=True),
        Field("availability_zone_id", path="AvailabilityZoneId"),
        Field("cidr_block", path="CidrBlock", filter=True),
        # Moves as interfaces come and go in the subnet: no change worth recording.
        Field("available_ip_count", int, path="AvailableIpAddressCount", tracked=False),
        Field("state", path="State", filter=True),
        Field("default_for_az", bool, path=lambda s: s.get("DefaultForAz", False)),
        *tags(),
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

COLLECTOR = paged(KIND, "ec2", "describe_subnets", "Subnets")
