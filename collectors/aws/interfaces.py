"""Elastic network interfaces of one account and region."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws import rows
from collectors.aws.kinds import REGIONAL, TAGS
from collectors.aws.scope import AwsScope
from collectors.base import Collector, Row
from graph.model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="network-interfaces",
    label="AWSNetworkInterface",
    scope=REGIONAL,
    fields=(
        Field("eni_id", filter=True),
        Field("subnet_id", filter=True),
        Field("vpc_id", filter=True),
        Field("instance_id", filter=True),
        Field("private_ip", filter=True),
        Field("public_ip", filter=True),
        Field("status", filter=True),
        Field("interface_type", filter=True),
        Field("mac_address"),
        Field("availability_zone", filter=True),
        Field("description"),
        Field("security_group_ids", list),
        *TAGS,
    ),
    links=(
        Link(
            "HAS_INTERFACE",
            "AWSInstance",
            "AWSNetworkInterface",
            on=(("uid", "instance_id"),),
            forward="interfaces",
            backward="instance",
        ),
        Link(
            "IN_SUBNET",
            "AWSNetworkInterface",
            "AWSSubnet",
            on=(("subnet_id", "uid"),),
            forward="subnet",
            backward="interfaces",
            forward_many=False,
            backward_many=True,
            scoped="source",
        ),
    ),
    description="An elastic network interface.",
)


def collect(scope: AwsScope) -> Iterator[list[Row]]:
    paginator = scope.client("ec2").get_paginator("describe_network_interfaces")
    for page in paginator.paginate():
        yield [_row(e) for e in page["NetworkInterfaces"]]


def _row(e: dict) -> Row:
    return {
        "uid": e["NetworkInterfaceId"],
        "eni_id": e["NetworkInterfaceId"],
        "subnet_id": e.get("SubnetId"),
        "vpc_id": e.get("VpcId"),
        "instance_id": e.get("Attachment", {}).get("InstanceId"),
        "private_ip": e.get("PrivateIpAddress"),
        "public_ip": e.get("Association", {}).get("PublicIp"),
        "status": e.get("Status"),
        "interface_type": e.get("InterfaceType"),
        "mac_address": e.get("MacAddress"),
        "availability_zone": e.get("AvailabilityZone"),
        "description": e.get("Description"),
        "security_group_ids": sorted(g["GroupId"] for g in e.get("Groups", [])),
        **rows.tags(e.get("TagSet")),
    }


COLLECTOR = Collector(KIND, collect)
