"""A demo AWS estate of our own, seeded into a moto server for ``make run`` and the tests.

Two accounts (the second reached through an assumed role), two regions each, several
VPCs and subnets and a few dozen instances, all tagged so that they read well in the
Browser.  Their networks are dev/demo/aws_network.py's, issue 21's kinds in them
dev/demo/aws_services.py's and their Route53 zones dev/demo/aws_dns.py's; here, the
accounts and the order they are seeded in.
"""

from __future__ import annotations

from typing import Any

import boto3

from dev.demo import aws_network, aws_services
from dev.demo.aws_dns import address_of, seed_dns
from dev.demo.aws_network import NETWORKS

MAIN_ACCOUNT = "123456789012"  # moto's own account
SHOP_ACCOUNT = "210987654321"
REGIONS = ["us-east-1", "eu-west-1"]
ROLE = f"arn:aws:iam::{SHOP_ACCOUNT}:role/inventory-reader"


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


def seed_region(s: boto3.Session, endpoint: str, region: str, owner: str, per_subnet: int) -> int:
    """Seed one account and region; return the number of instances made.

    Per region: two VPCs; a web security group; a data volume on one instance and one
    attached to nothing; an idle load balancer, a detached interface and an unused
    security group (leaks the reports find); an application load balancer whose
    target group routes to the prod instances; a classic ELB in front of staging; a
    bucket; an image of the account's own, made from one of its instances; snapshots of
    a live and of a deleted volume; Elastic IPs on an instance, on NAT gateways and on
    nothing; and a NAT gateway for prod and an idle one in the default VPC.
    In prod: DB instances (public, private, stopped), Lambda functions (one in the VPC on
    a deprecated runtime) and Auto Scaling groups (one holding an instance, one empty).
    """
    ec2 = s.client("ec2", region_name=region, endpoint_url=endpoint)
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    image = next(i["ImageId"] for i in images if not i.get("Platform"))  # a Linux image
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    nets = {
        net.name: aws_network.place(ec2, net, owner, image, zones, per_subnet) for net in NETWORKS
    }
    prod, staging = nets["prod"], nets["staging"]
    aws_network.volumes(ec2, owner, zones[0], prod.instances[0])
    elbv2 = s.client("elbv2", region_name=region, endpoint_url=endpoint)
    elb = s.client("elb", region_name=region, endpoint_url=endpoint)
    aws_network.load_balancers(elbv2, elb, owner, prod, staging)
    aws_network.leaks(ec2, elbv2, owner, staging)
    aws_services.snapshots(ec2, owner, zones[0])
    aws_services.addresses(ec2, owner, prod)
    ec2.create_image(InstanceId=prod.instances[0], Name=f"{owner}-golden-{region}")
    _bucket(s, endpoint, region, owner)
    aws_services.seed_prod(s, endpoint, region, owner, prod, image)
    return sum(len(p.instances) for p in nets.values())


def _bucket(s: boto3.Session, endpoint: str, region: str, owner: str) -> None:
    s3 = s.client("s3", region_name=region, endpoint_url=endpoint)
    account = s.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    bucket: dict[str, Any] = {"Bucket": f"{owner}-{account}-{region}"}
    if region != "us-east-1":
        bucket["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**bucket)


def seed(endpoint: str, per_subnet: int = 3) -> dict[str, int]:
    """Seed both demo accounts in both regions, then their DNS (the main account's
    pointing at the shop's address too); instances made per account."""
    made = {}
    sessions = {}
    for account, role in ((MAIN_ACCOUNT, None), (SHOP_ACCOUNT, ROLE)):
        s = sessions[account] = session(endpoint, role)
        owner = "main" if role is None else "shop"
        made[account] = sum(seed_region(s, endpoint, r, owner, per_subnet) for r in REGIONS)
    shop = sessions[SHOP_ACCOUNT].client("ec2", region_name=REGIONS[0], endpoint_url=endpoint)
    seed_dns(sessions[MAIN_ACCOUNT], endpoint, REGIONS[0], "main", address_of(shop, "shop-web-ip"))
    seed_dns(sessions[SHOP_ACCOUNT], endpoint, REGIONS[0], "shop", None)
    return made
