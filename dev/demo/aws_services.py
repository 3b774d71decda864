"""Issue 21's kinds in one account and region of the demo estate, each with the leak its
report finds and a near miss it must not: snapshots, Elastic IPs and NAT gateways, and in
the prod network RDS DB instances, Lambda functions and Auto Scaling groups.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3

from dev.demo.aws_network import Placed, tags


def snapshots(ec2: Any, owner: str, zone: str) -> None:
    """A snapshot of the prod data volume (its volume lives: the near miss) and one of a
    volume deleted since: the leak the orphaned-snapshots report finds.  (moto cannot
    backdate a snapshot, so old-snapshots finds these only with min_age_days=0.)"""
    data = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": [f"{owner}-prod-data"]}])
    ec2.create_snapshot(
        VolumeId=data["Volumes"][0]["VolumeId"],
        Description="nightly backup",
        TagSpecifications=tags("snapshot", Name=f"{owner}-prod-data-backup"),
    )
    retired = ec2.create_volume(AvailabilityZone=zone, Size=30, VolumeType="gp2")["VolumeId"]
    ec2.create_snapshot(
        VolumeId=retired,
        Description="before retiring the volume",
        TagSpecifications=tags("snapshot", Name=f"{owner}-retired-data-backup"),
    )
    ec2.delete_volume(VolumeId=retired)


def addresses(ec2: Any, owner: str, prod: Placed) -> None:
    """Elastic IPs and NAT gateways: an address on a prod instance and a NAT gateway for
    the prod subnets (near misses), and the leaks: an address assigned to nothing, and a
    NAT gateway in the default VPC, where no instance runs."""

    def address(name: str) -> str:
        spec = tags("elastic-ip", Name=f"{owner}-{name}")
        return ec2.allocate_address(Domain="vpc", TagSpecifications=spec)["AllocationId"]

    ec2.associate_address(AllocationId=address("web-ip"), InstanceId=prod.instances[-1])
    address("spare-ip")
    default = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    for name, subnet in (("prod", prod.subnets[0]), ("idle", default["Subnets"][0]["SubnetId"])):
        ec2.create_nat_gateway(
            SubnetId=subnet,
            AllocationId=address(f"{name}-nat-ip"),
            TagSpecifications=tags("natgateway", Name=f"{owner}-{name}-nat"),
        )


def seed_prod(
    s: boto3.Session, endpoint: str, region: str, owner: str, prod: Placed, image: str
) -> None:
    """RDS, Lambda and Auto Scaling in the prod network, with a security group of their
    own (so that it is in use, by them only)."""
    ec2 = s.client("ec2", region_name=region, endpoint_url=endpoint)
    group = ec2.create_security_group(
        GroupName=f"{owner}-prod-data", Description="databases and functions", VpcId=prod.vpc
    )["GroupId"]
    _databases(s.client("rds", region_name=region, endpoint_url=endpoint), owner, prod, group)
    role = lambda_role(s.client("iam", endpoint_url=endpoint), owner)
    lam = s.client("lambda", region_name=region, endpoint_url=endpoint)
    _functions(lam, owner, prod, group, role)
    autoscaling = s.client("autoscaling", region_name=region, endpoint_url=endpoint)
    _scaling_groups(ec2, autoscaling, owner, prod, image)


def _databases(rds: Any, owner: str, prod: Placed, group: str) -> None:
    """A publicly accessible database (the leak public-databases finds), a stopped one
    (stopped-databases), and a private running one, the near miss of both."""
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{owner}-prod",
        DBSubnetGroupDescription="prod databases",
        SubnetIds=prod.subnets,
    )
    for name, public in (("reports", True), ("orders", False), ("archive", False)):
        tags = [{"Key": "owner", "Value": owner}]
        postgres(rds, f"{owner}-{name}-db", f"{owner}-prod", group, public, Tags=tags)
    rds.stop_db_instance(DBInstanceIdentifier=f"{owner}-archive-db")


def postgres(rds: Any, name: str, subnets: str, group: str, public: bool, **more: Any) -> None:
    """A small PostgreSQL DB instance in the subnet group ``subnets`` and security group
    ``group`` (the demo's and bench/collect_scale's)."""
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="demo",
        MasterUserPassword="demo-password",
        DBSubnetGroupName=subnets,
        VpcSecurityGroupIds=[group],
        PubliclyAccessible=public,
        **more,
    )


def lambda_role(iam: Any, owner: str) -> str:
    """The execution role the demo's functions name (IAM is global: made once an account)."""
    name = f"{owner}-lambda"
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        trust = (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
            '"sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}'
        )
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def _functions(lam: Any, owner: str, prod: Placed, group: str, role: str) -> None:
    """A function in the prod VPC on a deprecated runtime (the leak
    deprecated-lambda-runtimes finds) and one outside any VPC on a current runtime."""
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("handler.py", "def handle(event, context):\n    return event\n")
    code = {"ZipFile": package.getvalue()}
    vpc = {"SubnetIds": prod.subnets, "SecurityGroupIds": [group]}
    for name, runtime, extra in (
        ("legacy", "python3.7", {"VpcConfig": vpc}),
        ("current", "python3.12", {}),
    ):
        lam.create_function(
            FunctionName=f"{owner}-{name}-fn",
            Runtime=runtime,
            Role=role,
            Handler="handler.handle",
            Code=code,
            Tags={"owner": owner},
            **extra,
        )


def _scaling_groups(ec2: Any, autoscaling: Any, owner: str, prod: Placed, image: str) -> None:
    """A group holding a prod instance and one wanting none (the leak
    empty-auto-scaling-groups finds), both launching into the prod subnets.  (The instance
    is attached, not launched, so that the estate's instances stay those it made.)"""
    ec2.create_launch_template(
        LaunchTemplateName=f"{owner}-web",
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"},
    )
    for name in ("web", "empty"):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=f"{owner}-{name}-asg",
            LaunchTemplate={"LaunchTemplateName": f"{owner}-web"},
            MinSize=0,
            MaxSize=2,
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(prod.subnets),
            Tags=[{"Key": "owner", "Value": owner, "PropagateAtLaunch": True}],
        )
    autoscaling.attach_instances(
        AutoScalingGroupName=f"{owner}-web-asg", InstanceIds=[prod.instances[-1]]
    )
