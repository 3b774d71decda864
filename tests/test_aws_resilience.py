"""Collections that survive odd items, overlap and failure, in an account of their own
(so that the shared demo estate stays as the other tests expect it): detail calls that
fail leave warnings, not failed scopes; one collection per kind and scope at a time; the
housekeeper keeps what failures kept from being seen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from app.config import Settings
from dev.demo import aws as demo
from dev.stack import Stack, wait_until
from tests.conftest import wipe
from tests.faultproxy import Call, FaultProxy, s3_error
from tests.helpers import cli
from worker.runtime import Runtime

ACCOUNT = "333333333333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/inventory-reader"
REGION = "us-east-1"
SCOPE = {"account": "odd", "region": REGION}


@pytest.fixture(scope="module")
def odd(moto_url: str) -> dict[str, str]:
    """An account of its own: a healthy balancer with a target, a network balancer with no
    target group (moto answers TargetGroupNotFound for it), one that will be deleted
    between the listing and its detail call, and two buckets."""
    s = demo.session(moto_url, ROLE)
    ec2 = s.client("ec2", region_name=REGION, endpoint_url=moto_url)
    image = next(
        i["ImageId"]
        for i in ec2.describe_images(Owners=["amazon"])["Images"]
        if not i.get("Platform")
    )
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n * 64}.0/18", AvailabilityZone=zones[n])[
            "Subnet"
        ]["SubnetId"]
        for n in (0, 1)
    ]
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnets[0]
    )["Instances"][0]["InstanceId"]
    elbv2 = s.client("elbv2", region_name=REGION, endpoint_url=moto_url)
    made = {"instance": instance, "vpc": vpc}
    for name, kind in (("fine", "application"), ("empty", "network"), ("doomed", "application")):
        lb = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type=kind)
        made[name] = lb["LoadBalancers"][0]["LoadBalancerArn"]
    for name in ("fine", "doomed"):  # "empty" has none
        group = elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": instance}])
        elbv2.create_listener(
            LoadBalancerArn=made[name],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        )
    s3 = s.client("s3", region_name=REGION, endpoint_url=moto_url)
    for bucket in ("odd-open", "odd-closed"):
        s3.create_bucket(Bucket=bucket)
    return made


@pytest.fixture(scope="module")
def pipeline(
    stack: Stack, config_path: Path, proxy: FaultProxy, migrated: Runtime, odd: dict
) -> Iterator[tuple[Path, Runtime]]:
    """A worker whose only account is the odd one, on a Redis database of its own."""
    config = yaml.safe_load(config_path.read_text())
    config["redis"]["url"] = config["redis"]["url"].rsplit("/", 1)[0] + "/2"
    config["aws"]["accounts"] = [
        {**demo.accounts_config(proxy.url)[0], "name": "odd", "role_arn": ROLE, "regions": [REGION]}
    ]
    config["vsphere"] = {"vcenters": []}
    path = stack.home / "resilience.yaml"
    path.write_text(yaml.safe_dump(config))
    worker = stack.inventory("worker-resilience", "worker")
    worker.env["INVENTORY_CONFIG"] = str(path)
    stack.start(worker)
    rt = Runtime(Settings(**config))
    yield path, rt
    stack.stop("worker-resilience")


def collect(path: Path, task: str, payload: dict) -> tuple[int, str]:
    result = cli("collect", task, "--payload", json.dumps(payload), "--wait", config=path)
    return result.returncode, result.stdout + result.stderr


def records_of(rt: Runtime, out: str) -> list[dict]:
    root = next(line.split()[-1] for line in out.splitlines() if line.startswith("enqueued"))
    return rt.records.tree(root)


def props(rt: Runtime, label: str) -> dict[str, dict]:
    records, _, _ = rt.driver.execute_query(
        f"MATCH (n:{label} {{account_id: $a}}) RETURN n {{.*}} AS n", a=ACCOUNT
    )
    return {r["n"]["name"]: r["n"] for r in records}


def count_vpcs(rt: Runtime) -> int:
    records, _, _ = rt.driver.execute_query(
        "MATCH (v:AWSVPC {account_id: $a}) RETURN count(v) AS n", a=ACCOUNT
    )
    return records[0]["n"]


def test_odd_items_leave_warnings_and_the_rest_of_the_scope_is_collected(
    pipeline: tuple[Path, Runtime], proxy: FaultProxy, odd: dict, moto_url: str
) -> None:
    path, rt = pipeline
    wipe(rt)
    code, out = collect(path, "aws:collect-buckets", {"account": "odd"})
    assert code == 0, out
    assert props(rt, "AWSBucket")["odd-closed"]["region"] == REGION  # known, before the denial

    def doom(call: Call) -> None:  # deleted between the listing and its detail call
        if call.has("DescribeTargetGroups") and call.has(quote(odd["doomed"], safe="")):
            s = demo.session(moto_url, ROLE)
            s.client("elbv2", region_name=REGION, endpoint_url=moto_url).delete_load_balancer(
                LoadBalancerArn=odd["doomed"]
            )

    denied = s3_error("AccessDenied", "Access Denied")
    proxy.rules.append((lambda c: c.has("odd-closed") and c.has("location"), 403, denied))
    proxy.hooks.append(doom)
    try:
        code, lb_out = collect(path, "aws:collect-load-balancers", SCOPE)
        assert code == 0, lb_out
        code, bucket_out = collect(path, "aws:collect-buckets", {"account": "odd"})
        assert code == 0, bucket_out
    finally:
        proxy.rules.clear()
        proxy.hooks.clear()

    balancers = props(rt, "AWSLoadBalancer")
    assert set(balancers) == {"fine", "empty", "doomed"}  # written with what is known
    assert balancers["fine"]["target_instance_ids"] == [odd["instance"]]
    assert "target_instance_ids" not in balancers["empty"]
    (lb_task,) = [r for r in records_of(rt, lb_out) if r["payload"] == SCOPE]
    assert lb_task["state"] == "succeeded"
    assert lb_task["result"]["warnings"] == 2
    reasons = " ".join(lb_task["result"]["warning_reasons"])
    assert "TargetGroupNotFound" in reasons and odd["empty"] in reasons
    doomed = next(r for r in lb_task["result"]["warning_reasons"] if odd["doomed"] in r)
    assert "NotFound" in doomed  # moto answers TargetGroupNotFound for a deleted balancer

    buckets = props(rt, "AWSBucket")
    assert buckets["odd-closed"]["region"] == REGION  # kept from before, not wiped
    assert buckets["odd-open"]["region"] == REGION
    (bucket_task,) = [r for r in records_of(rt, bucket_out) if r["payload"] == {"account": "odd"}]
    assert bucket_task["state"] == "succeeded" and bucket_task["result"]["warnings"] == 1
    assert "AccessDenied" in bucket_task["result"]["warning_reasons"][0]

    # The next collection finds the deleted balancer gone.
    code, out = collect(path, "aws:collect-load-balancers", SCOPE)
    assert code == 0, out
    assert set(props(rt, "AWSLoadBalancer")) == {"fine", "empty"}


def test_two_collections_of_one_scope_run_one_at_a_time(
    pipeline: tuple[Path, Runtime], proxy: FaultProxy, odd: dict, moto_url: str
) -> None:
    path, rt = pipeline
    wipe(rt)
    proxy.delays[(REGION, "ec2")] = 1.5  # long enough for the second to start meanwhile
    try:
        first = rt.enqueue("aws:collect-instances", SCOPE, "high")
        second = rt.enqueue("aws:collect-instances", SCOPE, "high")
        wait_until(
            lambda: all(
                (rt.records.get(t) or {}).get("state") in ("succeeded", "skipped")
                for t in (first, second)
            ),
            120,
            "both collections to end",
        )
    finally:
        proxy.delays.clear()
    states = {t: rt.records.get(t) for t in (first, second)}
    ran = [t for t, r in states.items() if r["state"] == "succeeded"]
    skipped = [r for r in states.values() if r["state"] == "skipped"]
    assert len(ran) == 1 and len(skipped) == 1
    assert skipped[0]["result"]["running"] == ran[0]
    assert "is running as task" in skipped[0]["result"]["skipped"]

    # An instance made meanwhile is there after the next collection, and nothing was lost.
    s = demo.session(moto_url, ROLE)
    ec2 = s.client("ec2", region_name=REGION, endpoint_url=moto_url)
    subnet = ec2.describe_instances(InstanceIds=[odd["instance"]])["Reservations"][0]["Instances"][
        0
    ]["SubnetId"]
    image = ec2.describe_instances(InstanceIds=[odd["instance"]])["Reservations"][0]["Instances"][
        0
    ]["ImageId"]
    late = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][
        0
    ]["InstanceId"]
    code, out = collect(path, "aws:collect-instances", SCOPE)
    assert code == 0, out
    records, _, _ = rt.driver.execute_query(
        "MATCH (i:AWSInstance {account_id: $a}) RETURN collect(i.uid) AS ids", a=ACCOUNT
    )
    assert set(records[0]["ids"]) == {odd["instance"], late}


def test_the_housekeeper_keeps_what_a_failing_collection_could_not_see(
    pipeline: tuple[Path, Runtime], proxy: FaultProxy, odd: dict
) -> None:
    path, rt = pipeline
    wipe(rt)
    code, out = collect(path, "aws:collect-vpcs", SCOPE)
    assert code == 0, out
    proxy.denied.add((REGION, "ec2"))  # a permission missing, for good
    try:
        code, out = collect(path, "aws:collect-vpcs", SCOPE)
    finally:
        proxy.denied.clear()
    assert code == 1 and "UnauthorizedOperation" in out
    vpcs = count_vpcs(rt)
    assert vpcs >= 2
    # Ten days on: the VPCs were last seen, and last collected with success, ten days ago
    # (the failure is a moment old).
    rt.driver.execute_query(
        "MATCH (v:AWSVPC {account_id: $a}) SET v.last_seen = v.last_seen - $d "
        "WITH count(*) AS moved "
        "MATCH (c:InventoryCollection {label: 'AWSVPC', account: 'odd'}) "
        "SET c.last_success = c.last_success - $d, "
        "c.last_success_seen_at = c.last_success_seen_at - $d",
        a=ACCOUNT,
        d=timedelta(days=10),
    )
    code, out = collect(path, "aux:housekeeper", {"retention_days": 7})
    assert code == 0, out
    (task,) = records_of(rt, out)
    kept = [k for k in task["result"]["kept"] if k["label"] == "AWSVPC"]
    assert kept == [{"label": "AWSVPC", "account_id": ACCOUNT, "region": REGION, "kept": vpcs}]
    assert task["result"]["by_label"]["AWSVPC"] == 0
    status, _, _ = rt.driver.execute_query(
        "MATCH (c:InventoryCollection {label: 'AWSVPC', account: 'odd'}) RETURN c {.*} AS c"
    )
    assert "UnauthorizedOperation" in status[0]["c"]["last_error"]
    assert status[0]["c"]["last_failure"] > status[0]["c"]["last_success"]
    assert count_vpcs(rt) == vpcs  # nothing deleted
