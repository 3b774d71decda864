"""Security groups of one account and region, and the instances in them."""

from __future__ import annotations

from collectors.aws.common import REGIONAL, paged, tags
from model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="security-groups",
    label="AWSSecurityGroup",
    scope=REGIONAL,
    uid="GroupId",
    fields=(
        Field("group_id", path="GroupId", filter=True),
        Field("group_name", path="GroupName", filter=True),
        Field("vpc_id", path="VpcId", filter=True),
        Field("description", path="Description"),
        Field("owner_id", path="OwnerId"),
        Field("ingress_rules", int, path=lambda g: len(g.get("IpPermissions") or ())),
        Field("egress_rules", int, path=lambda g: len(g.get("IpPermissionsEgress") or ())),
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

COLLECTOR = paged(KIND, "ec2", "describe_security_groups", "SecurityGroups")
