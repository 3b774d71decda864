"""Elastic network interfaces of one account and region."""

from __future__ import annotations

from collectors.aws.common import REGIONAL, ids, paged, tags
from model import Field, Kind, Link

KIND = Kind(
    provider="aws",
    name="network-interfaces",
    label="AWSNetworkInterface",
    scope=REGIONAL,
    uid="NetworkInterfaceId",
    fields=(
        Field("eni_id", path="NetworkInterfaceId", filter=True),
        Field("subnet_id", path="SubnetId", filter=True),
        Field("vpc_id", path="VpcId", filter=True),
        Field("instance_id", path="Attachment.InstanceId", filter=True),
        Field("private_ip", path="PrivateIpAddress", filter=True),
        Field("public_ip", path="Association.PublicIp", filter=True),
        Field("status", path="Status", filter=True),
        Field("interface_type", path="InterfaceType", filter=True),
        Field("mac_address", path="MacAddress"),
        Field("availability_zone", path="AvailabilityZone", filter=True),
        Field("description", path="Description"),
        Field("security_group_ids", list, path=ids("Groups", "GroupId")),
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

COLLECTOR = paged(KIND, "ec2", "describe_network_interfaces", "NetworkInterfaces")
