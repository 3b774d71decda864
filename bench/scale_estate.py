"""collect_scale's estate in moto: per account a bucket and per region a VPC of two
subnets, its instances in one security group, an application load balancer routing to
five of them and an image of the first, with issue 21's kinds of bench/scale_services.py
beside them (moto's own account reached with keys, the others by assumed role); and what
moto then holds, counted back directly.
"""

from __future__ import annotations

import concurrent.futures
from collections import Counter

import boto3

from bench import scale_services as services
from dev.demo.aws_network import application_load_balancer

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]
MAIN = "123456789012"  # moto's own account: the one reached with keys


def account_ids(n: int) -> list[str]:
    return [MAIN] + [f"{200000000000 + i:012d}" for i in range(1, n)]


def session(moto: str, account: str) -> boto3.Session:
    base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    if account == MAIN:
        return base
    creds = base.client("sts", region_name=REGIONS[0], endpoint_url=moto).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/inventory-reader", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def seed(
    moto: str, accounts: list[str], instances: int, per_scope: int, threads: int
) -> Counter[str]:
    """The estate, an account per thread: what was made."""
    per_region = instances // (len(accounts) * len(REGIONS))
    extra = instances - per_region * len(accounts) * len(REGIONS)
    done: list[str] = []

    def one(account: str) -> Counter[str]:
        counts = [
            per_region + (extra if account == accounts[0] and r == 0 else 0)
            for r in range(len(REGIONS))
        ]
        made = seed_account(moto, account, counts, per_scope)
        done.append(account)
        print(f"  seeded account {len(done)}/{len(accounts)}", flush=True)
        return made

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, accounts), Counter())


def seed_account(moto: str, account: str, counts: list[int], per_scope: int) -> Counter[str]:
    """A bucket; per region the core and the services; Route53 zones pointing at them."""
    s = session(moto, account)
    s3 = s.client("s3", region_name=REGIONS[0], endpoint_url=moto)
    s3.create_bucket(Bucket=f"bench-{account}")
    role = services.lambda_role(s, moto)
    made: Counter[str] = Counter()
    ips, lbs = [], []
    for region, count in zip(REGIONS, counts, strict=True):
        scope, lb = seed_region(s, moto, region, count)
        made["instances"] += len(scope.instances)
        made["snapshots"] += 1  # moto snapshots the root volume of the image made there
        more, region_ips = services.seed_scope(scope, per_scope, role)
        made += more
        ips += region_ips
        lbs.append(lb)
    return made + services.seed_dns(s, moto, account, ips, lbs)


def seed_region(s: boto3.Session, moto: str, region: str, count: int) -> tuple[services.Scope, str]:
    """A VPC of two subnets, ``count`` instances in one security group, an application
    load balancer routing to five of them, and an image of the first: what the services
    need, and the load balancer's DNS name."""
    ec2 = s.client("ec2", region_name=region, endpoint_url=moto)
    image = next(
        i["ImageId"]
        for i in ec2.describe_images(Owners=["amazon"])["Images"]
        if not i.get("Platform")
    )
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zones[n])["Subnet"][
            "SubnetId"
        ]
        for n, cidr in enumerate(("10.0.0.0/18", "10.0.64.0/18"))
    ]
    group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)
    made: list[str] = []
    while len(made) < count:
        n = min(100, count - len(made))
        reply = ec2.run_instances(
            ImageId=image,
            MinCount=n,
            MaxCount=n,
            InstanceType="t3.micro",
            SubnetId=subnets[len(made) // 100 % 2],
            SecurityGroupIds=[group["GroupId"]],
        )
        made += [i["InstanceId"] for i in reply["Instances"]]
    elbv2 = s.client("elbv2", region_name=region, endpoint_url=moto)
    target = application_load_balancer(elbv2, "web", subnets, vpc)
    elbv2.register_targets(TargetGroupArn=target, Targets=[{"Id": i} for i in made[:5]])
    ec2.create_image(InstanceId=made[0], Name=f"golden-{region}")
    lb = elbv2.describe_load_balancers(Names=["web"])["LoadBalancers"][0]["DNSName"]
    return services.Scope(s, moto, region, vpc, subnets, group["GroupId"], made, image), lb


def estate(moto: str, accounts: list[str], threads: int) -> Counter[str]:
    """What moto holds, counted directly (no proxy), an account per thread."""
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(lambda account: estate_account(moto, account), accounts), Counter())


def estate_account(moto: str, account: str) -> Counter[str]:
    out: Counter[str] = Counter()
    s = session(moto, account)
    for region in REGIONS:
        ec2 = s.client("ec2", region_name=region, endpoint_url=moto)
        out["instances"] += sum(
            1
            for p in ec2.get_paginator("describe_instances").paginate()
            for r in p["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        )
        out["subnets"] += len(ec2.describe_subnets()["Subnets"])
        out["vpcs"] += len(ec2.describe_vpcs()["Vpcs"])
        out["security_groups"] += len(ec2.describe_security_groups()["SecurityGroups"])
        elbv2 = s.client("elbv2", region_name=region, endpoint_url=moto)
        elb = s.client("elb", region_name=region, endpoint_url=moto)
        out["load_balancers"] += len(elbv2.describe_load_balancers()["LoadBalancers"]) + len(
            elb.describe_load_balancers()["LoadBalancerDescriptions"]
        )
        out += services.count_scope(s, moto, region, account)
    return out + services.count_dns(s, moto)
