"""A demo AWS estate of our own, seeded into a moto server for ``make run`` and the tests.

Two accounts (the second reached through an assumed role), two regions each, several
VPCs and subnets and a few dozen instances, all tagged so that they read well in the
Browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

MAIN_ACCOUNT = "123456789012"  # moto's own account
SHOP_ACCOUNT = "210987654321"
REGIONS = ["us-east-1", "eu-west-1"]
ROLE = f"arn:aws:iam::{SHOP_ACCOUNT}:role/inventory-reader"


@dataclass(frozen=True)
class Network:
    name: str
    cidr: str
    subnets: tuple[str, ...]  # /18s, the size moto needs for many instances


NETWORKS = (
    Network("prod", "10.0.0.0/16", ("10.0.0.0/18", "10.0.64.0/18")),
    Network("staging", "10.1.0.0/16", ("10.1.0.0/18",)),
)


def accounts_config(endpoint: str) -> list[dict[str, Any]]:
    """The ``aws.accounts`` config that reaches the demo estate."""
    keys = {"access_key_id": "testing", "secret_access_key": "testing"}
    return [
        {"name": "demo-main", "endpoint_url": endpoint, "regions": REGIONS, **keys},
        {
            "name": "demo-shop",
            "endpoint_url": endpoint,
            "regions": REGIONS,
            "role_arn": ROLE,
            **keys,
        },
    ]


def session(endpoint: str, role_arn: str | None = None) -> boto3.Session:
    base = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGIONS[0]
    )
    if role_arn is None:
        return base
    creds = base.client("sts", endpoint_url=endpoint).assume_role(
        RoleArn=role_arn, RoleSessionName="demo-seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGIONS[0],
    )


def _tags(kind: str, **tags: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def seed_region(s: boto3.Session, endpoint: str, region: str, owner: str, per_subnet: int) -> int:
    """Seed one account and region; return the number of instances made.

    Per region: two VPCs; a web security group; a data volume on one instance and one
    attached to nothing; an idle load balancer, a detached interface and an unused
    security group (leaks the reports find); an application load balancer whose
    target group routes to the prod instances; a classic ELB in front of staging; a
    bucket; and an image of the account's own, made from one of its instances.
    """
    ec2 = s.client("ec2", region_name=region, endpoint_url=endpoint)
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    image = next(i["ImageId"] for i in images if not i.get("Platform"))  # a Linux image
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    made = 0
    placed: dict[str, list[str]] = {}
    subnets: dict[str, list[str]] = {}
    for net in NETWORKS:
        vpc = ec2.create_vpc(
            CidrBlock=net.cidr, TagSpecifications=_tags("vpc", Name=f"{owner}-{net.name}")
        )["Vpc"]["VpcId"]
        group = ec2.create_security_group(
            GroupName=f"{owner}-{net.name}-web", Description="web tier", VpcId=vpc
        )["GroupId"]
        for n, cidr in enumerate(net.subnets):
            subnet = ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=cidr,
                AvailabilityZone=zones[n % len(zones)],
                TagSpecifications=_tags("subnet", Name=f"{owner}-{net.name}-{n}"),
            )["Subnet"]["SubnetId"]
            subnets.setdefault(net.name, []).append(subnet)
            reply = ec2.run_instances(
                ImageId=image,
                MinCount=per_subnet,
                MaxCount=per_subnet,
                InstanceType="t3.micro",
                SubnetId=subnet,
                SecurityGroupIds=[group],
                TagSpecifications=_tags(
                    "instance", Name=f"{owner}-{net.name}-app", owner=owner, env=net.name
                ),
            )
            placed.setdefault(net.name, []).extend(i["InstanceId"] for i in reply["Instances"])
            made += per_subnet
        placed[f"{net.name}-vpc"] = [vpc]

    # A data volume on the first prod instance (each instance also has its root volume),
    # and one attached to nothing: the leak the unattached-volumes report finds.
    data = ec2.create_volume(
        AvailabilityZone=zones[0],
        Size=20,
        VolumeType="gp3",
        TagSpecifications=_tags("volume", Name=f"{owner}-prod-data"),
    )["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=placed["prod"][0], Device="/dev/sdf")
    ec2.create_volume(
        AvailabilityZone=zones[0],
        Size=50,
        VolumeType="gp2",
        TagSpecifications=_tags("volume", Name=f"{owner}-orphaned-data"),
    )

    elbv2 = s.client("elbv2", region_name=region, endpoint_url=endpoint)
    alb = elbv2.create_load_balancer(
        Name=f"{owner}-web", Subnets=subnets["prod"], Type="application"
    )
    group = elbv2.create_target_group(
        Name=f"{owner}-web",
        Protocol="HTTP",
        Port=80,
        VpcId=placed["prod-vpc"][0],
        TargetType="instance",
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": i} for i in placed["prod"]])
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    elb = s.client("elb", region_name=region, endpoint_url=endpoint)
    elb.create_load_balancer(
        LoadBalancerName=f"{owner}-legacy",
        Subnets=subnets["staging"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName=f"{owner}-legacy", Instances=[{"InstanceId": i} for i in placed["staging"]]
    )
    # Leaks for the reports to find: a balancer whose target group has no target, an
    # interface attached to nothing, a security group nothing uses.
    idle = elbv2.create_load_balancer(
        Name=f"{owner}-idle", Subnets=subnets["staging"], Type="application"
    )
    empty = elbv2.create_target_group(
        Name=f"{owner}-idle",
        Protocol="HTTP",
        Port=80,
        VpcId=placed["staging-vpc"][0],
        TargetType="instance",
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=idle["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": empty}],
    )
    ec2.create_network_interface(
        SubnetId=subnets["staging"][0],
        Description="left behind",
        TagSpecifications=_tags("network-interface", Name=f"{owner}-detached"),
    )
    ec2.create_security_group(
        GroupName=f"{owner}-unused", Description="nothing uses it", VpcId=placed["staging-vpc"][0]
    )
    ec2.create_image(InstanceId=placed["prod"][0], Name=f"{owner}-golden-{region}")
    s3 = s.client("s3", region_name=region, endpoint_url=endpoint)
    account = s.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    bucket: dict[str, Any] = {"Bucket": f"{owner}-{account}-{region}"}
    if region != "us-east-1":
        bucket["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**bucket)
    return made


def seed(endpoint: str, per_subnet: int = 3) -> dict[str, int]:
    """Seed both demo accounts in both regions; instances made per account."""
    made = {}
    for account, role in ((MAIN_ACCOUNT, None), (SHOP_ACCOUNT, ROLE)):
        s = session(endpoint, role)
        owner = "main" if role is None else "shop"
        made[account] = sum(seed_region(s, endpoint, r, owner, per_subnet) for r in REGIONS)
    return made
