"""NAT gateways of one account and region (deleted ones are gone, so not kept), with the
subnet each sits in and the Elastic IPs it uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collectors.aws.common import REGIONAL, tags
from collectors.base import Collector
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession


def addresses(key: str) -> Callable[[Any], list[str]]:
    """The sorted ``key`` of each of the gateway's addresses that has one."""
    return lambda record: sorted(
        a[key] for a in record.get("NatGatewayAddresses") or () if a.get(key)
    )


KIND = Kind(
    provider="aws",
    name="nat-gateways",
    label="AWSNatGateway",
    scope=REGIONAL,
    uid="NatGatewayId",
    fields=(
        Field("nat_gateway_id", path="NatGatewayId", filter=True),
        Field("vpc_id", path="VpcId", filter=True),
        Field("subnet_id", path="SubnetId", filter=True),
        Field("state", path="State", filter=True),
        Field("connectivity_type", path="ConnectivityType", filter=True),
        Field("create_time", datetime, path="CreateTime"),
        Field("allocation_ids", list, path=addresses("AllocationId")),
        Field("public_ips", list, path=addresses("PublicIp")),
        Field("private_ips", list, path=addresses("PrivateIp")),
        # The interfaces AWS made for it, which no instance is attached to.
        Field("eni_ids", list, path=addresses("NetworkInterfaceId")),
        Field("failure_message", path="FailureMessage"),
        *tags(),
    ),
    links=(
        Link(
            "HAS_NAT_GATEWAY",
            "AWSSubnet",
            "AWSNatGateway",
            on=(("uid", "subnet_id"),),
            forward="nat_gateways",
            backward="subnet",
        ),
        Link(
            "USES_ADDRESS",
            "AWSNatGateway",
            "AWSElasticIP",
            on=(("allocation_ids", "uid"),),
            in_list="source",
            forward="elastic_ips",
            backward="nat_gateway",
            scoped="source",
        ),
    ),
    description="A NAT gateway; billed by the hour whether or not anything sends through it.",
)

GONE = {"deleted"}


def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
    paginator = session.client("ec2").get_paginator("describe_nat_gateways")
    for page in paginator.paginate(PaginationConfig={"PageSize": 1000}):
        # A deleted gateway is still listed for about an hour; it is gone.
        yield [n for n in page["NatGateways"] if n.get("State") not in GONE]


COLLECTOR = Collector(KIND, collect)
