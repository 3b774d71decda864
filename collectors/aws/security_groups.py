"""Security groups of one account and region, and the instances in them."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws import rows
from collectors.aws.kinds import REGIONAL, TAGS
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="security-groups",
    label="AWSSecurityGroup",
    scope=REGIONAL,
    fields=(
        Field("group_id", filter=True),
        Field("group_name", filter=True),
        Field("vpc_id", filter=True),
        Field("description"),
        Field("owner_id"),
        Field("ingress_rules", int),
        Field("egress_rules", int),
        *TAGS,
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
            in_list=True,
            forward="security_groups",
            backward="instances",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="A security group.",
)


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    paginator = scope.client("ec2").get_paginator("describe_security_groups")
    for page in paginator.paginate():
        yield [
            {
                "uid": g["GroupId"],
                "group_id": g["GroupId"],
                "group_name": g.get("GroupName"),
                "vpc_id": g.get("VpcId"),
                "description": g.get("Description"),
                "owner_id": g.get("OwnerId"),
                "ingress_rules": len(g.get("IpPermissions", [])),
                "egress_rules": len(g.get("IpPermissionsEgress", [])),
                **rows.tags(g.get("Tags")),
            }
            for g in page["SecurityGroups"]
        ]


COLLECTOR = Collector(KIND, collect)
