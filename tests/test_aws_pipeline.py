"""The vertical slice end to end: CLI -> Redis -> worker processes -> moto -> Neo4j."""

from __future__ import annotations

from pathlib import Path

import pytest

from dev.demo import aws as demo
from tests.faultproxy import FaultProxy
from tests.helpers import collect_all, moto_instances
from worker.runtime import Runtime

PATH = (
    "MATCH (a:AWSAccount)-[:HAS_REGION]->(:AWSRegion)-[:HAS_VPC]->(:AWSVPC)"
    "-[:HAS_SUBNET]->(:AWSSubnet)-[:HAS_INSTANCE]->(i:AWSInstance) "
)


def scalar(rt: Runtime, query: str, **params):
    records, _, _ = rt.driver.execute_query(query, params)
    return records[0][0]


def census(rt: Runtime) -> dict[str, int]:
    """Nodes per label (not the change records, graph.changes) and relationships per type."""
    nodes, _, _ = rt.driver.execute_query(
        "MATCH (n) WHERE NOT n:InventoryChange RETURN labels(n)[0] AS k, count(*) AS c ORDER BY k"
    )
    rels, _, _ = rt.driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS k, count(*) AS c ORDER BY k"
    )
    return {r["k"]: r["c"] for r in [*nodes, *rels]}


@pytest.fixture(scope="module")
def first_run(collected: Runtime) -> Runtime:
    return collected


def test_every_moto_instance_sits_at_the_end_of_the_full_path(
    first_run: Runtime, moto_url: str
) -> None:
    live = moto_instances(moto_url)
    assert len(live) >= 20
    found = scalar(first_run, PATH + "RETURN count(DISTINCT i)")
    assert found == len(live)
    # ... and each one under the right account, region and subnet.
    records, _, _ = first_run.driver.execute_query(
        PATH.replace("(:AWSSubnet)", "(s:AWSSubnet)").replace("(:AWSRegion)", "(r:AWSRegion)")
        + "RETURN i.uid AS id, a.account_id AS account, r.name AS region, s.uid AS subnet"
    )
    assert {r["id"]: (r["account"], r["region"], r["subnet"]) for r in records} == live


def test_both_accounts_are_collected_one_through_an_assumed_role(first_run: Runtime) -> None:
    records, _, _ = first_run.driver.execute_query(
        "MATCH (a:AWSAccount) RETURN a.account_id AS id, a.name AS name ORDER BY id"
    )
    assert [(r["id"], r["name"]) for r in records] == [
        (demo.MAIN_ACCOUNT, "demo-main"),
        (demo.SHOP_ACCOUNT, "demo-shop"),
    ]


def test_properties_match_what_moto_reports(first_run: Runtime, moto_url: str) -> None:
    ec2 = demo.session(moto_url).client("ec2", region_name="eu-west-1", endpoint_url=moto_url)
    i = ec2.describe_instances()["Reservations"][0]["Instances"][0]
    records, _, _ = first_run.driver.execute_query(
        "MATCH (i:AWSInstance {uid: $uid}) RETURN i", uid=i["InstanceId"]
    )
    node = dict(records[0]["i"])
    assert node["instance_type"] == i["InstanceType"]
    assert node["private_ip"] == i["PrivateIpAddress"]
    assert node["subnet_id"] == i["SubnetId"]
    assert node["account_id"] == demo.MAIN_ACCOUNT and node["region"] == "eu-west-1"
    assert node["name"] == "main-prod-app" and "env=prod" in node["tags"]
    assert node["first_seen"] <= node["last_seen"]


def test_a_second_collection_changes_no_count(first_run: Runtime, config_path: Path) -> None:
    before = census(first_run)
    code, out = collect_all(config_path)
    assert code == 0, out
    assert census(first_run) == before


def test_task_records_hold_each_scoped_result(first_run: Runtime) -> None:
    records = [r for r in first_run.records.recent(1000) if r["task"] == "aws:collect-instances"]
    scoped = [r for r in records if r["payload"].get("region")]
    assert scoped and all(r["state"] == "succeeded" for r in scoped)
    assert all(r["result"]["nodes_written"] > 0 and r["attempts"] == 1 for r in scoped)


def test_a_denied_region_keeps_its_nodes_and_a_terminated_instance_goes_later(
    first_run: Runtime, moto_url: str, proxy: FaultProxy, config_path: Path
) -> None:
    rt = first_run
    ec2 = demo.session(moto_url).client("ec2", region_name="eu-west-1", endpoint_url=moto_url)
    victim = ec2.describe_instances()["Reservations"][0]["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[victim])
    # Every node of the region, and the images its regions see (moto reuses image ids
    # across regions, so an image's region property says only where it was last seen).
    eu = (
        "MATCH (n {region: 'eu-west-1'}) WHERE NOT n:AWSImage AND NOT n:InventoryChange "
        "WITH collect(labels(n)[0] + ':' + n.uid) AS nodes "
        "MATCH (:AWSRegion {region: 'eu-west-1'})-[:HAS_IMAGE]->(i) "
        "WITH nodes, collect('AWSImage:' + i.uid) AS images RETURN nodes + images"
    )
    before = sorted(scalar(rt, eu))

    proxy.denied.add(("eu-west-1", "ec2"))
    try:
        code, out = collect_all(config_path)
    finally:
        proxy.denied.clear()
    assert code == 1, out  # the failures are reported ...
    assert sorted(scalar(rt, eu)) == before  # ... and nothing of that region was deleted
    assert scalar(rt, "MATCH (i:AWSInstance {uid: $uid}) RETURN count(i)", uid=victim) == 1
    failed = [
        r
        for r in rt.records.recent(2000)
        if r["task"] == "aws:collect-instances"
        and r["payload"].get("region") == "eu-west-1"
        and r["state"] == "failed"
    ]
    assert failed and "UnauthorizedOperation" in failed[0]["error"]
    assert failed[0]["attempts"] == 1  # denied is not retried

    code, out = collect_all(config_path)
    assert code == 0, out
    assert scalar(rt, "MATCH (i:AWSInstance {uid: $uid}) RETURN count(i)", uid=victim) == 0
    assert scalar(rt, PATH + "RETURN count(DISTINCT i)") == len(moto_instances(moto_url))


def test_a_deleted_vpc_takes_its_subnets_instances_and_links_with_it(
    first_run: Runtime, moto_url: str, config_path: Path
) -> None:
    rt = first_run
    session = demo.session(moto_url)
    ec2 = session.client("ec2", region_name="us-east-1", endpoint_url=moto_url)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["main-staging"]}])["Vpcs"][0]
    vpc_id = vpc["VpcId"]
    code, out = collect_all(config_path)
    assert code == 0, out
    subnets = [
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    ]
    assert scalar(
        rt, "MATCH (:AWSVPC {uid: $v})-[:HAS_SUBNET]->(s) RETURN count(s)", v=vpc_id
    ) == len(subnets)

    # Take the VPC down the way AWS makes you: load balancers, instances, groups, subnets.
    elb = session.client("elb", region_name="us-east-1", endpoint_url=moto_url)
    for lb in elb.describe_load_balancers()["LoadBalancerDescriptions"]:
        if lb["VPCId"] == vpc_id:
            elb.delete_load_balancer(LoadBalancerName=lb["LoadBalancerName"])
    elbv2 = session.client("elbv2", region_name="us-east-1", endpoint_url=moto_url)
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        if lb["VpcId"] == vpc_id:
            elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    doomed = [
        i["InstanceId"]
        for r in ec2.describe_instances(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
            "Reservations"
        ]
        for i in r["Instances"]
    ]
    ec2.terminate_instances(InstanceIds=doomed)
    for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "SecurityGroups"
    ]:
        if g["GroupName"] != "default":
            ec2.delete_security_group(GroupId=g["GroupId"])
    for e in ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NetworkInterfaces"
    ]:
        ec2.delete_network_interface(NetworkInterfaceId=e["NetworkInterfaceId"])
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc_id)

    code, out = collect_all(config_path)
    assert code == 0, out
    assert scalar(rt, "MATCH (v:AWSVPC {uid: $v}) RETURN count(v)", v=vpc_id) == 0
    assert scalar(rt, "MATCH (s:AWSSubnet) WHERE s.uid IN $s RETURN count(s)", s=subnets) == 0
    assert scalar(rt, "MATCH (i:AWSInstance) WHERE i.uid IN $i RETURN count(i)", i=doomed) == 0
    assert scalar(rt, "MATCH (n {vpc_id: $v}) RETURN count(n)", v=vpc_id) == 0
    assert scalar(rt, PATH + "RETURN count(DISTINCT i)") == len(moto_instances(moto_url))
