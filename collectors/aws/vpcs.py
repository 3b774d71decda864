"""VPCs of one account and region."""

from __future__ import annotations

from collectors.aws.common import REGIONAL, paged, tags
from model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="vpcs",
    label="AWSVPC",
    scope=REGIONAL,
    uid="VpcId",
    fields=(
        Field("vpc_id", path="VpcId", filter=True),
        Field("cidr_block", path="CidrBlock", filter=True),
        Field("state", path="State", filter=True),
        Field("is_default", bool, path=lambda v: v.get("IsDefault", False), filter=True),
        Field("owner_id", path="OwnerId"),
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

COLLECTOR = paged(KIND, "ec2", "describe_vpcs", "Vpcs")
