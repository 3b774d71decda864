"""Row mapping of Elastic IPs from a DescribeAddresses answer recorded from moto."""

from __future__ import annotations

from collectors.aws import elastic_ips
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"


def _by_name(session: FakeSession | None = None) -> dict[str, dict]:
    got = rows(elastic_ips.COLLECTOR, session or FakeSession(ACCOUNT, REGION))
    return {r["name"]: r for r in got}


def test_an_address_on_an_instance_names_the_instance_its_interface_and_its_ip() -> None:
    recorded = recording("ec2", "describe_addresses")[0]["response"]["Addresses"]
    web = next(a for a in recorded if a["Tags"][0]["Value"] == "main-web-ip")
    assert _by_name()["main-web-ip"] == {
        "uid": web["AllocationId"],
        "allocation_id": web["AllocationId"],
        "public_ip": web["PublicIp"],
        "domain": "vpc",
        "instance_id": web["InstanceId"],
        "eni_id": web["NetworkInterfaceId"],
        "assigned_eni_id": None,  # an instance holds it: its one ASSIGNED_TO is to that
        "association_id": web["AssociationId"],
        "private_ip": web["PrivateIpAddress"],
        "network_border_group": None,
        "public_ipv4_pool": None,
        "name": "main-web-ip",
        "tags": ["Name=main-web-ip"],
    }


def test_an_address_assigned_to_nothing_has_no_instance_nor_interface() -> None:
    # moto answers "" where AWS leaves the keys out: neither may look like an id.
    spare = _by_name()["main-spare-ip"]
    assert (spare["instance_id"], spare["eni_id"], spare["association_id"]) == (None, None, None)
    assert spare["assigned_eni_id"] is None
    assert spare["public_ip"].count(".") == 3


def test_a_nat_gateways_address_is_on_its_interface_only() -> None:
    nat = _by_name()["main-prod-nat-ip"]
    assert nat["instance_id"] is None and nat["eni_id"].startswith("eni-")
    assert nat["assigned_eni_id"] == nat["eni_id"]


def test_a_classic_address_without_allocation_id_is_known_by_its_ip() -> None:
    classic = {"PublicIp": "198.51.100.7", "Domain": "standard", "InstanceId": "i-1"}
    answer = {"params": {}, "response": {"Addresses": [classic]}}
    session = FakeSession(ACCOUNT, REGION, answers={"ec2.describe_addresses": [answer]})
    (row,) = rows(elastic_ips.COLLECTOR, session)
    assert (row["uid"], row["allocation_id"], row["instance_id"]) == ("198.51.100.7", None, "i-1")


def test_addresses_are_assigned_to_instances_and_interfaces_and_sit_in_their_region() -> None:
    links = {(lk.source, lk.type, lk.target): lk for lk in elastic_ips.KIND.links}
    assert set(links) == {
        ("AWSRegion", "HAS_ADDRESS", "AWSElasticIP"),
        ("AWSElasticIP", "ASSIGNED_TO", "AWSInstance"),
        ("AWSElasticIP", "ASSIGNED_TO", "AWSNetworkInterface"),
    }
    instance = links[("AWSElasticIP", "ASSIGNED_TO", "AWSInstance")]
    assert instance.on == (("instance_id", "uid"),) and instance.scoped == "source"
    eni = links[("AWSElasticIP", "ASSIGNED_TO", "AWSNetworkInterface")]
    assert eni.on == (("assigned_eni_id", "uid"),) and eni.scoped == "source"


def _assigned_to(row: dict) -> list[tuple[str, str]]:
    """(target label, uid) of each ASSIGNED_TO link whose join the row's values fill: the
    edges a link task would merge, given the targets exist."""
    return [
        (lk.target, row[lk.on[0][0]])
        for lk in elastic_ips.KIND.links
        if lk.type == "ASSIGNED_TO" and row[lk.on[0][0]] is not None
    ]


def test_each_address_has_one_assigned_to_edge_the_instances_where_one_holds_it() -> None:
    # An address on an instance is on the instance's interface too: one edge, to the
    # instance; an address on an interface alone (a NAT gateway's): one, to the interface.
    on_both = {
        "AllocationId": "eipalloc-1",
        "PublicIp": "198.51.100.8",
        "Domain": "vpc",
        "InstanceId": "i-1",
        "NetworkInterfaceId": "eni-1",
        "AssociationId": "a-1",
    }
    answer = {"params": {}, "response": {"Addresses": [on_both]}}
    session = FakeSession(ACCOUNT, REGION, answers={"ec2.describe_addresses": [answer]})
    (row,) = rows(elastic_ips.COLLECTOR, session)
    assert _assigned_to(row) == [("AWSInstance", "i-1")]
    assert row["eni_id"] == "eni-1"  # kept as a property
    got = _by_name()
    assert _assigned_to(got["main-web-ip"]) == [("AWSInstance", got["main-web-ip"]["instance_id"])]
    nat = got["main-prod-nat-ip"]
    assert _assigned_to(nat) == [("AWSNetworkInterface", nat["eni_id"])]
    assert _assigned_to(got["main-spare-ip"]) == []
    assert all(len(_assigned_to(r)) <= 1 for r in got.values())
