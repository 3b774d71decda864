"""Row mapping of EBS volumes from a DescribeVolumes answer recorded from moto."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.aws import volumes
from model import RowError
from tests.unit.aws.fake import FakeSession, rows

TIME = {"$time": "2026-11-28T18:21:49+00:00"}
INSTANCE = "i-5d625ac0c251d1fb7"


def _attached(volume: str, device: str) -> list[dict]:
    return [
        {"VolumeId": volume, "InstanceId": INSTANCE, "Device": device, "State": "attached"}
        | {"AttachTime": TIME}
    ]


ANSWER = {
    "Volumes": [
        {
            "Iops": 3000,
            "Tags": [{"Key": "Name", "Value": "main-prod-data"}],
            "VolumeType": "gp3",
            "VolumeId": "vol-feedd1b3ddd998483",
            "Size": 20,
            "AvailabilityZone": "us-east-1a",
            "State": "in-use",
            "CreateTime": TIME,
            "Attachments": _attached("vol-feedd1b3ddd998483", "/dev/sdf"),
            "Encrypted": False,
        },
        {
            "Tags": [{"Key": "Name", "Value": "main-orphaned-data"}],
            "VolumeType": "gp2",
            "VolumeId": "vol-86028151a35551f15",
            "Size": 50,
            "AvailabilityZone": "us-east-1a",
            "State": "available",
            "CreateTime": TIME,
            "Attachments": [],
            "Encrypted": False,
        },
        {
            "VolumeType": "gp2",
            "VolumeId": "vol-3ca4ea57658a2d982",
            "Size": 8,
            "AvailabilityZone": "us-east-1a",
            "State": "in-use",
            "CreateTime": TIME,
            "Attachments": _attached("vol-3ca4ea57658a2d982", "/dev/sda1"),
            "Encrypted": False,
        },
    ]
}


def _rows(answer: dict) -> dict[str, dict]:
    session = FakeSession(
        "123456789012",
        "us-east-1",
        answers={"ec2.describe_volumes": [{"params": {}, "response": answer}]},
    )
    return {r["uid"]: r for r in rows(volumes.COLLECTOR, session)}


def test_volumes_keep_size_type_state_and_the_instances_they_are_attached_to() -> None:
    got = _rows(ANSWER)
    data = got["vol-feedd1b3ddd998483"]
    assert data == {
        "uid": "vol-feedd1b3ddd998483",
        "volume_id": "vol-feedd1b3ddd998483",
        "size_gib": 20,
        "volume_type": "gp3",
        "state": "in-use",
        "iops": 3000,
        "encrypted": False,
        "create_time": datetime(2026, 11, 28, 18, 21, 49, tzinfo=UTC),
        "availability_zone": "us-east-1a",
        "snapshot_id": None,
        "instance_ids": [INSTANCE],
        "name": "main-prod-data",
        "tags": ["Name=main-prod-data"],
    }
    orphan = got["vol-86028151a35551f15"]
    assert (orphan["state"], orphan["instance_ids"], orphan["iops"]) == ("available", [], None)
    root = got["vol-3ca4ea57658a2d982"]
    assert (root["name"], root["tags"], root["instance_ids"]) == (None, [], [INSTANCE])


def test_a_size_that_is_not_a_number_is_refused_with_the_volume_named() -> None:
    odd = {"Volumes": [{**ANSWER["Volumes"][1], "Size": "50"}]}
    with pytest.raises(RowError, match=r"AWSVolume.size_gib of vol-86028151a35551f15"):
        _rows(odd)


def test_the_instance_volume_link_matches_an_instance_in_the_volume_list() -> None:
    (link,) = volumes.KIND.links
    assert (link.source, link.type, link.target) == ("AWSInstance", "HAS_VOLUME", "AWSVolume")
    assert link.in_list == "target" and link.scoped == "target"
