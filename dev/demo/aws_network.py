"""The demo estate's networks in one account and region: each of NETWORKS as a VPC with a
web security group and subnets of instances; a data volume; an application load balancer
routing to prod and a classic ELB in front of staging; and the first leaks the reports
find (a volume, a balancer, an interface and a security group that nothing uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Network:
    name: str
    cidr: str
    subnets: tuple[str, ...]  # /18s, the size moto needs for many instances


NETWORKS = (
    Network("prod", "10.0.0.0/16", ("10.0.0.0/18", "10.0.64.0/18")),
    Network("staging", "10.1.0.0/16", ("10.1.0.0/18",)),
)


def tags(kind: str, **pairs: str) -> list[dict[str, Any]]:
    """The ``TagSpecifications`` of a resource of type ``kind`` tagged with ``pairs``."""
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in pairs.items()]}]


@dataclass
class Placed:
    """What one of NETWORKS became in a region."""

    vpc: str
    subnets: list[str]
    instances: list[str]


def place(
    ec2: Any, net: Network, owner: str, image: str, zones: list[str], per_subnet: int
) -> Placed:
    """The network's VPC, its web security group, and its subnets of ``per_subnet``
    instances each."""
    vpc = ec2.create_vpc(
        CidrBlock=net.cidr, TagSpecifications=tags("vpc", Name=f"{owner}-{net.name}")
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
            TagSpecifications=tags("subnet", Name=f"{owner}-{net.name}-{n}"),
        )["Subnet"]["SubnetId"]
        placed.subnets.append(subnet)
        reply = ec2.run_instances(
            ImageId=image,
            MinCount=per_subnet,
            MaxCount=per_subnet,
            InstanceType="t3.micro",
            SubnetId=subnet,
            SecurityGroupIds=[group],
            TagSpecifications=tags(
                "instance", Name=f"{owner}-{net.name}-app", owner=owner, env=net.name
            ),
        )
        placed.instances += [i["InstanceId"] for i in reply["Instances"]]
    return placed


def volumes(ec2: Any, owner: str, zone: str, instance: str) -> None:
    """A data volume on ``instance`` (each instance also has its root volume), and one
    attached to nothing: the leak the unattached-volumes report finds."""
    data = ec2.create_volume(
        AvailabilityZone=zone,
        Size=20,
        VolumeType="gp3",
        TagSpecifications=tags("volume", Name=f"{owner}-prod-data"),
    )["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=instance, Device="/dev/sdf")
    ec2.create_volume(
        AvailabilityZone=zone,
        Size=50,
        VolumeType="gp2",
        TagSpecifications=tags("volume", Name=f"{owner}-orphaned-data"),
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


def load_balancers(elbv2: Any, elb: Any, owner: str, prod: Placed, staging: Placed) -> None:
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


def leaks(ec2: Any, elbv2: Any, owner: str, staging: Placed) -> None:
    """Leaks for the reports to find: a balancer whose target group has no target, an
    interface attached to nothing, a security group nothing uses."""
    application_load_balancer(elbv2, f"{owner}-idle", staging.subnets, staging.vpc)
    ec2.create_network_interface(
        SubnetId=staging.subnets[0],
        Description="left behind",
        TagSpecifications=tags("network-interface", Name=f"{owner}-detached"),
    )
    ec2.create_security_group(
        GroupName=f"{owner}-unused", Description="nothing uses it", VpcId=staging.vpc
    )
