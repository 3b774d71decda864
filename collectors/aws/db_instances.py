"""RDS DB instances of one account and region, the subnets of their DB subnet group and
the VPC security groups they are in."""

from __future__ import annotations

from datetime import datetime

from collectors.aws.common import REGIONAL, ids, paged, tags
from model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="db-instances",
    label="AWSDBInstance",
    scope=REGIONAL,
    # The identifier is only unique in its account and region; the ARN everywhere.
    uid="DBInstanceArn",
    fields=(
        Field("arn", path="DBInstanceArn"),
        Field("db_instance_id", path="DBInstanceIdentifier", filter=True),
        Field("engine", path="Engine", filter=True),
        Field("engine_version", path="EngineVersion"),
        Field("instance_class", path="DBInstanceClass", filter=True),
        Field("status", path="DBInstanceStatus", filter=True),
        # AWS always answers it; moto only when it was set at creation (None: not known).
        Field("publicly_accessible", bool, path="PubliclyAccessible", filter=True),
        Field("multi_az", bool, path="MultiAZ", filter=True),
        Field("storage_gib", int, path="AllocatedStorage"),
        Field("storage_type", path="StorageType"),
        Field("encrypted", bool, path="StorageEncrypted", filter=True),
        Field("create_time", datetime, path="InstanceCreateTime"),
        Field("availability_zone", path="AvailabilityZone", filter=True),
        Field("endpoint", path="Endpoint.Address"),
        Field("vpc_id", path="DBSubnetGroup.VpcId", filter=True),
        Field("subnet_group", path="DBSubnetGroup.DBSubnetGroupName"),
        Field(
            "subnet_ids",
            list,
            path=lambda d: ids("Subnets", "SubnetIdentifier")(d.get("DBSubnetGroup") or {}),
        ),
        Field("security_group_ids", list, path=ids("VpcSecurityGroups", "VpcSecurityGroupId")),
        *tags("TagList"),
    ),
    links=(
        Link(
            "HAS_DB_INSTANCE",
            "AWSSubnet",
            "AWSDBInstance",
            on=(("uid", "subnet_ids"),),
            in_list="target",
            forward="db_instances",
            backward="subnets",
            backward_many=True,
        ),
        Link(
            "IN_SECURITY_GROUP",
            "AWSDBInstance",
            "AWSSecurityGroup",
            on=(("security_group_ids", "uid"),),
            in_list="source",
            forward="security_groups",
            backward="db_instances",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="An RDS DB instance, in each subnet of its DB subnet group.",
)

# DescribeDBInstances answers at most 100 a page.
COLLECTOR = paged(KIND, "rds", "describe_db_instances", "DBInstances", page_size=100)
