"""The part of collect_scale's estate that issue 21's kinds collect: per account and region,
Elastic IPs (two on instances, one on each NAT gateway: five, AWS's default limit per
region at the default of three gateways), snapshots of instances' root volumes, NAT
gateways, RDS DB instances, Lambda functions and Auto Scaling groups (each holding an
instance); per account, Route53 hosted zones whose records point at the account's
addresses, at its load balancers and at an address nobody holds.  And the same counted
back from moto, as the collectors ask for it.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3

from dev.demo.aws_services import postgres

ZONES = 4  # hosted zones per account
TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
    '"sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}'
)


@dataclass
class Scope:
    """What collect_scale made in one account and region, for the services to use."""

    s: boto3.Session
    moto: str
    region: str
    vpc: str
    subnets: list[str]
    group: str
    instances: list[str]
    image: str

    def client(self, service: str) -> Any:
        return self.s.client(service, region_name=self.region, endpoint_url=self.moto)


def seed_scope(scope: Scope, per_scope: int, role: str) -> tuple[Counter[str], list[str]]:
    """``per_scope`` NAT gateways, DB instances, Lambda functions and Auto Scaling groups,
    ``per_scope + 1`` snapshots and ``per_scope + 2`` Elastic IPs in one region: what was
    made, and the addresses' public IPs."""
    ec2 = scope.client("ec2")
    made: Counter[str] = Counter()
    ips = _addresses(ec2, scope, per_scope, made)
    for instance in scope.instances[: per_scope + 1]:
        volumes = ec2.describe_volumes(
            Filters=[{"Name": "attachment.instance-id", "Values": [instance]}]
        )["Volumes"]
        ec2.create_snapshot(VolumeId=volumes[0]["VolumeId"], Description="bench backup")
        made["snapshots"] += 1
    _databases(scope, per_scope, made)
    _functions(scope, per_scope, role, made)
    _scaling_groups(scope, per_scope, made)
    return made, ips


def _addresses(ec2: Any, scope: Scope, per_scope: int, made: Counter[str]) -> list[str]:
    """Two addresses on instances, one on each of ``per_scope`` NAT gateways."""
    ips = []
    for n in range(per_scope + 2):
        address = ec2.allocate_address(Domain="vpc")
        ips.append(address["PublicIp"])
        if n < 2:
            ec2.associate_address(
                AllocationId=address["AllocationId"], InstanceId=scope.instances[-1 - n]
            )
        else:
            ec2.create_nat_gateway(
                SubnetId=scope.subnets[n % len(scope.subnets)],
                AllocationId=address["AllocationId"],
            )
            made["nat_gateways"] += 1
    made["elastic_ips"] += len(ips)
    return ips


def _databases(scope: Scope, per_scope: int, made: Counter[str]) -> None:
    rds = scope.client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="bench", DBSubnetGroupDescription="bench", SubnetIds=scope.subnets
    )
    for n in range(per_scope):
        postgres(rds, f"bench-db-{n}", "bench", scope.group, public=n == 0)
        made["db_instances"] += 1


def _functions(scope: Scope, per_scope: int, role: str, made: Counter[str]) -> None:
    """Functions, every other one in the VPC."""
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("handler.py", "def handle(event, context):\n    return event\n")
    lam = scope.client("lambda")
    vpc = {"VpcConfig": {"SubnetIds": scope.subnets, "SecurityGroupIds": [scope.group]}}
    for n in range(per_scope):
        lam.create_function(
            FunctionName=f"bench-fn-{n}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handle",
            Code={"ZipFile": package.getvalue()},
            Tags={"bench": "scale"},
            **(vpc if n % 2 == 0 else {}),
        )
        made["lambda_functions"] += 1


def _scaling_groups(scope: Scope, per_scope: int, made: Counter[str]) -> None:
    """Groups wanting none, each then given an instance of the estate (attached, not
    launched: the estate's instances stay those collect_scale made)."""
    scope.client("ec2").create_launch_template(
        LaunchTemplateName="bench",
        LaunchTemplateData={"ImageId": scope.image, "InstanceType": "t3.micro"},
    )
    autoscaling = scope.client("autoscaling")
    for n in range(per_scope):
        name = f"bench-asg-{n}"
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": "bench"},
            MinSize=0,
            MaxSize=2,
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(scope.subnets),
        )
        autoscaling.attach_instances(
            AutoScalingGroupName=name, InstanceIds=[scope.instances[10 + n]]
        )
        made["auto_scaling_groups"] += 1


def lambda_role(s: boto3.Session, moto: str) -> str:
    """The execution role the account's functions name (IAM is global)."""
    iam = s.client("iam", region_name="us-east-1", endpoint_url=moto)
    return str(
        iam.create_role(RoleName="bench-lambda", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    )


def seed_dns(
    s: boto3.Session, moto: str, account: str, ips: list[str], lbs: list[str]
) -> Counter[str]:
    """ZONES public zones, each with four A records at the account's addresses, a CNAME
    to one of its load balancers and an A record at an address nobody holds (TEST-NET-1);
    moto adds each zone's NS and SOA."""
    route53 = s.client("route53", region_name="us-east-1", endpoint_url=moto)
    made: Counter[str] = Counter()
    for z in range(ZONES):
        name = f"zone{z}.{account}.example.com"
        zone = route53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
        records = [("A", f"www{i}.{name}", ips[(z * 4 + i) % len(ips)]) for i in range(4)]
        records += [
            ("CNAME", f"app.{name}", lbs[z % len(lbs)]),
            ("A", f"old.{name}", f"192.0.2.{z + 1}"),
        ]
        changes = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": record,
                    "Type": kind,
                    "TTL": 300,
                    "ResourceRecords": [{"Value": value}],
                },
            }
            for kind, record, value in records
        ]
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
        made["hosted_zones"] += 1
        made["dns_records"] += len(records) + 2  # and the NS and SOA moto adds
    return made


def count_scope(s: boto3.Session, moto: str, region: str, account: str) -> Counter[str]:
    """What moto lists of the services' kinds in one region, as the collectors ask."""
    ec2 = s.client("ec2", region_name=region, endpoint_url=moto)

    def paged(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        pages = client.get_paginator(operation).paginate(**kwargs)
        return [item for page in pages for item in page[key]]

    snapshots = paged(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"])
    nats = paged(ec2, "describe_nat_gateways", "NatGateways")
    return Counter(
        elastic_ips=len(ec2.describe_addresses()["Addresses"]),
        snapshots=sum(1 for x in snapshots if x.get("OwnerId") == account),
        nat_gateways=sum(1 for x in nats if x["State"] not in ("deleted", "deleting")),
        db_instances=len(
            paged(
                s.client("rds", region_name=region, endpoint_url=moto),
                "describe_db_instances",
                "DBInstances",
            )
        ),
        lambda_functions=len(
            paged(
                s.client("lambda", region_name=region, endpoint_url=moto),
                "list_functions",
                "Functions",
            )
        ),
        auto_scaling_groups=len(
            paged(
                s.client("autoscaling", region_name=region, endpoint_url=moto),
                "describe_auto_scaling_groups",
                "AutoScalingGroups",
            )
        ),
    )


def count_dns(s: boto3.Session, moto: str) -> Counter[str]:
    route53 = s.client("route53", region_name="us-east-1", endpoint_url=moto)
    zones = [
        z for p in route53.get_paginator("list_hosted_zones").paginate() for z in p["HostedZones"]
    ]
    records = route53.get_paginator("list_resource_record_sets")
    return Counter(
        hosted_zones=len(zones),
        dns_records=sum(
            len(p["ResourceRecordSets"])
            for z in zones
            for p in records.paginate(HostedZoneId=z["Id"])
        ),
    )


# The graph's labels of the kinds above (those of a kind not in the catalog are not counted).
LABELS = {
    "elastic_ips": ["AWSElasticIP"],
    "snapshots": ["AWSSnapshot"],
    "nat_gateways": ["AWSNatGateway"],
    "db_instances": ["AWSDBInstance"],
    "lambda_functions": ["AWSLambdaFunction"],
    "auto_scaling_groups": ["AWSAutoScalingGroup"],
    "hosted_zones": ["AWSHostedZone"],
    "dns_records": ["AWSDNSRecord"],
}
