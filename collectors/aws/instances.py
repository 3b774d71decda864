"""EC2 instances of one account and region (terminated ones are gone, so not kept)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collectors.aws.common import PLATFORM, REGIONAL, ids, tags
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="instances",
    label="AWSInstance",
    scope=REGIONAL,
    uid="InstanceId",
    fields=(
        Field("instance_id", path="InstanceId", filter=True),
        Field("instance_type", path="InstanceType", filter=True),
        Field("state", path="State.Name", filter=True),
        Field("image_id", path="ImageId", filter=True),
        Field("vpc_id", path="VpcId", filter=True),
        Field("subnet_id", path="SubnetId", filter=True),
        Field("private_ip", path="PrivateIpAddress", filter=True),
        Field("public_ip", path="PublicIpAddress", filter=True),
        Field("launch_time", datetime, path="LaunchTime"),
        Field("architecture", path="Architecture", filter=True),
        PLATFORM,
        Field("key_name", path="KeyName"),
        Field("availability_zone", path="Placement.AvailabilityZone", filter=True),
        Field("security_group_ids", list, path=ids("SecurityGroups", "GroupId")),
        *tags(),
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


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    paginator = session.client("ec2").get_paginator("describe_instances")
    for page in paginator.paginate(PaginationConfig={"PageSize": 1000}):
        yield [
            i
            for reservation in page["Reservations"]
            for i in reservation["Instances"]
            if i.get("State", {}).get("Name") not in GONE
        ]


COLLECTOR = Collector(KIND, collect)
