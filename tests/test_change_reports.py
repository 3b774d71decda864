"""The reports on change (recently-created, recently-deleted, security-group-changes) over
changes planted through real collections: moto's estate changed between collections by
the workers, the earlier collections' records moved a day and more back (what yesterday's
collections would have left), and the reports asked over REST.  Also: a region its
images' collection makes before the regions' own is created once, by that task."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import Settings
from dev.demo import aws as demo
from tests.conftest import wipe
from tests.helpers import collect
from worker.runtime import Runtime

MAIN = {"account": "demo-main", "region": "us-east-1"}
SCOPE = f"{demo.MAIN_ACCOUNT}/us-east-1"


@pytest.fixture(scope="module")
def client(settings: Settings, migrated: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def _collect_main(config: Path) -> None:
    code, out = collect(config, "aws:collect-all", MAIN)
    assert code == 0, out


def _yesterday(rt: Runtime) -> None:
    """Every change recorded so far moved two days back."""
    rt.driver.execute_query("MATCH (c:InventoryChange) SET c.at = c.at - duration({hours: 48})")


class _Estate:
    """This module's own resources in one of the demo's subnets (us-east-1 of demo-main),
    made, changed and at the end removed through EC2."""

    def __init__(self, ec2: Any) -> None:
        self.ec2 = ec2
        self.subnet = next(s for s in ec2.describe_subnets()["Subnets"] if not s["DefaultForAz"])
        images = ec2.describe_images(Owners=["amazon"])["Images"]
        self.image = next(i["ImageId"] for i in images if not i.get("Platform"))
        self.instances: list[str] = []
        self.groups: list[str] = []

    def group(self, name: str) -> str:
        made = self.ec2.create_security_group(
            GroupName=name, Description="test_change_reports", VpcId=self.subnet["VpcId"]
        )
        self.groups.append(made["GroupId"])
        return made["GroupId"]

    def run(self, n: int, group: str) -> list[str]:
        made = self.ec2.run_instances(
            ImageId=self.image,
            MinCount=n,
            MaxCount=n,
            InstanceType="t3.nano",
            SubnetId=self.subnet["SubnetId"],
            SecurityGroupIds=[group],
        )
        ids = [i["InstanceId"] for i in made["Instances"]]
        self.instances += ids
        return ids

    def volume(self) -> str:
        zone = self.subnet["AvailabilityZone"]
        return self.ec2.create_volume(AvailabilityZone=zone, Size=1)["VolumeId"]

    def interface_of(self, instance: str) -> str:
        found = self.ec2.describe_instances(InstanceIds=[instance])["Reservations"]
        return found[0]["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]

    def remove(self) -> None:
        if self.instances:
            self.ec2.terminate_instances(InstanceIds=self.instances)
        for group in self.groups:
            with contextlib.suppress(Exception):  # moto may still see a member
                self.ec2.delete_security_group(GroupId=group)


@pytest.fixture(scope="module")
def planted(
    workers: Any, estate: dict, migrated: Runtime, config_path: Path, moto_url: str
) -> Iterator[dict[str, Any]]:
    """Three collections of demo-main's us-east-1: two "yesterday" (a volume made, then
    deleted; groups and instances made), one today after the changes the reports are for."""
    rt = wipe(migrated)
    ec2 = demo.session(moto_url).client("ec2", region_name="us-east-1", endpoint_url=moto_url)
    own = _Estate(ec2)
    try:
        yield _plant(rt, own, config_path)
    finally:
        own.remove()


def _plant(rt: Runtime, own: _Estate, config: Path) -> dict[str, Any]:
    old_volume = own.volume()
    _collect_main(config)
    ec2 = own.ec2
    ec2.delete_volume(VolumeId=old_volume)
    kept, opened, quiet = own.group("reports-kept"), own.group("reports-opened"), own.group("q")
    staying, terminated = own.run(2, kept)
    volume = own.volume()
    _collect_main(config)
    _yesterday(rt)
    # Today.
    new_group = own.group("reports-new")
    [new] = own.run(1, new_group)
    anywhere = [{"CidrIp": "0.0.0.0/0"}]
    ec2.authorize_security_group_ingress(
        GroupId=opened,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": anywhere}],
    )
    ec2.modify_instance_attribute(InstanceId=staying, Groups=[kept, opened])
    ec2.terminate_instances(InstanceIds=[terminated])
    ec2.delete_volume(VolumeId=volume)
    _collect_main(config)
    return {
        "old_volume": old_volume,
        "volume": volume,
        "kept": kept,
        "opened": opened,
        "quiet": quiet,
        "new_group": new_group,
        "staying": staying,
        "staying_eni": own.interface_of(staying),
        "terminated": terminated,
        "new": new,
        "new_eni": own.interface_of(new),
    }


def _rows(client: TestClient, read: dict, name: str, **params: Any) -> dict[str, dict]:
    reply = client.get(f"/api/v1/reports/{name}", headers=read, params={"limit": 1000, **params})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["next_cursor"] is None
    return {row["uid"]: row for row in body["items"]}


def test_recently_created(planted: dict[str, Any], client: TestClient, read: dict) -> None:
    p = planted
    today = _rows(client, read, "recently-created")
    assert {p["new"], p["new_group"], p["new_eni"]} <= set(today)
    yesterdays = {p["kept"], p["opened"], p["quiet"], p["staying"], p["terminated"], p["volume"]}
    assert not yesterdays & set(today)  # older than the window
    row = today[p["new"]]
    assert (row["label"], row["provider"], row["scope"]) == ("AWSInstance", "aws", SCOPE)
    assert row["task_id"] and row["deleted_since"] is False

    # A longer window finds yesterday's too, and says which have gone since.
    week = _rows(client, read, "recently-created", hours=72)
    assert yesterdays | {p["old_volume"]} | set(today) <= set(week)
    gone = {uid for uid, r in week.items() if r["deleted_since"]}
    assert {p["terminated"], p["volume"], p["old_volume"]} <= gone
    assert p["staying"] not in gone

    # One label: that label's only.
    assert set(_rows(client, read, "recently-created", label="AWSInstance")) == {p["new"]}
    groups = _rows(client, read, "recently-created", label="AWSSecurityGroup")
    assert set(groups) == {p["new_group"]}
    groups = _rows(client, read, "recently-created", label="AWSSecurityGroup", hours=72)
    assert {p["kept"], p["opened"], p["quiet"], p["new_group"]} <= set(groups)
    assert {r["label"] for r in groups.values()} == {"AWSSecurityGroup"}


def test_recently_deleted(planted: dict[str, Any], client: TestClient, read: dict) -> None:
    p = planted
    today = _rows(client, read, "recently-deleted")
    # (moto keeps a terminated instance's interface, where AWS deletes it with the instance)
    assert {p["terminated"], p["volume"]} <= set(today)
    assert p["old_volume"] not in today  # deleted two days ago
    assert not {p["staying"], p["new"], p["kept"]} & set(today)
    row = today[p["terminated"]]
    assert (row["label"], row["scope"], row["created_since"]) == ("AWSInstance", SCOPE, False)
    assert row["task_id"]
    volumes = _rows(client, read, "recently-deleted", label="AWSVolume", hours=72)
    assert {p["volume"], p["old_volume"]} <= set(volumes)  # and the instance's root volume
    assert {r["label"] for r in volumes.values()} == {"AWSVolume"}
    assert set(_rows(client, read, "recently-deleted", label="AWSInstance")) == {p["terminated"]}


def test_security_group_changes(planted: dict[str, Any], client: TestClient, read: dict) -> None:
    p = planted
    today = _rows(client, read, "security-group-changes")
    opened = today[p["opened"]]
    assert "updated" in opened["changes"] and "ingress_rules" in opened["fields"]
    assert set(opened["attached"]) == {p["staying"], p["staying_eni"]}
    assert opened["detached"] == [] and opened["group_name"] == "reports-opened"
    assert opened["vpc_id"] and opened["region"] == "us-east-1"
    new = today[p["new_group"]]
    assert {"created", "linked"} <= set(new["changes"]) and new["fields"] == []
    assert set(new["attached"]) == {p["new"], p["new_eni"]}
    kept = today[p["kept"]]
    assert set(kept["detached"]) == {p["terminated"]}
    assert set(kept["changes"]) == {"unlinked"} and kept["attached"] == []
    assert p["quiet"] not in today  # made yesterday, untouched since
    assert p["quiet"] in _rows(client, read, "security-group-changes", hours=72)


def test_bad_parameters_are_refused(client: TestClient, read: dict) -> None:
    for name, params, message in (
        ("recently-created", {"hours": "0"}, "hours: must be at least 1"),
        ("recently-deleted", {"label": "aws instance"}, "label: no kind has the label"),
        ("security-group-changes", {"hours": "yesterday"}, "hours: expected int"),
    ):
        reply = client.get(f"/api/v1/reports/{name}", headers=read, params=params)
        assert reply.status_code == 422 and message in reply.json()["detail"], reply.text


def test_a_region_its_images_make_first_is_created_once_by_that_task(
    planted: dict[str, Any], migrated: Runtime, config_path: Path, client: TestClient, read: dict
) -> None:
    """demo-shop's eu-west-1, which this module has not collected: its images' collection
    makes its region node (recorded created, by that task); the regions' collection then
    fills it in (updated: only its opt-in status)."""
    rt = migrated
    uid = f"{demo.SHOP_ACCOUNT}:eu-west-1"
    shop = {"account": "demo-shop", "region": "eu-west-1"}
    code, out = collect(config_path, "aws:collect-images", shop)
    assert code == 0, out
    code, out = collect(config_path, "aws:collect-regions", {"account": "demo-shop"})
    assert code == 0, out
    records, _, _ = rt.driver.execute_query(
        "MATCH (c:InventoryChange {uid: $uid}) WHERE c.change IN ['created', 'updated'] "
        "RETURN c ORDER BY c.at",
        uid=uid,
    )
    made, filled = (dict(r["c"]) for r in records)
    assert (made["change"], filled["change"]) == ("created", "updated")
    assert rt.records.get(made["task_id"])["task"] == "aws:collect-images"
    assert sorted(made["fields"]) == ["name", "region"] and made["scope"] == demo.SHOP_ACCOUNT
    assert rt.records.get(filled["task_id"])["task"] == "aws:collect-regions"
    assert filled["fields"] == ["opt_in_status"]
    regions = _rows(client, read, "recently-created", label="AWSRegion")
    assert regions[uid]["task_id"] == made["task_id"]
    # The account's other region, which its images have not made, is the regions' own.
    other = regions[f"{demo.SHOP_ACCOUNT}:us-east-1"]
    assert rt.records.get(other["task_id"])["task"] == "aws:collect-regions"
