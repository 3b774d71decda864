"""Row mapping of NAT gateways from a DescribeNatGateways answer recorded from moto."""

from __future__ import annotations

from collectors.aws import nat_gateways
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"
ANSWER = recording("ec2", "describe_nat_gateways")[0]


def _rows(answer: dict = ANSWER) -> dict[str, dict]:
    session = FakeSession(ACCOUNT, REGION, answers={"ec2.describe_nat_gateways": [answer]})
    return {r["name"]: r for r in rows(nat_gateways.COLLECTOR, session)}


def test_a_gateway_keeps_its_subnet_vpc_state_and_addresses() -> None:
    listed = next(
        n for n in ANSWER["response"]["NatGateways"] if n["Tags"][0]["Value"] == "main-prod-nat"
    )
    (address,) = listed["NatGatewayAddresses"]
    assert _rows()["main-prod-nat"] == {
        "uid": listed["NatGatewayId"],
        "nat_gateway_id": listed["NatGatewayId"],
        "vpc_id": listed["VpcId"],
        "subnet_id": listed["SubnetId"],
        "state": "available",
        "connectivity_type": None,  # moto leaves it out; AWS says public or private
        "create_time": listed["CreateTime"],
        "allocation_ids": [address["AllocationId"]],
        "public_ips": [address["PublicIp"]],
        "private_ips": [address["PrivateIp"]],
        "eni_ids": [address["NetworkInterfaceId"]],
        "failure_message": None,
        "name": "main-prod-nat",
        "tags": ["Name=main-prod-nat"],
    }


def test_a_deleted_gateway_is_gone_and_a_private_one_has_no_allocation() -> None:
    idle = next(
        n for n in ANSWER["response"]["NatGateways"] if n["Tags"][0]["Value"] == "main-idle-nat"
    )
    private = {
        **idle,
        "NatGatewayId": "nat-private",
        "ConnectivityType": "private",
        "NatGatewayAddresses": [{"PrivateIp": "10.0.0.9", "NetworkInterfaceId": "eni-9"}],
        "Tags": [{"Key": "Name", "Value": "private"}],
    }
    deleted = {**idle, "NatGatewayId": "nat-deleted", "State": "deleted", "Tags": []}
    answer = {"params": {}, "response": {"NatGateways": [idle, private, deleted]}}
    got = _rows(answer)
    assert set(got) == {"main-idle-nat", "private"}
    assert (got["private"]["allocation_ids"], got["private"]["public_ips"]) == ([], [])
    assert got["private"]["connectivity_type"] == "private"


def test_a_gateway_sits_in_its_subnet_and_uses_its_addresses() -> None:
    links = {(lk.source, lk.type, lk.target): lk for lk in nat_gateways.KIND.links}
    assert set(links) == {
        ("AWSSubnet", "HAS_NAT_GATEWAY", "AWSNatGateway"),
        ("AWSNatGateway", "USES_ADDRESS", "AWSElasticIP"),
    }
    uses = links[("AWSNatGateway", "USES_ADDRESS", "AWSElasticIP")]
    assert uses.on == (("allocation_ids", "uid"),) and uses.in_list == "source"
