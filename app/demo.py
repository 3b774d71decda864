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


def seed_region(ec2: Any, owner: str, per_subnet: int) -> int:
    """Seed one account and region; return the number of instances made."""
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    image = next(i["ImageId"] for i in images if not i.get("Platform"))  # a Linux image
    made = 0
    for net in NETWORKS:
        vpc = ec2.create_vpc(
            CidrBlock=net.cidr, TagSpecifications=_tags("vpc", Name=f"{owner}-{net.name}")
        )["Vpc"]["VpcId"]
        for n, cidr in enumerate(net.subnets):
            subnet = ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=cidr,
                TagSpecifications=_tags("subnet", Name=f"{owner}-{net.name}-{n}"),
            )["Subnet"]["SubnetId"]
            ec2.run_instances(
                ImageId=image,
                MinCount=per_subnet,
                MaxCount=per_subnet,
                InstanceType="t3.micro",
                SubnetId=subnet,
                TagSpecifications=_tags(
                    "instance", Name=f"{owner}-{net.name}-app", owner=owner, env=net.name
                ),
            )
            made += per_subnet
    return made


def seed(endpoint: str, per_subnet: int = 3) -> dict[str, int]:
    """Seed both demo accounts in both regions; instances made per account."""
    made = {}
    for account, role in ((MAIN_ACCOUNT, None), (SHOP_ACCOUNT, ROLE)):
        s = session(endpoint, role)
        made[account] = sum(
            seed_region(s.client("ec2", region_name=r, endpoint_url=endpoint), owner, per_subnet)
            for r, owner in ((r, "main" if role is None else "shop") for r in REGIONS)
        )
    return made
