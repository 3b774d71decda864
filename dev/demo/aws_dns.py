"""Route53 in the demo estate (global: once an account): a public and a private zone whose
records point at what the account holds, at another account's address, and at what was
released or deleted since (the leaks dangling-dns-records finds).
"""

from __future__ import annotations

from typing import Any

import boto3


def address_of(ec2: Any, name: str) -> str:
    """The public IP of the Elastic IP tagged ``name``."""
    found = ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": [name]}])
    return str(found["Addresses"][0]["PublicIp"])


def record(name: str, kind: str, value: str) -> dict[str, Any]:
    """A change creating the record ``name`` of type ``kind`` at ``value``."""
    return {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": name,
            "Type": kind,
            "TTL": 300,
            "ResourceRecords": [{"Value": value}],
        },
    }


def zone(route53: Any, name: str, records: list[dict[str, Any]], **private: Any) -> str:
    """The hosted zone ``name`` with ``records`` (their names relative to it); its id."""
    made = route53.create_hosted_zone(Name=name, CallerReference=name, **private)["HostedZone"]
    for change in records:
        change["ResourceRecordSet"]["Name"] += f".{name}"
    route53.change_resource_record_sets(HostedZoneId=made["Id"], ChangeBatch={"Changes": records})
    return str(made["Id"]).rsplit("/", 1)[-1]


def seed_dns(
    s: boto3.Session, endpoint: str, region: str, owner: str, partner_ip: str | None
) -> None:
    """Route53 (global: once an account, at what ``region``, its first, holds).  A public zone
    ``<owner>.example.com``: ``web`` at the address on a prod instance, ``www`` an alias
    to the web load balancer and ``legacy`` a CNAME to the classic ELB (near misses), and
    the leaks dangling-dns-records finds: ``old`` at an address released since, and
    ``retired``, a CNAME to a load balancer deleted since; with ``partner_ip``,
    ``partner`` at another account's address (linked across accounts, no leak).  A
    private zone ``<owner>.internal`` on the prod VPC: ``db`` at a private address (never
    a leak), and ``old-api``, a CNAME to the deleted load balancer."""
    ec2 = s.client("ec2", region_name=region, endpoint_url=endpoint)
    elbv2 = s.client("elbv2", region_name=region, endpoint_url=endpoint)
    elb = s.client("elb", region_name=region, endpoint_url=endpoint)
    released = ec2.allocate_address(Domain="vpc")
    ec2.release_address(AllocationId=released["AllocationId"])
    web = elbv2.describe_load_balancers(Names=[f"{owner}-web"])["LoadBalancers"][0]
    legacy = elb.describe_load_balancers(LoadBalancerNames=[f"{owner}-legacy"])
    subnets = [z["SubnetId"] for z in web["AvailabilityZones"]]
    retired = elbv2.create_load_balancer(Name=f"{owner}-retired", Subnets=subnets)
    retired = retired["LoadBalancers"][0]
    elbv2.delete_load_balancer(LoadBalancerArn=retired["LoadBalancerArn"])
    alias = {
        "HostedZoneId": web["CanonicalHostedZoneId"],
        "DNSName": f"dualstack.{web['DNSName']}.",
        "EvaluateTargetHealth": False,
    }
    records = [
        record("web", "A", address_of(ec2, f"{owner}-web-ip")),
        {
            "Action": "CREATE",
            "ResourceRecordSet": {"Name": "www", "Type": "A", "AliasTarget": alias},
        },
        record("legacy", "CNAME", legacy["LoadBalancerDescriptions"][0]["DNSName"]),
        record("old", "A", released["PublicIp"]),
        record("retired", "CNAME", retired["DNSName"]),
    ]
    if partner_ip:
        records.append(record("partner", "A", partner_ip))
    route53 = s.client("route53", endpoint_url=endpoint)
    public = zone(route53, f"{owner}.example.com", records)
    route53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=public, AddTags=[{"Key": "owner", "Value": owner}]
    )
    zone(
        route53,
        f"{owner}.internal",
        [record("db", "A", "10.0.0.10"), record("old-api", "CNAME", retired["DNSName"])],
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": region, "VPCId": web["VpcId"]},
    )
