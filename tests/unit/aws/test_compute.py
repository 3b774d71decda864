"""Row mapping of AWS instances and images from recorded answers."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.aws import images, instances
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"


def test_instances_read_nested_state_placement_and_groups() -> None:
    got = rows(instances.COLLECTOR, FakeSession(ACCOUNT, REGION))
    recorded = [
        i
        for r in recording("ec2", "describe_instances")[0]["response"]["Reservations"]
        for i in r["Instances"]
    ]
    assert len(got) == len(recorded) > 0
    for row, i in zip(got, recorded, strict=True):
        assert row["uid"] == row["instance_id"] == i["InstanceId"]
        assert row["state"] == i["State"]["Name"]
        assert row["availability_zone"] == i["Placement"]["AvailabilityZone"]
        assert row["security_group_ids"] == sorted(g["GroupId"] for g in i["SecurityGroups"])
        assert isinstance(row["launch_time"], datetime) and row["launch_time"].tzinfo
        assert row["name"] and f"Name={row['name']}" in row["tags"]


def test_instances_that_are_terminated_are_left_out() -> None:
    session = FakeSession(ACCOUNT, REGION)
    reservation = recording("ec2", "describe_instances")[0]["response"]["Reservations"][0]
    gone = {**reservation["Instances"][0], "State": {"Name": "terminated"}}
    client = session.client("ec2")
    client.get_paginator = lambda op: type(  # type: ignore[method-assign]
        "P", (), {"paginate": lambda self, **kw: iter([{"Reservations": [{"Instances": [gone]}]}])}
    )()
    assert rows(instances.COLLECTOR, session) == []


def test_images_are_owned_and_used_ones_with_their_creation_time() -> None:
    session = FakeSession(ACCOUNT, REGION)
    # The images the region's instances run, as the graph holds them (the worker reads them).
    running = recording("ec2", "describe_instances")[0]["response"]["Reservations"]
    session.referenced = sorted({i["ImageId"] for r in running for i in r["Instances"]})
    got = rows(images.COLLECTOR, session)
    owned = recording("ec2", "describe_images")[0]["response"]["Images"]
    assert {r["uid"] for r in got} >= {i["ImageId"] for i in owned}
    golden = next(r for r in got if r["name"] == "main-golden-us-east-1")
    assert golden["owner_id"] == ACCOUNT
    # DescribeImages gives text where every other call gives a time; the row has a time.
    assert isinstance(golden["creation_date"], datetime)
    assert golden["creation_date"].tzinfo is not None
    assert golden["creation_date"] <= datetime.now(UTC)
    # The snapshots behind it, which the orphaned-snapshots report must not count.
    recorded = next(i for i in owned if i["Name"] == "main-golden-us-east-1")
    assert golden["snapshot_ids"] == [recorded["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]]
    assert golden["snapshot_ids"][0].startswith("snap-")
    calls = session.clients["ec2"].calls
    used = [p["Filters"][0]["Values"] for op, p in calls if "Filters" in p]
    assert used == [session.referenced], "the images instances run, by id"
    assert "describe_instances" not in {op for op, _ in calls}  # not listed again
