"""EC2 instances of one account and region (terminated ones are gone, so not kept)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from collectors.aws import rows
from collectors.aws.kinds import REGIONAL, TAGS
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="instances",
    label="AWSInstance",
    scope=REGIONAL,
    fields=(
        Field("instance_id", filter=True),
        Field("instance_type", filter=True),
        Field("state", filter=True),
        Field("image_id", filter=True),
        Field("vpc_id", filter=True),
        Field("subnet_id", filter=True),
        Field("private_ip", filter=True),
        Field("public_ip", filter=True),
        Field("launch_time", datetime),
        Field("architecture", filter=True),
        Field("platform", filter=True),
        Field("key_name"),
        Field("availability_zone", filter=True),
        Field("security_group_ids", list),
        *TAGS,
    ),
    links=(
        Link(
            "HAS_INSTANCE",
            "AWSSubnet",
            "AWSInstance",
            on=(("uid", "subnet_id"),),
            forward="instances",
            backward="subnet",
        ),
    ),
    description="An EC2 instance.",
)

GONE = {"terminated"}


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    paginator = scope.client("ec2").get_paginator("describe_instances")
    for page in paginator.paginate(PaginationConfig={"PageSize": 1000}):
        yield [
            _row(i)
            for reservation in page["Reservations"]
            for i in reservation["Instances"]
            if i.get("State", {}).get("Name") not in GONE
        ]


def _row(i: dict) -> Row:
    return {
        "uid": i["InstanceId"],
        "instance_id": i["InstanceId"],
        "instance_type": i.get("InstanceType"),
        "state": i.get("State", {}).get("Name"),
        "image_id": i.get("ImageId"),
        "vpc_id": i.get("VpcId"),
        "subnet_id": i.get("SubnetId"),
        "private_ip": i.get("PrivateIpAddress"),
        "public_ip": i.get("PublicIpAddress"),
        "launch_time": i.get("LaunchTime"),
        "architecture": i.get("Architecture"),
        "platform": i.get("Platform") or i.get("PlatformDetails"),
        "key_name": i.get("KeyName"),
        "availability_zone": i.get("Placement", {}).get("AvailabilityZone"),
        "security_group_ids": sorted(g["GroupId"] for g in i.get("SecurityGroups", [])),
        **rows.tags(i.get("Tags")),
    }


COLLECTOR = Collector(KIND, collect)
