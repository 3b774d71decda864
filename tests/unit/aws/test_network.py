"""Row mapping of the AWS network kinds (VPCs, subnets, zones, security groups,
interfaces) from recorded DescribeX answers."""

from __future__ import annotations

from collectors.aws import interfaces, security_groups, subnets, vpcs, zones
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"


def session() -> FakeSession:
    return FakeSession(ACCOUNT, REGION)


def test_zones_are_named_per_account() -> None:
    got = rows(zones.COLLECTOR, session())
    recorded = recording("ec2", "describe_availability_zones")[0]["response"]["AvailabilityZones"]
    assert [r["uid"] for r in got] == [f"{ACCOUNT}:{z['ZoneName']}" for z in recorded]
    assert got[0]["zone_id"] == recorded[0]["ZoneId"] and got[0]["state"] == "available"


def test_vpcs_keep_cidr_default_flag_and_tags() -> None:
    got = rows(vpcs.COLLECTOR, session())
    recorded = recording("ec2", "describe_vpcs")[0]["response"]["Vpcs"]
    assert [r["vpc_id"] for r in got] == [v["VpcId"] for v in recorded]
    by_id = {r["uid"]: r for r in got}
    for v in recorded:
        row = by_id[v["VpcId"]]
        assert (row["cidr_block"], row["is_default"]) == (v["CidrBlock"], v.get("IsDefault", False))
        name = next((t["Value"] for t in v.get("Tags", []) if t["Key"] == "Name"), None)
        assert row["name"] == name
        assert row["tags"] == sorted(f"{t['Key']}={t['Value']}" for t in v.get("Tags", []))
    assert any(r["name"] == "main-prod" for r in got)
    assert "Name=main-prod" in next(r["tags"] for r in got if r["name"] == "main-prod")


def test_subnets_keep_zone_vpc_and_free_addresses() -> None:
    got = rows(subnets.COLLECTOR, session())
    recorded = recording("ec2", "describe_subnets")[0]["response"]["Subnets"]
    for row, s in zip(got, recorded, strict=True):
        assert row["uid"] == s["SubnetId"]
        assert (row["vpc_id"], row["availability_zone"]) == (s["VpcId"], s["AvailabilityZone"])
        assert row["available_ip_count"] == s["AvailableIpAddressCount"]
        assert isinstance(row["available_ip_count"], int)


def test_security_groups_count_their_rules() -> None:
    got = rows(security_groups.COLLECTOR, session())
    recorded = recording("ec2", "describe_security_groups")[0]["response"]["SecurityGroups"]
    for row, g in zip(got, recorded, strict=True):
        assert (row["uid"], row["group_name"], row["vpc_id"]) == (
            g["GroupId"],
            g["GroupName"],
            g["VpcId"],
        )
        assert row["ingress_rules"] == len(g["IpPermissions"])
        assert row["egress_rules"] == len(g["IpPermissionsEgress"])


def test_interfaces_name_their_instance_and_groups() -> None:
    got = rows(interfaces.COLLECTOR, session())
    recorded = recording("ec2", "describe_network_interfaces")[0]["response"]["NetworkInterfaces"]
    for row, e in zip(got, recorded, strict=True):
        assert row["uid"] == e["NetworkInterfaceId"]
        assert row["instance_id"] == e.get("Attachment", {}).get("InstanceId")
        assert row["security_group_ids"] == sorted(g["GroupId"] for g in e["Groups"])
        assert row["private_ip"] == e["PrivateIpAddress"]
    assert any(r["instance_id"] for r in got)
