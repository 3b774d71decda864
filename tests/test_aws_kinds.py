"""Every AWS kind and relationship, collected from moto by real workers, checked against
what moto itself reports (counts and exact properties)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors import CATALOG
from dev.demo import aws as demo
from dev.demo import aws_truth
from model import Link
from tests.helpers import collect
from worker.runtime import Runtime

SCOPES = [
    (account, role, region)
    for account, role in ((demo.MAIN_ACCOUNT, None), (demo.SHOP_ACCOUNT, demo.ROLE))
    for region in demo.REGIONS
]


@pytest.fixture(scope="module")
def graph(collected: Runtime) -> Runtime:
    return collected


def rows(rt: Runtime, query: str, **params) -> list[dict]:
    records, _, _ = rt.driver.execute_query(query, params)
    return [r.data() for r in records]


def clients(moto_url: str, service: str) -> Iterator[tuple[str, str, object]]:
    for account, role, region in SCOPES:
        session = demo.session(moto_url, role)
        yield account, region, session.client(service, region_name=region, endpoint_url=moto_url)


def live_instances(ec2) -> list[dict]:
    return [
        i
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    ]


def test_availability_zones_per_account_and_region(graph: Runtime, moto_url: str) -> None:
    want = {
        (account, f"{account}:{z['ZoneName']}", z["ZoneId"])
        for account, _, ec2 in clients(moto_url, "ec2")
        for z in ec2.describe_availability_zones()["AvailabilityZones"]
    }
    got = rows(
        graph, "MATCH (z:AWSAvailabilityZone) RETURN z.account_id AS a, z.uid AS u, z.zone_id AS z"
    )
    assert {(r["a"], r["u"], r["z"]) for r in got} == want


def test_security_groups_match_moto(graph: Runtime, moto_url: str) -> None:
    want = {
        g["GroupId"]: (g["GroupName"], g["VpcId"])
        for _, _, ec2 in clients(moto_url, "ec2")
        for g in ec2.describe_security_groups()["SecurityGroups"]
    }
    got = rows(
        graph, "MATCH (g:AWSSecurityGroup) RETURN g.uid AS id, g.group_name AS n, g.vpc_id AS v"
    )
    assert {r["id"]: (r["n"], r["v"]) for r in got} == want


def test_network_interfaces_match_moto(graph: Runtime, moto_url: str) -> None:
    want = {
        e["NetworkInterfaceId"]: (e["SubnetId"], e.get("Attachment", {}).get("InstanceId"))
        for _, _, ec2 in clients(moto_url, "ec2")
        for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
    }
    got = rows(
        graph,
        "MATCH (e:AWSNetworkInterface) RETURN e.uid AS id, e.subnet_id AS s, e.instance_id AS i",
    )
    assert {r["id"]: (r["s"], r["i"]) for r in got} == want


def test_images_are_the_owned_and_the_used_ones_once_each(graph: Runtime, moto_url: str) -> None:
    want: dict[str, set[str]] = {}  # image id -> regions (account:region) that see it
    for account, region, ec2 in clients(moto_url, "ec2"):
        owned = {i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]}
        used = {i["ImageId"] for i in live_instances(ec2)}
        for image in owned | used:
            want.setdefault(image, set()).add(f"{account}:{region}")
    got = rows(
        graph,
        "MATCH (i:AWSImage) OPTIONAL MATCH (r:AWSRegion)-[:HAS_IMAGE]->(i) "
        "RETURN i.uid AS id, collect(r.uid) AS regions",
    )
    assert {r["id"]: set(r["regions"]) for r in got} == want
    # The public image both accounts run is one node seen from several scopes.
    assert any(len(regions) > 1 for regions in want.values())
    golden = rows(graph, "MATCH (i:AWSImage) WHERE i.name = 'shop-golden-eu-west-1' RETURN i")
    assert golden[0]["i"]["owner_id"] == demo.SHOP_ACCOUNT


def test_load_balancers_of_both_generations(graph: Runtime, moto_url: str) -> None:
    got = rows(
        graph,
        "MATCH (lb:AWSLoadBalancer) RETURN lb.name AS name, lb.type AS type, lb.account_id AS a, "
        "lb.region AS r",
    )
    assert {(r["name"], r["type"], r["a"], r["r"]) for r in got} == {
        (f"{owner}-{suffix}", kind, account, region)
        for account, owner in ((demo.MAIN_ACCOUNT, "main"), (demo.SHOP_ACCOUNT, "shop"))
        for region in demo.REGIONS
        for suffix, kind in (("web", "application"), ("legacy", "classic"), ("idle", "application"))
    }


def test_routes_to_matches_registered_targets(graph: Runtime, moto_url: str) -> None:
    want = set()
    for _, _, elbv2 in clients(moto_url, "elbv2"):
        for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
            for group in elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])[
                "TargetGroups"
            ]:
                health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
                want |= {
                    (lb["LoadBalancerArn"], t["Target"]["Id"])
                    for t in health["TargetHealthDescriptions"]
                }
    for _, _, elb in clients(moto_url, "elb"):
        for lb in elb.describe_load_balancers()["LoadBalancerDescriptions"]:
            want |= {(lb["LoadBalancerName"], i["InstanceId"]) for i in lb["Instances"]}
    got = rows(
        graph,
        "MATCH (lb:AWSLoadBalancer)-[:ROUTES_TO]->(i:AWSInstance) "
        "RETURN CASE lb.type WHEN 'classic' THEN lb.name ELSE lb.uid END AS lb, i.uid AS i",
    )
    assert {(r["lb"], r["i"]) for r in got} == want
    assert len(want) >= 8


def test_buckets_sit_in_their_regions(graph: Runtime, moto_url: str) -> None:
    got = rows(
        graph,
        "MATCH (r:AWSRegion)-[:HAS_BUCKET]->(b:AWSBucket) "
        "RETURN b.name AS b, r.uid AS r, b.region AS br",
    )
    assert {(r["b"], r["r"]) for r in got} == {
        (f"{owner}-{account}-{region}", f"{account}:{region}")
        for account, owner in ((demo.MAIN_ACCOUNT, "main"), (demo.SHOP_ACCOUNT, "shop"))
        for region in demo.REGIONS
    }
    assert all(r["br"] == r["r"].split(":")[1] for r in got)


@pytest.fixture(scope="module")
def truth(graph: Runtime, moto_url: str) -> aws_truth.Truth:
    return aws_truth.read(moto_url)


AWS_KINDS = CATALOG.provider_kinds("aws")
AWS_LINKS = [lk for lk in CATALOG.links if CATALOG.by_label[lk.source].provider == "aws"]


@pytest.mark.parametrize("label", [k.label for k in AWS_KINDS])
def test_every_node_of_the_estate_and_nothing_else(
    graph: Runtime, truth: aws_truth.Truth, label: str
) -> None:
    assert label in truth.nodes, f"dev/demo/aws_truth.py must say which {label} the estate has"
    want = truth.nodes[label]
    got = {r["uid"] for r in rows(graph, f"MATCH (n:{label}) RETURN n.uid AS uid")}
    assert want, f"the demo estate should hold some {label}"
    assert got == want


@pytest.mark.parametrize(
    "link", AWS_LINKS, ids=[f"{lk.source}-{lk.type}-{lk.target}" for lk in AWS_LINKS]
)
def test_every_relationship_of_the_estate_and_nothing_else(
    graph: Runtime, truth: aws_truth.Truth, link: Link
) -> None:
    key = (link.source, link.type, link.target)
    assert key in truth.links, f"dev/demo/aws_truth.py must say which {key} the estate has"
    want = truth.links[key]
    query = (
        f"MATCH (a:{link.source})-[:{link.type}]->(b:{link.target}) RETURN a.uid AS a, b.uid AS b"
    )
    got = {(r["a"], r["b"]) for r in rows(graph, query)}
    assert want, f"the demo estate should give some {key}"
    assert got == want


def test_elastic_ips_keep_their_public_ip_and_what_they_are_assigned_to(
    graph: Runtime, moto_url: str
) -> None:
    want = {
        a["AllocationId"]: (
            a["PublicIp"],
            a.get("InstanceId") or None,
            a.get("NetworkInterfaceId") or None,
        )
        for _, _, ec2 in clients(moto_url, "ec2")
        for a in ec2.describe_addresses()["Addresses"]
    }
    got = rows(
        graph,
        "MATCH (a:AWSElasticIP) RETURN a.uid AS id, a.public_ip AS ip, a.instance_id AS i, "
        "a.eni_id AS e",
    )
    assert {r["id"]: (r["ip"], r["i"], r["e"]) for r in got} == want
    assert sum(i is None and e is None for _, i, e in want.values()) == len(SCOPES)  # spare
    # One ASSIGNED_TO edge per address: to the instance where one holds it (though the
    # address is on its interface too), else to the interface.
    edges = rows(
        graph,
        "MATCH (a:AWSElasticIP)-[:ASSIGNED_TO]->(t) RETURN a.uid AS id, labels(t) AS l, t.uid AS t",
    )
    assert sorted(r["id"] for r in edges) == sorted({r["id"] for r in edges})
    assert edges and all(
        (r["l"], r["t"]) == ((["AWSInstance"], i) if i else (["AWSNetworkInterface"], e))
        for r in edges
        for _, i, e in [want[r["id"]]]
    )
    assert any(want[r["id"]][1] and want[r["id"]][2] for r in edges)  # on both, one edge


def test_snapshots_are_the_accounts_own_with_their_volume_id(graph: Runtime, moto_url: str) -> None:
    want = {
        s["SnapshotId"]: (account, s["VolumeId"], s["VolumeSize"])
        for account, _, ec2 in clients(moto_url, "ec2")
        for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
        if s["OwnerId"] == account
    }
    got = rows(
        graph,
        "MATCH (s:AWSSnapshot) RETURN s.uid AS id, s.account_id AS a, s.volume_id AS v, "
        "s.volume_size_gib AS size",
    )
    assert {r["id"]: (r["a"], r["v"], r["size"]) for r in got} == want
    # Snapshots of deleted volumes keep the volume's id, with no volume to link to: the
    # demo's retired data and (moto's way) its images' own.
    orphans = rows(
        graph,
        "MATCH (s:AWSSnapshot) WHERE NOT (:AWSVolume)-[:HAS_SNAPSHOT]->(s) "
        "RETURN s.name AS n, s.volume_id AS v",
    )
    assert sorted(r["n"] for r in orphans if r["n"]) == sorted(
        f"{owner}-retired-data-backup" for owner in ("main", "main", "shop", "shop")
    )
    volumes = {
        v["VolumeId"]
        for _, _, ec2 in clients(moto_url, "ec2")
        for v in ec2.describe_volumes()["Volumes"]
    }
    assert all(r["v"] and r["v"] not in volumes for r in orphans)


def test_nat_gateways_sit_in_their_subnet_with_their_addresses(
    graph: Runtime, moto_url: str
) -> None:
    want = {
        n["NatGatewayId"]: (n["VpcId"], n["SubnetId"], n["State"], len(n["NatGatewayAddresses"]))
        for _, _, ec2 in clients(moto_url, "ec2")
        for n in ec2.describe_nat_gateways()["NatGateways"]
        if n["State"] != "deleted"
    }
    got = rows(
        graph,
        "MATCH (n:AWSNatGateway) RETURN n.uid AS id, n.vpc_id AS v, n.subnet_id AS s, "
        "n.state AS st, size(n.allocation_ids) AS a",
    )
    assert {r["id"]: (r["v"], r["s"], r["st"], r["a"]) for r in got} == want


def _graph_has(rt: Runtime, query: str, **params: str) -> bool:
    return bool(rows(rt, f"RETURN EXISTS {{ {query} }} AS found", **params)[0]["found"])


def test_addresses_snapshots_and_nat_gateways_go_when_they_go(
    graph: Runtime, moto_url: str, config_path: Path
) -> None:
    """Made in one scope and collected, then removed from moto: the next collection of
    that scope removes their nodes and links, and a snapshot outlives its volume."""
    region = demo.REGIONS[1]
    ec2 = demo.session(moto_url, demo.ROLE).client("ec2", region_name=region, endpoint_url=moto_url)
    free = next(i for i in live_instances(ec2) if not i.get("PublicIpAddress"))
    instance, subnet = free["InstanceId"], free["SubnetId"]
    zone = free["Placement"]["AvailabilityZone"]
    volume = ec2.create_volume(AvailabilityZone=zone, Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    association = ec2.associate_address(AllocationId=address, InstanceId=instance)
    nat_address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=nat_address)["NatGateway"]
    scope = {"account": "demo-shop", "region": region}

    code, out = collect(config_path, "aws:collect-all", scope)
    assert code == 0, out
    ids = {"a": address, "i": instance, "v": volume, "s": snapshot, "sub": subnet}
    ids |= {"n": nat["NatGatewayId"], "na": nat_address}
    made = {
        "address": "MATCH (:AWSElasticIP {uid: $a})-[:ASSIGNED_TO]->(:AWSInstance {uid: $i})",
        "snapshot": "MATCH (:AWSVolume {uid: $v})-[:HAS_SNAPSHOT]->(:AWSSnapshot {uid: $s})",
        "gateway": "MATCH (:AWSSubnet {uid: $sub})-[:HAS_NAT_GATEWAY]->(:AWSNatGateway {uid: $n})"
        "-[:USES_ADDRESS]->(:AWSElasticIP {uid: $na})",
    }
    for name, query in made.items():
        assert _graph_has(graph, query, **ids), name
    edges = "MATCH (:AWSElasticIP {uid: $a})-[e:ASSIGNED_TO]->() RETURN count(e) AS n"
    assert rows(graph, edges, **ids) == [{"n": 1}]  # the instance's, not its interface's too

    ec2.disassociate_address(AssociationId=association["AssociationId"])
    ec2.release_address(AllocationId=address)
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])  # listed as deleted a while
    ec2.release_address(AllocationId=nat_address)
    ec2.delete_volume(VolumeId=volume)
    code, out = collect(config_path, "aws:collect-all", scope)
    assert code == 0, out
    for uid in (address, nat_address):
        assert not _graph_has(graph, "MATCH (:AWSElasticIP {uid: $u})", u=uid), uid
    assert not _graph_has(graph, "MATCH (:AWSNatGateway {uid: $n})", **ids)
    assert not _graph_has(graph, "MATCH (:AWSInstance {uid: $i})<-[:ASSIGNED_TO]-()", **ids)
    # The snapshot stays, its volume's id kept, with no volume to belong to.
    left = rows(graph, "MATCH (s:AWSSnapshot {uid: $s}) RETURN s.volume_id AS v", **ids)
    assert left == [{"v": volume}]
    assert not _graph_has(
        graph, "MATCH (:AWSVolume)-[:HAS_SNAPSHOT]->(:AWSSnapshot {uid: $s})", **ids
    )

    ec2.delete_snapshot(SnapshotId=snapshot)
    code, out = collect(config_path, "aws:collect-snapshots", scope)
    assert code == 0, out
    assert not _graph_has(graph, "MATCH (:AWSSnapshot {uid: $s})", **ids)
