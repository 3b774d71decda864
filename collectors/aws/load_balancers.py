"""Load balancers of one account and region: ELBv2 (application, network, gateway) with
their target groups' instance targets, and classic ELBs with their instances.

Classic ELBs are given the shape of ELBv2 records, so one mapping serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL
from collectors.base import Collector
from model import UNKNOWN, Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="load-balancers",
    label="AWSLoadBalancer",
    scope=REGIONAL,
    uid="LoadBalancerArn",
    fields=(
        Field("arn", path="LoadBalancerArn", filter=True),
        Field("name", path="LoadBalancerName", filter=True),
        Field("dns_name", path="DNSName", filter=True),
        Field("type", path="Type", filter=True),
        Field("scheme", path="Scheme", filter=True),
        Field("state", path="State.Code", filter=True),
        Field("vpc_id", path="VpcId", filter=True),
        Field("created_time", datetime, path="CreatedTime"),
        Field("target_group_arns", list, path="TargetGroupArns"),
        Field("target_instance_ids", list, path="TargetInstanceIds"),
        Field("security_group_ids", list, path=lambda lb: sorted(lb.get("SecurityGroups", []))),
    ),
    links=(
        Link(
            "HAS_LOAD_BALANCER",
            "AWSVPC",
            "AWSLoadBalancer",
            on=(("uid", "vpc_id"),),
            forward="load_balancers",
            backward="vpc",
        ),
        Link(
            "ROUTES_TO",
            "AWSLoadBalancer",
            "AWSInstance",
            on=(("target_instance_ids", "uid"),),
            in_list="source",
            forward="targets",
            backward="load_balancers",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="A load balancer: application, network, gateway or classic.",
)


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    elbv2 = session.client("elbv2")
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        yield list(session.each(page["LoadBalancers"], partial(_with_targets, session, elbv2)))
    elb = session.client("elb")
    for page in elb.get_paginator("describe_load_balancers").paginate():
        yield [_classic(session, lb) for lb in page["LoadBalancerDescriptions"]]


def _with_targets(session: AwsSession, elbv2: Any, lb: dict[str, Any]) -> dict[str, Any]:
    """The balancer with its target groups and their instances; what a detail call could
    not give (a balancer with no target group, one deleted since the listing) UNKNOWN."""
    arn = lb["LoadBalancerArn"]

    def groups() -> list[dict[str, Any]]:
        pages = elbv2.get_paginator("describe_target_groups").paginate(LoadBalancerArn=arn)
        return [g for page in pages for g in page["TargetGroups"]]

    def targets(found: list[dict[str, Any]]) -> list[str]:
        out: set[str] = set()
        for group in found:
            if group.get("TargetType", "instance") != "instance":
                continue  # IP and Lambda targets name no instance
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            out |= {t["Target"]["Id"] for t in health["TargetHealthDescriptions"]}
        return sorted(out)

    found = session.attempt(f"target groups of {arn}", groups)
    if found is UNKNOWN:
        return {**lb, "TargetGroupArns": UNKNOWN, "TargetInstanceIds": UNKNOWN}
    return {
        **lb,
        "TargetGroupArns": sorted(g["TargetGroupArn"] for g in found),
        "TargetInstanceIds": session.attempt(f"targets of {arn}", lambda: targets(found)),
    }


def _classic(session: AwsSession, lb: dict[str, Any]) -> dict[str, Any]:
    # Classic ELBs report no ARN; this is the one AWS gives them.
    arn = (
        f"arn:aws:elasticloadbalancing:{session.region}:{session.account_id}"
        f":loadbalancer/{lb['LoadBalancerName']}"
    )
    return {
        "LoadBalancerArn": arn,
        "LoadBalancerName": lb["LoadBalancerName"],
        "DNSName": lb.get("DNSName"),
        "Type": "classic",
        "Scheme": lb.get("Scheme"),
        "State": {"Code": "active"},
        "VpcId": lb.get("VPCId"),
        "CreatedTime": lb.get("CreatedTime"),
        "TargetGroupArns": [],
        "TargetInstanceIds": sorted(i["InstanceId"] for i in lb.get("Instances", [])),
        "SecurityGroups": lb.get("SecurityGroups", []),
    }


COLLECTOR = Collector(KIND, collect)
