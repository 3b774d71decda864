"""A demo AWS estate of our own, seeded into a moto server for ``make run`` and the tests.

Two accounts (the second reached through an assumed role), two regions each, several
VPCs and subnets and a few dozen instances, all tagged so that they read well in the
Browser.
"""

from __future__ import annotations

import io
import zipfile
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


@dataclass
class Placed:
    """What one of NETWORKS became in a region."""

    vpc: str
    subnets: list[str]
    instances: list[str]


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
    nets = {net.name: _network(ec2, net, owner, image, zones, per_subnet) for net in NETWORKS}
    prod, staging = nets["prod"], nets["staging"]
    _volumes(ec2, owner, zones[0], prod.instances[0])
    elbv2 = s.client("elbv2", region_name=region, endpoint_url=endpoint)
    elb = s.client("elb", region_name=region, endpoint_url=endpoint)
    _load_balancers(elbv2, elb, owner, prod, staging)
    _leaks(ec2, elbv2, owner, staging)
    _snapshots(ec2, owner, zones[0])
    _addresses(ec2, owner, prod)
    ec2.create_image(InstanceId=prod.instances[0], Name=f"{owner}-golden-{region}")
    _bucket(s, endpoint, region, owner)
    _services(s, endpoint, region, owner, prod, image)
    return sum(len(p.instances) for p in nets.values())


def _network(
    ec2: Any, net: Network, owner: str, image: str, zones: list[str], per_subnet: int
) -> Placed:
    """The network's VPC, its web security group, and its subnets of ``per_subnet``
    instances each."""
    vpc = ec2.create_vpc(
        CidrBlock=net.cidr, TagSpecifications=_tags("vpc", Name=f"{owner}-{net.name}")
    )["Vpc"]["VpcId"]
    group = ec2.create_security_group(
        GroupName=f"{owner}-{net.name}-web", Description="web tier", VpcId=vpc
    )["GroupId"]
    placed = Placed(vpc, [], [])
    for n, cidr in enumerate(net.subnets):
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=cidr,
            AvailabilityZone=zones[n % len(zones)],
            TagSpecifications=_tags("subnet", Name=f"{owner}-{net.name}-{n}"),
        )["Subnet"]["SubnetId"]
        placed.subnets.append(subnet)
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
        placed.instances += [i["InstanceId"] for i in reply["Instances"]]
    return placed


def _volumes(ec2: Any, owner: str, zone: str, instance: str) -> None:
    """A data volume on ``instance`` (each instance also has its root volume), and one
    attached to nothing: the leak the unattached-volumes report finds."""
    data = ec2.create_volume(
        AvailabilityZone=zone,
        Size=20,
        VolumeType="gp3",
        TagSpecifications=_tags("volume", Name=f"{owner}-prod-data"),
    )["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=instance, Device="/dev/sdf")
    ec2.create_volume(
        AvailabilityZone=zone,
        Size=50,
        VolumeType="gp2",
        TagSpecifications=_tags("volume", Name=f"{owner}-orphaned-data"),
    )


def application_load_balancer(elbv2: Any, name: str, subnets: list[str], vpc: str) -> str:
    """An application load balancer whose HTTP listener forwards to a target group of
    its own, with no target yet; the group's ARN."""
    alb = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")
    group = elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    return group


def _load_balancers(elbv2: Any, elb: Any, owner: str, prod: Placed, staging: Placed) -> None:
    """An application load balancer routing to the prod instances; a classic ELB in front
    of staging."""
    web = application_load_balancer(elbv2, f"{owner}-web", prod.subnets, prod.vpc)
    elbv2.register_targets(TargetGroupArn=web, Targets=[{"Id": i} for i in prod.instances])
    elb.create_load_balancer(
        LoadBalancerName=f"{owner}-legacy",
        Subnets=staging.subnets,
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName=f"{owner}-legacy", Instances=[{"InstanceId": i} for i in staging.instances]
    )


def _leaks(ec2: Any, elbv2: Any, owner: str, staging: Placed) -> None:
    """Leaks for the reports to find: a balancer whose target group has no target, an
    interface attached to nothing, a security group nothing uses."""
    application_load_balancer(elbv2, f"{owner}-idle", staging.subnets, staging.vpc)
    ec2.create_network_interface(
        SubnetId=staging.subnets[0],
        Description="left behind",
        TagSpecifications=_tags("network-interface", Name=f"{owner}-detached"),
    )
    ec2.create_security_group(
        GroupName=f"{owner}-unused", Description="nothing uses it", VpcId=staging.vpc
    )


def _snapshots(ec2: Any, owner: str, zone: str) -> None:
    """A snapshot of the prod data volume (its volume lives: the near miss) and one of a
    volume deleted since: the leak the orphaned-snapshots report finds.  (moto cannot
    backdate a snapshot, so old-snapshots finds these only with min_age_days=0.)"""
    data = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": [f"{owner}-prod-data"]}])
    ec2.create_snapshot(
        VolumeId=data["Volumes"][0]["VolumeId"],
        Description="nightly backup",
        TagSpecifications=_tags("snapshot", Name=f"{owner}-prod-data-backup"),
    )
    retired = ec2.create_volume(AvailabilityZone=zone, Size=30, VolumeType="gp2")["VolumeId"]
    ec2.create_snapshot(
        VolumeId=retired,
        Description="before retiring the volume",
        TagSpecifications=_tags("snapshot", Name=f"{owner}-retired-data-backup"),
    )
    ec2.delete_volume(VolumeId=retired)


def _addresses(ec2: Any, owner: str, prod: Placed) -> None:
    """Elastic IPs and NAT gateways: an address on a prod instance and a NAT gateway for
    the prod subnets (near misses), and the leaks: an address assigned to nothing, and a
    NAT gateway in the default VPC, where no instance runs."""

    def address(name: str) -> str:
        spec = _tags("elastic-ip", Name=f"{owner}-{name}")
        return ec2.allocate_address(Domain="vpc", TagSpecifications=spec)["AllocationId"]

    ec2.associate_address(AllocationId=address("web-ip"), InstanceId=prod.instances[-1])
    address("spare-ip")
    default = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    for name, subnet in (("prod", prod.subnets[0]), ("idle", default["Subnets"][0]["SubnetId"])):
        ec2.create_nat_gateway(
            SubnetId=subnet,
            AllocationId=address(f"{name}-nat-ip"),
            TagSpecifications=_tags("natgateway", Name=f"{owner}-{name}-nat"),
        )


def _bucket(s: boto3.Session, endpoint: str, region: str, owner: str) -> None:
    s3 = s.client("s3", region_name=region, endpoint_url=endpoint)
    account = s.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    bucket: dict[str, Any] = {"Bucket": f"{owner}-{account}-{region}"}
    if region != "us-east-1":
        bucket["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**bucket)


def _services(
    s: boto3.Session, endpoint: str, region: str, owner: str, prod: Placed, image: str
) -> None:
    """RDS, Lambda and Auto Scaling in the prod network, with a security group of their
    own (so that it is in use, by them only)."""
    ec2 = s.client("ec2", region_name=region, endpoint_url=endpoint)
    group = ec2.create_security_group(
        GroupName=f"{owner}-prod-data", Description="databases and functions", VpcId=prod.vpc
    )["GroupId"]
    _databases(s.client("rds", region_name=region, endpoint_url=endpoint), owner, prod, group)
    role = _lambda_role(s.client("iam", endpoint_url=endpoint), owner)
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


def _lambda_role(iam: Any, owner: str) -> str:
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


def _address_of(ec2: Any, name: str) -> str:
    """The public IP of the Elastic IP tagged ``name``."""
    found = ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": [name]}])
    return str(found["Addresses"][0]["PublicIp"])


def _record(name: str, kind: str, value: str) -> dict[str, Any]:
    return {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": name,
            "Type": kind,
            "TTL": 300,
            "ResourceRecords": [{"Value": value}],
        },
    }


def _zone(route53: Any, name: str, records: list[dict[str, Any]], **private: Any) -> str:
    zone = route53.create_hosted_zone(Name=name, CallerReference=name, **private)["HostedZone"]
    for change in records:
        change["ResourceRecordSet"]["Name"] += f".{name}"
    route53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": records})
    return str(zone["Id"]).rsplit("/", 1)[-1]


def seed_dns(s: boto3.Session, endpoint: str, owner: str, partner_ip: str | None) -> None:
    """Route53 (global: once an account, at what its first region holds).  A public zone
    ``<owner>.example.com``: ``web`` at the address on a prod instance, ``www`` an alias
    to the web load balancer and ``legacy`` a CNAME to the classic ELB (near misses), and
    the leaks dangling-dns-records finds: ``old`` at an address released since, and
    ``retired``, a CNAME to a load balancer deleted since; with ``partner_ip``,
    ``partner`` at another account's address (linked across accounts, no leak).  A
    private zone ``<owner>.internal`` on the prod VPC: ``db`` at a private address (never
    a leak), and ``old-api``, a CNAME to the deleted load balancer."""
    region = REGIONS[0]
    ec2 = s.client("ec2", region_name=region, endpoint_url=endpoint)
    elbv2 = s.client("elbv2", region_name=region, endpoint_url=endpoint)
    elb = s.client("elb", region_name=region, endpoint_url=endpoint)
    released = ec2.allocate_address(Domain="vpc")
    ec2.release_address(AllocationId=released["AllocationId"])
    web = elbv2.describe_load_balancers(Names=[f"{owner}-web"])["LoadBalancers"][0]
    legacy = elb.describe_load_balancers(LoadBalancerNames=[f"{owner}-legacy"])
    subnets = [z["SubnetId"] for z in web["AvailabilityZones"]]
    retired = elbv2.create_load_balancer(Name=f"{owner}-retired", Subnets=subnets)
    retired = retired["LoadBalancers"][0]
    elbv2.delete_load_balancer(LoadBalancerArn=retired["LoadBalancerArn"])
    alias = {
        "HostedZoneId": web["CanonicalHostedZoneId"],
        "DNSName": f"dualstack.{web['DNSName']}.",
        "EvaluateTargetHealth": False,
    }
    records = [
        _record("web", "A", _address_of(ec2, f"{owner}-web-ip")),
        {
            "Action": "CREATE",
            "ResourceRecordSet": {"Name": "www", "Type": "A", "AliasTarget": alias},
        },
        _record("legacy", "CNAME", legacy["LoadBalancerDescriptions"][0]["DNSName"]),
        _record("old", "A", released["PublicIp"]),
        _record("retired", "CNAME", retired["DNSName"]),
    ]
    if partner_ip:
        records.append(_record("partner", "A", partner_ip))
    route53 = s.client("route53", endpoint_url=endpoint)
    public = _zone(route53, f"{owner}.example.com", records)
    route53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=public, AddTags=[{"Key": "owner", "Value": owner}]
    )
    _zone(
        route53,
        f"{owner}.internal",
        [_record("db", "A", "10.0.0.10"), _record("old-api", "CNAME", retired["DNSName"])],
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": region, "VPCId": web["VpcId"]},
    )


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
    seed_dns(sessions[MAIN_ACCOUNT], endpoint, "main", _address_of(shop, "shop-web-ip"))
    seed_dns(sessions[SHOP_ACCOUNT], endpoint, "shop", None)
    return made
