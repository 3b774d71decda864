"""Elastic network interfaces of one account and region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL, ids, tags
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

KIND = Kind(
    provider="aws",
    name="network-interfaces",
    label="AWSNetworkInterface",
    scope=REGIONAL,
    uid="NetworkInterfaceId",
    fields=(
        Field("eni_id", source="NetworkInterfaceId", filter=True),
        Field("subnet_id", source="SubnetId", filter=True),
        Field("vpc_id", source="VpcId", filter=True),
        Field("instance_id", source="Attachment.InstanceId", filter=True),
        Field("private_ip", source="PrivateIpAddress", filter=True),
        Field("public_ip", source="Association.PublicIp", filter=True),
        Field("status", source="Status", filter=True),
        Field("interface_type", source="InterfaceType", filter=True),
        Field("mac_address", source="MacAddress"),
        Field("availability_zone", source="AvailabilityZone", filter=True),
        Field("description", source="Description"),
        Field("security_group_ids", list, source=ids("Groups", "GroupId")),
        *tags("TagSet"),
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


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    paginator = session.client("ec2").get_paginator("describe_network_interfaces")
    for page in paginator.paginate():
        yield page["NetworkInterfaces"]


COLLECTOR = Collector(KIND, collect)
