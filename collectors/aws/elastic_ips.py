"""Elastic IP addresses of one account and region, and what each is assigned to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL, tags
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession


def _given(key: str) -> Callable[[Any], str | None]:
    """The record's ``key``, None when it is absent or empty (moto answers ``""`` for an
    address assigned to nothing, where AWS leaves the key out)."""
    return lambda record: record.get(key) or None


def _interface_alone(record: Any) -> str | None:
    """The address's interface when no instance holds it (a NAT gateway's, a load
    balancer's, a detached one's); None when an instance does, whose link it then has."""
    return None if record.get("InstanceId") else (record.get("NetworkInterfaceId") or None)


KIND = Kind(
    provider="aws",
    name="elastic-ips",
    label="AWSElasticIP",
    scope=REGIONAL,
    # The allocation id; an EC2-Classic address (domain "standard") has none, only its IP.
    uid=lambda a: a.get("AllocationId") or a.get("PublicIp"),
    fields=(
        Field("allocation_id", path=_given("AllocationId"), filter=True),
        Field("public_ip", path="PublicIp", filter=True),
        Field("domain", path="Domain", filter=True),
        Field("instance_id", path=_given("InstanceId"), filter=True),
        Field("eni_id", path=_given("NetworkInterfaceId"), filter=True),
        Field(
            "assigned_eni_id",
            path=_interface_alone,
            doc="The interface it is assigned to when no instance holds it (a NAT gateway's, "
            "a load balancer's), which its ASSIGNED_TO edge to an AWSNetworkInterface joins "
            "on. None when it is on an instance (eni_id still names that instance's "
            "interface): its one ASSIGNED_TO edge is then to the instance.",
            # Follows from instance_id and eni_id, whose changes are recorded already.
            tracked=False,
        ),
        Field("association_id", path=_given("AssociationId")),
        Field("private_ip", path=_given("PrivateIpAddress")),
        Field("network_border_group", path="NetworkBorderGroup"),
        Field("public_ipv4_pool", path="PublicIpv4Pool"),
        *tags(),
    ),
    links=(
        Link(
            "HAS_ADDRESS",
            "AWSRegion",
            "AWSElasticIP",
            on=(("account_id", "account_id"), ("region", "region")),
            forward="elastic_ips",
            backward="aws_region",
        ),
        Link(
            "ASSIGNED_TO",
            "AWSElasticIP",
            "AWSInstance",
            on=(("instance_id", "uid"),),
            forward="instance",
            backward="elastic_ips",
            forward_many=False,
            backward_many=True,
            scoped="source",
        ),
        Link(
            "ASSIGNED_TO",
            "AWSElasticIP",
            "AWSNetworkInterface",
            # Not eni_id: an address on an instance is on its interface too, and has one
            # ASSIGNED_TO edge, to the instance.
            on=(("assigned_eni_id", "uid"),),
            forward="network_interface",
            backward="elastic_ips",
            forward_many=False,
            backward_many=True,
            scoped="source",
        ),
    ),
    description="An Elastic IP address; one assigned to nothing is billed every hour.",
)


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    # DescribeAddresses is not paged: one answer holds every address of the region.
    yield session.client("ec2").describe_addresses()["Addresses"]


COLLECTOR = Collector(KIND, collect)
