"""Load balancers of one account and region: ELBv2 (application, network, gateway) with
their target groups' instance targets, and classic ELBs with their instances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from collectors.aws.kinds import REGIONAL
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="load-balancers",
    label="AWSLoadBalancer",
    scope=REGIONAL,
    fields=(
        Field("arn", filter=True),
        Field("name", filter=True),
        Field("dns_name", filter=True),
        Field("type", filter=True),
        Field("scheme", filter=True),
        Field("state", filter=True),
        Field("vpc_id", filter=True),
        Field("created_time", datetime),
        Field("target_group_arns", list),
        Field("target_instance_ids", list),
        Field("security_group_ids", list),
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
            in_list=True,
            forward="targets",
            backward="load_balancers",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="A load balancer: application, network, gateway or classic.",
)


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    elbv2 = scope.client("elbv2")
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        yield [_v2_row(elbv2, lb) for lb in page["LoadBalancers"]]
    elb = scope.client("elb")
    for page in elb.get_paginator("describe_load_balancers").paginate():
        yield [_classic_row(scope, lb) for lb in page["LoadBalancerDescriptions"]]


def _v2_row(elbv2: Any, lb: dict) -> Row:
    pages = elbv2.get_paginator("describe_target_groups").paginate(
        LoadBalancerArn=lb["LoadBalancerArn"]
    )
    groups = [g for page in pages for g in page["TargetGroups"]]
    targets: set[str] = set()
    for group in groups:
        if group.get("TargetType", "instance") != "instance":
            continue  # IP and Lambda targets name no instance
        health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        targets |= {t["Target"]["Id"] for t in health["TargetHealthDescriptions"]}
    return {
        "uid": lb["LoadBalancerArn"],
        "arn": lb["LoadBalancerArn"],
        "name": lb.get("LoadBalancerName"),
        "dns_name": lb.get("DNSName"),
        "type": lb.get("Type"),
        "scheme": lb.get("Scheme"),
        "state": lb.get("State", {}).get("Code"),
        "vpc_id": lb.get("VpcId"),
        "created_time": lb.get("CreatedTime"),
        "target_group_arns": sorted(g["TargetGroupArn"] for g in groups),
        "target_instance_ids": sorted(targets),
        "security_group_ids": sorted(lb.get("SecurityGroups", [])),
    }


def _classic_row(scope: AwsScope, lb: dict) -> Row:
    # Classic ELBs report no ARN; this is the one AWS gives them.
    arn = (
        f"arn:aws:elasticloadbalancing:{scope.region}:{scope.account_id}"
        f":loadbalancer/{lb['LoadBalancerName']}"
    )
    return {
        "uid": arn,
        "arn": arn,
        "name": lb["LoadBalancerName"],
        "dns_name": lb.get("DNSName"),
        "type": "classic",
        "scheme": lb.get("Scheme"),
        "state": "active",
        "vpc_id": lb.get("VPCId"),
        "created_time": lb.get("CreatedTime"),
        "target_group_arns": [],
        "target_instance_ids": sorted(i["InstanceId"] for i in lb.get("Instances", [])),
        "security_group_ids": sorted(lb.get("SecurityGroups", [])),
    }


COLLECTOR = Collector(KIND, collect)
