"""Security groups of one account and region, and the instances in them."""

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
    name="security-groups",
    label="AWSSecurityGroup",
    scope=REGIONAL,
    uid="GroupId",
    fields=(
        Field("group_id", source="GroupId", filter=True),
        Field("group_name", source="GroupName", filter=True),
        Field("vpc_id", source="VpcId", filter=True),
        Field("description", source="Description"),
        Field("owner_id", source="OwnerId"),
        Field("ingress_rules", int, source=lambda g: len(g.get("IpPermissions") or ())),
        Field("egress_rules", int, source=lambda g: len(g.get("IpPermissionsEgress") or ())),
        *tags(),
    ),
    links=(
        Link(
            "HAS_SECURITY_GROUP",
            "AWSVPC",
            "AWSSecurityGroup",
            on=(("uid", "vpc_id"),),
            forward="security_groups",
            backward="vpc",
        ),
        Link(
            "IN_SECURITY_GROUP",
            "AWSInstance",
            "AWSSecurityGroup",
            on=(("security_group_ids", "uid"),),
            in_list="source",
            forward="security_groups",
            backward="instances",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="A security group.",
)


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    paginator = session.client("ec2").get_paginator("describe_security_groups")
    for page in paginator.paginate():
        yield page["SecurityGroups"]


COLLECTOR = Collector(KIND, collect)
