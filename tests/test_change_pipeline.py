"""Change records from real collections: moto's and vcsim's estates changed between two
collections by the workers, and what the graph then records of it (graph.changes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dev.demo import aws as demo
from tests.conftest import vcsim_port
from tests.helpers import collect, collect_all, launch
from worker.runtime import Runtime

MAIN = {"account": "demo-main", "region": "us-east-1"}
SCOPE = f"{demo.MAIN_ACCOUNT}/us-east-1"


def changes_since(rt: Runtime, since: datetime, scope: str | None = None) -> list[dict]:
    """The change records at or after ``since`` (in ``scope``, if given)."""
    records, _, _ = rt.driver.execute_query(
        "MATCH (c:InventoryChange) WHERE c.at >= $since AND ($scope IS NULL OR c.scope = $scope) "
        "RETURN c ORDER BY c.at, c.change, c.uid",
        since=since,
        scope=scope,
    )
    return [dict(r["c"]) for r in records]


def about(found: list[dict], uid: str, change: str) -> list[dict]:
    return [c for c in found if c["change"] == change and uid in (c["uid"], c.get("target_uid"))]


@pytest.fixture(scope="module")
def ec2(moto_url: str) -> Any:
    return demo.session(moto_url).client("ec2", region_name="us-east-1", endpoint_url=moto_url)


@pytest.fixture(scope="module")
def ours(collected: Runtime, ec2: Any, config_path: Path) -> Iterator[dict[str, Any]]:
    """Four instances of this module's own in one of the demo's subnets, collected, and two
    security groups of that subnet's VPC; terminated at the end."""

    def groups_of(vpc: str) -> list[str]:
        found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
        return sorted(g["GroupId"] for g in found["SecurityGroups"])

    # A subnet of a VPC with two security groups at least (not the default VPC's).
    subnet = next(s for s in ec2.describe_subnets()["Subnets"] if len(groups_of(s["VpcId"])) > 1)
    groups = groups_of(subnet["VpcId"])
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "dev"}]}]
    ids = launch(ec2, subnet["SubnetId"], 4, SecurityGroupIds=[groups[0]], TagSpecifications=tags)
    code, out = collect(config_path, "aws:collect-all", MAIN)
    assert code == 0, out
    yield {"ids": ids, "groups": groups}
    ec2.terminate_instances(InstanceIds=ids)


def test_an_unchanged_recollection_records_nothing(
    collected: Runtime, config_path: Path, vcenters: Any
) -> None:
    rt = collected
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
    assert code == 0, out
    since = rt.writer.now()
    code, out = collect_all(config_path)  # every account and region of the demo again
    assert code == 0, out
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
    assert code == 0, out
    found = [(c["label"], c["uid"], c["change"], c.get("fields")) for c in changes_since(rt, since)]
    # moto gives each account its own copy of Amazon's images, with a creation date and
    # snapshots of its own (AWS has one image for all): the shared node keeps one view
    # (Kind.owner_view), so the accounts' copies taking turns change nothing either.
    assert not found, found


def _relationships(rt: Runtime, uid: str) -> set[tuple[str, str, str]]:
    records, _, _ = rt.driver.execute_query(
        "MATCH (n {uid: $uid})-[r]-() RETURN type(r) AS type, startNode(r).uid AS source, "
        "endNode(r).uid AS target",
        uid=uid,
    )
    return {(r["type"], r["source"], r["target"]) for r in records}


def test_instances_changed_between_collections(
    collected: Runtime, ours: dict[str, Any], ec2: Any, config_path: Path
) -> None:
    rt = collected
    resized, retagged, terminated, regrouped = ours["ids"]
    held = _relationships(rt, terminated)
    assert held  # its subnet, security group, ...
    ec2.stop_instances(InstanceIds=[resized])
    ec2.modify_instance_attribute(InstanceId=resized, InstanceType={"Value": "t3.large"})
    ec2.create_tags(Resources=[retagged], Tags=[{"Key": "env", "Value": "prod"}])
    ec2.terminate_instances(InstanceIds=[terminated])
    ec2.modify_instance_attribute(InstanceId=regrouped, Groups=ours["groups"][:2])
    since = rt.writer.now()
    code, out = collect(config_path, "aws:collect-all", MAIN)
    assert code == 0, out
    found = changes_since(rt, since, SCOPE)

    [stopped] = about(found, resized, "updated")
    assert {"instance_type", "state"} <= set(stopped["fields"])
    assert (stopped["before_instance_type"], stopped["after_instance_type"]) == (
        "t3.micro",
        "t3.large",
    )
    assert (stopped["before_state"], stopped["after_state"]) == ("running", "stopped")
    assert stopped["task_id"] and stopped["label"] == "AWSInstance"

    [tagged] = about(found, retagged, "updated")
    assert (tagged["before_tags"], tagged["after_tags"]) == (["env=dev"], ["env=prod"])

    [deleted] = about(found, terminated, "deleted")
    assert deleted["before_instance_type"] == "t3.micro"
    unlinked = {
        (c["type"], c["uid"], c["target_uid"]) for c in about(found, terminated, "unlinked")
    }
    assert unlinked == held  # each of its relationships, once

    [linked] = about(found, regrouped, "linked")
    assert (linked["type"], linked["target_uid"]) == ("IN_SECURITY_GROUP", ours["groups"][1])
    [regrouped_update] = about(found, regrouped, "updated")
    assert sorted(regrouped_update["after_security_group_ids"]) == ours["groups"][:2]

    # Started again: the state back, the type as it is.
    ec2.start_instances(InstanceIds=[resized])
    since = rt.writer.now()
    code, out = collect(config_path, "aws:collect-all", MAIN)
    assert code == 0, out
    [started] = about(changes_since(rt, since, SCOPE), resized, "updated")
    assert (started["before_state"], started["after_state"]) == ("stopped", "running")
    assert "instance_type" not in started["fields"]


def test_a_vm_migrated_and_powered_off(
    collected: Runtime, config_path: Path, vcenters: Any
) -> None:
    from pyVmomi import vim

    from dev.demo.vsphere import connect, every, wait

    rt = collected
    code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
    assert code == 0, out
    with connect(vcsim_port("vc-change")) as content:
        # Not the first VMs, which test_vsphere changes in its turn.
        vm = every(content, vim.VirtualMachine)[2]
        old = vm.runtime.host
        new = next(h for h in every(content, vim.HostSystem) if h != old)
        wait(vm.PowerOffVM_Task())
        wait(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(host=new)))
        uid, old_uid, new_uid = (f"vc-change:{o._moId}" for o in (vm, old, new))
    since = rt.writer.now()
    try:
        code, out = collect(config_path, "vsphere:collect-all", {"vcenter": "vc-change"})
        assert code == 0, out
    finally:
        with connect(vcsim_port("vc-change")) as content:
            wait(
                next(
                    v for v in every(content, vim.VirtualMachine) if v._moId == vm._moId
                ).PowerOnVM_Task()
            )
    found = changes_since(rt, since, "vc-change")
    [updated] = about(found, uid, "updated")
    assert (updated["before_power_state"], updated["after_power_state"]) == (
        "poweredOn",
        "poweredOff",
    )
    assert (updated["before_host_uid"], updated["after_host_uid"]) == (old_uid, new_uid)
    runs = [c for c in found if c.get("type") == "RUNS" and c["target_uid"] == uid]
    assert {(c["change"], c["uid"]) for c in runs} == {("unlinked", old_uid), ("linked", new_uid)}
    assert {c["label"] for c in runs} == {"VSphereHost"}
