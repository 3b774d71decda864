"""What the demo estate holds, read back from moto without the collectors: every node
(label -> uids) and every relationship ((source, type, target) -> uid pairs) that the
collection of the estate must produce.  The kinds test compares the graph with this.

One reader per label and per relationship; a kind added to the service gets its reader
here, with the estate's share of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dev.demo import aws as demo

Pairs = set[tuple[str, str]]


@dataclass
class Place:
    """One account and region of the estate, with its answers fetched once."""

    endpoint: str
    account: str
    role: str | None
    region: str
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            s = demo.session(self.endpoint, self.role)
            self._clients[service] = s.client(
                service, region_name=self.region, endpoint_url=self.endpoint
            )
        return self._clients[service]

    @property
    def uid(self) -> str:
        return f"{self.account}:{self.region}"

    @cached_property
    def instances(self) -> list[dict[str, Any]]:
        return [
            i
            for r in self.client("ec2").describe_instances()["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        ]

    def ec2(self, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
        return getattr(self.client("ec2"), operation)(**params)[key]

    @cached_property
    def load_balancers(self) -> list[tuple[str, list[str], str]]:
        """(uid, instance targets, vpc) of every ELBv2 and classic ELB."""
        v2, out = self.client("elbv2"), []
        for lb in v2.describe_load_balancers()["LoadBalancers"]:
            arn, targets = lb["LoadBalancerArn"], []
            for group in v2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]:
                health = v2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
                targets += [t["Target"]["Id"] for t in health["TargetHealthDescriptions"]]
            out.append((arn, targets, lb["VpcId"]))
        for lb in self.client("elb").describe_load_balancers()["LoadBalancerDescriptions"]:
            arn = (
                f"arn:aws:elasticloadbalancing:{self.region}:{self.account}"
                f":loadbalancer/{lb['LoadBalancerName']}"
            )
            out.append((arn, [i["InstanceId"] for i in lb["Instances"]], lb["VPCId"]))
        return out


def places(endpoint: str) -> Iterator[Place]:
    for account, role in ((demo.MAIN_ACCOUNT, None), (demo.SHOP_ACCOUNT, demo.ROLE)):
        for region in demo.REGIONS:
            yield Place(endpoint, account, role, region)


def _buckets(p: Place) -> list[str]:
    # Buckets are global to the account: count them from its first region only.
    if p.region != demo.REGIONS[0]:
        return []
    return [b["Name"] for b in p.client("s3").list_buckets()["Buckets"]]


def _bucket_region(p: Place, name: str) -> str:
    return p.client("s3").get_bucket_location(Bucket=name)["LocationConstraint"] or "us-east-1"


def _images(p: Place) -> set[str]:
    owned = {i["ImageId"] for i in p.ec2("describe_images", "Images", Owners=["self"])}
    return owned | {i["ImageId"] for i in p.instances}


def _databases(p: Place) -> list[dict[str, Any]]:
    return p.client("rds").describe_db_instances()["DBInstances"]


def _functions(p: Place) -> list[dict[str, Any]]:
    return p.client("lambda").list_functions()["Functions"]


def _function_pairs(p: Place, key: str) -> list[tuple[str, str]]:
    """(function, subnet or group) for each function in a VPC; ``key`` is the list of
    its VpcConfig to read."""
    return [
        (f["FunctionArn"], item)
        for f in _functions(p)
        for item in (f.get("VpcConfig") or {}).get(key, [])
    ]


def _scaling_groups(p: Place) -> list[dict[str, Any]]:
    return p.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]


def _addresses(p: Place) -> list[dict[str, Any]]:
    return p.ec2("describe_addresses", "Addresses")


def _assigned(p: Place, key: str, targets: set[str]) -> list[tuple[str, str]]:
    """(allocation, what it is assigned to) for the addresses whose ``key`` is among
    ``targets`` (moto answers "" for an address assigned to nothing)."""
    return [(a["AllocationId"], a[key]) for a in _addresses(p) if a.get(key) in targets]


def _snapshots(p: Place) -> list[dict[str, Any]]:
    # The account's own, found by another way than the collector's (which asks AWS for
    # them by owner twice over): every snapshot moto lists, kept by their owner here.
    return [s for s in p.ec2("describe_snapshots", "Snapshots") if s["OwnerId"] == p.account]


def _nat_gateways(p: Place) -> list[dict[str, Any]]:
    return [n for n in p.ec2("describe_nat_gateways", "NatGateways") if n["State"] != "deleted"]


def _zones(p: Place) -> list[dict[str, Any]]:
    # Route53 is global to the account: read from its first region only.
    if p.region != demo.REGIONS[0]:
        return []
    return p.client("route53").list_hosted_zones()["HostedZones"]


def _zone_id(zone: dict[str, Any]) -> str:
    return str(zone["Id"]).rsplit("/", 1)[-1]


def _records(p: Place) -> list[tuple[str, dict[str, Any]]]:
    """(zone id, record set) of every zone of the account."""
    route53 = p.client("route53")
    return [
        (_zone_id(z), r)
        for z in _zones(p)
        for r in route53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]
    ]


def _record_uid(zone: str, r: dict[str, Any]) -> str:
    uid = f"{zone}:{r['Name'].removesuffix('.')}:{r['Type']}"
    return f"{uid}:{r['SetIdentifier']}" if r.get("SetIdentifier") else uid


NODES: dict[str, Callable[[Place], Any]] = {
    "AWSAccount": lambda p: [p.account],
    "AWSRegion": lambda p: [p.uid],
    "AWSAvailabilityZone": lambda p: [
        f"{p.account}:{z['ZoneName']}"
        for z in p.ec2("describe_availability_zones", "AvailabilityZones")
    ],
    "AWSVPC": lambda p: [v["VpcId"] for v in p.ec2("describe_vpcs", "Vpcs")],
    "AWSSubnet": lambda p: [s["SubnetId"] for s in p.ec2("describe_subnets", "Subnets")],
    "AWSInstance": lambda p: [i["InstanceId"] for i in p.instances],
    "AWSImage": _images,
    "AWSNetworkInterface": lambda p: [
        e["NetworkInterfaceId"] for e in p.ec2("describe_network_interfaces", "NetworkInterfaces")
    ],
    "AWSSecurityGroup": lambda p: [
        g["GroupId"] for g in p.ec2("describe_security_groups", "SecurityGroups")
    ],
    "AWSLoadBalancer": lambda p: [uid for uid, _, _ in p.load_balancers],
    "AWSBucket": _buckets,
    "AWSVolume": lambda p: [v["VolumeId"] for v in p.ec2("describe_volumes", "Volumes")],
    "AWSElasticIP": lambda p: [a["AllocationId"] for a in _addresses(p)],
    "AWSSnapshot": lambda p: [s["SnapshotId"] for s in _snapshots(p)],
    "AWSNatGateway": lambda p: [n["NatGatewayId"] for n in _nat_gateways(p)],
    "AWSDBInstance": lambda p: [d["DBInstanceArn"] for d in _databases(p)],
    "AWSLambdaFunction": lambda p: [f["FunctionArn"] for f in _functions(p)],
    "AWSAutoScalingGroup": lambda p: [g["AutoScalingGroupARN"] for g in _scaling_groups(p)],
    "AWSHostedZone": lambda p: [_zone_id(z) for z in _zones(p)],
    "AWSDNSRecord": lambda p: [_record_uid(zone, r) for zone, r in _records(p)],
}

LINKS: dict[tuple[str, str, str], Callable[[Place], Any]] = {
    ("AWSAccount", "HAS_REGION", "AWSRegion"): lambda p: [(p.account, p.uid)],
    ("AWSRegion", "HAS_ZONE", "AWSAvailabilityZone"): lambda p: [
        (p.uid, z) for z in NODES["AWSAvailabilityZone"](p)
    ],
    ("AWSRegion", "HAS_VPC", "AWSVPC"): lambda p: [(p.uid, v) for v in NODES["AWSVPC"](p)],
    ("AWSVPC", "HAS_SUBNET", "AWSSubnet"): lambda p: [
        (s["VpcId"], s["SubnetId"]) for s in p.ec2("describe_subnets", "Subnets")
    ],
    ("AWSSubnet", "IN_ZONE", "AWSAvailabilityZone"): lambda p: [
        (s["SubnetId"], f"{p.account}:{s['AvailabilityZone']}")
        for s in p.ec2("describe_subnets", "Subnets")
    ],
    ("AWSSubnet", "HAS_INSTANCE", "AWSInstance"): lambda p: [
        (i["SubnetId"], i["InstanceId"]) for i in p.instances
    ],
    ("AWSInstance", "USES_IMAGE", "AWSImage"): lambda p: [
        (i["InstanceId"], i["ImageId"]) for i in p.instances
    ],
    ("AWSRegion", "HAS_IMAGE", "AWSImage"): lambda p: [(p.uid, i) for i in _images(p)],
    ("AWSInstance", "HAS_INTERFACE", "AWSNetworkInterface"): lambda p: [
        (e["Attachment"]["InstanceId"], e["NetworkInterfaceId"])
        for e in p.ec2("describe_network_interfaces", "NetworkInterfaces")
        if e.get("Attachment", {}).get("InstanceId") in {i["InstanceId"] for i in p.instances}
    ],
    ("AWSNetworkInterface", "IN_SUBNET", "AWSSubnet"): lambda p: [
        (e["NetworkInterfaceId"], e["SubnetId"])
        for e in p.ec2("describe_network_interfaces", "NetworkInterfaces")
    ],
    ("AWSVPC", "HAS_SECURITY_GROUP", "AWSSecurityGroup"): lambda p: [
        (g["VpcId"], g["GroupId"]) for g in p.ec2("describe_security_groups", "SecurityGroups")
    ],
    ("AWSInstance", "IN_SECURITY_GROUP", "AWSSecurityGroup"): lambda p: [
        (i["InstanceId"], g["GroupId"]) for i in p.instances for g in i["SecurityGroups"]
    ],
    ("AWSVPC", "HAS_LOAD_BALANCER", "AWSLoadBalancer"): lambda p: [
        (vpc, uid) for uid, _, vpc in p.load_balancers
    ],
    ("AWSLoadBalancer", "ROUTES_TO", "AWSInstance"): lambda p: [
        (uid, target) for uid, targets, _ in p.load_balancers for target in targets
    ],
    ("AWSRegion", "HAS_BUCKET", "AWSBucket"): lambda p: [
        (f"{p.account}:{_bucket_region(p, b)}", b) for b in _buckets(p)
    ],
    ("AWSInstance", "HAS_VOLUME", "AWSVolume"): lambda p: [
        (a["InstanceId"], v["VolumeId"])
        for v in p.ec2("describe_volumes", "Volumes")
        for a in v["Attachments"]
        if a["InstanceId"] in {i["InstanceId"] for i in p.instances}
    ],
    ("AWSRegion", "HAS_ADDRESS", "AWSElasticIP"): lambda p: [
        (p.uid, a) for a in NODES["AWSElasticIP"](p)
    ],
    ("AWSElasticIP", "ASSIGNED_TO", "AWSInstance"): lambda p: _assigned(
        p, "InstanceId", set(NODES["AWSInstance"](p))
    ),
    # To the interface only where no instance holds the address: one edge per address.
    ("AWSElasticIP", "ASSIGNED_TO", "AWSNetworkInterface"): lambda p: [
        (a["AllocationId"], a["NetworkInterfaceId"])
        for a in _addresses(p)
        if not a.get("InstanceId")
        and a.get("NetworkInterfaceId") in set(NODES["AWSNetworkInterface"](p))
    ],
    ("AWSRegion", "HAS_SNAPSHOT", "AWSSnapshot"): lambda p: [
        (p.uid, s) for s in NODES["AWSSnapshot"](p)
    ],
    ("AWSVolume", "HAS_SNAPSHOT", "AWSSnapshot"): lambda p: [
        (s["VolumeId"], s["SnapshotId"])
        for s in _snapshots(p)
        if s["VolumeId"] in set(NODES["AWSVolume"](p))
    ],
    ("AWSSubnet", "HAS_NAT_GATEWAY", "AWSNatGateway"): lambda p: [
        (n["SubnetId"], n["NatGatewayId"]) for n in _nat_gateways(p)
    ],
    ("AWSNatGateway", "USES_ADDRESS", "AWSElasticIP"): lambda p: [
        (n["NatGatewayId"], a["AllocationId"])
        for n in _nat_gateways(p)
        for a in n["NatGatewayAddresses"]
        if a.get("AllocationId") in set(NODES["AWSElasticIP"](p))
    ],
    ("AWSSubnet", "HAS_DB_INSTANCE", "AWSDBInstance"): lambda p: [
        (subnet["SubnetIdentifier"], d["DBInstanceArn"])
        for d in _databases(p)
        for subnet in d["DBSubnetGroup"]["Subnets"]
    ],
    ("AWSDBInstance", "IN_SECURITY_GROUP", "AWSSecurityGroup"): lambda p: [
        (d["DBInstanceArn"], g["VpcSecurityGroupId"])
        for d in _databases(p)
        for g in d["VpcSecurityGroups"]
    ],
    ("AWSLambdaFunction", "IN_SUBNET", "AWSSubnet"): lambda p: _function_pairs(p, "SubnetIds"),
    ("AWSLambdaFunction", "IN_SECURITY_GROUP", "AWSSecurityGroup"): lambda p: _function_pairs(
        p, "SecurityGroupIds"
    ),
    ("AWSAutoScalingGroup", "HAS_INSTANCE", "AWSInstance"): lambda p: [
        (g["AutoScalingGroupARN"], member["InstanceId"])
        for g in _scaling_groups(p)
        for member in g["Instances"]
        if member["InstanceId"] in set(NODES["AWSInstance"](p))
    ],
    ("AWSAutoScalingGroup", "IN_SUBNET", "AWSSubnet"): lambda p: [
        (g["AutoScalingGroupARN"], subnet)
        for g in _scaling_groups(p)
        for subnet in g["VPCZoneIdentifier"].split(",")
        if subnet
    ],
    ("AWSAccount", "HAS_HOSTED_ZONE", "AWSHostedZone"): lambda p: [
        (p.account, z) for z in NODES["AWSHostedZone"](p)
    ],
    ("AWSHostedZone", "HAS_RECORD", "AWSDNSRecord"): lambda p: [
        (zone, _record_uid(zone, r)) for zone, r in _records(p)
    ],
}


def _points_at(r: dict[str, Any]) -> set[str]:
    """What a record set resolves to, as DNS compares names: in any case, without the
    final dot, and without the "dualstack." of an alias to a load balancer."""
    values = {v["Value"] for v in r.get("ResourceRecords") or ()}
    if r["Type"] not in ("A", "AAAA", "CNAME"):
        values = set()
    if r.get("AliasTarget"):
        values.add(r["AliasTarget"]["DNSName"])
    return {v.lower().removesuffix(".").removeprefix("dualstack.") for v in values}


def _pointed_at(estate: list[Place]) -> dict[str, dict[str, set[str]]]:
    """label -> uid -> the addresses or DNS names of it that a record may point at, in
    every account and region of the estate."""
    out: dict[str, dict[str, set[str]]] = {}
    for p in estate:
        for a in _addresses(p):
            out.setdefault("AWSElasticIP", {})[a["AllocationId"]] = {a["PublicIp"]}
        for i in p.instances:
            found = {i["PublicIpAddress"]} if i.get("PublicIpAddress") else set()
            out.setdefault("AWSInstance", {})[i["InstanceId"]] = found
        dns = {lb["LoadBalancerArn"]: lb["DNSName"] for lb in _balancers(p)}
        for uid, _, _ in p.load_balancers:
            out.setdefault("AWSLoadBalancer", {})[uid] = {dns[uid].lower()}
    return out


def _balancers(p: Place) -> list[dict[str, Any]]:
    """ELBv2 and classic ELBs with the ARN the inventory gives them and their DNS name."""
    out = list(p.client("elbv2").describe_load_balancers()["LoadBalancers"])
    for lb in p.client("elb").describe_load_balancers()["LoadBalancerDescriptions"]:
        arn = (
            f"arn:aws:elasticloadbalancing:{p.region}:{p.account}"
            f":loadbalancer/{lb['LoadBalancerName']}"
        )
        out.append({"LoadBalancerArn": arn, "DNSName": lb["DNSName"]})
    return out


def _points_to(estate: list[Place]) -> dict[tuple[str, str, str], Pairs]:
    """(AWSDNSRecord, POINTS_TO, label) pairs: each record to whatever holds what it points
    at, in whichever account."""
    held = _pointed_at(estate)
    out: dict[tuple[str, str, str], Pairs] = {
        ("AWSDNSRecord", "POINTS_TO", label): set() for label in held
    }
    for p in estate:
        for zone, r in _records(p):
            targets = _points_at(r)
            for label, uids in held.items():
                out[("AWSDNSRecord", "POINTS_TO", label)] |= {
                    (_record_uid(zone, r), uid) for uid, names in uids.items() if names & targets
                }
    return out


@dataclass
class Truth:
    nodes: dict[str, set[str]]
    links: dict[tuple[str, str, str], Pairs]


def read(endpoint: str) -> Truth:
    """Every node and relationship of the estate, as moto reports it."""
    nodes: dict[str, set[str]] = {label: set() for label in NODES}
    links: dict[tuple[str, str, str], Pairs] = {key: set() for key in LINKS}
    estate = list(places(endpoint))
    for place in estate:
        for label, reader in NODES.items():
            nodes[label] |= set(reader(place))
        for key, reader in LINKS.items():
            links[key] |= set(reader(place))
    # What a DNS record points at may be in any account: read across the estate.
    links |= _points_to(estate)
    return Truth(nodes, links)
