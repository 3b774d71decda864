"""Row mapping of EBS snapshots from a DescribeSnapshots answer recorded from moto, which
also holds snapshots of other accounts (those behind moto's public images).

It was recorded for ``OwnerIds=["self"]`` alone, which moto ignores; the collector now also
filters by owner, which moto honours.  The tests answer the request the collector makes
with that recording: a server sending others' snapshots whatever it is asked, whose
extras the collector still drops."""

from __future__ import annotations

from datetime import datetime

import pytest

from collectors.aws import snapshots
from model import RowError
from tests.unit.aws.fake import FakeSession, recording, rows

ACCOUNT, REGION = "123456789012", "us-east-1"
RECORDED = recording("ec2", "describe_snapshots")[0]
ASKED = {"OwnerIds": ["self"], "Filters": [{"Name": "owner-id", "Values": [ACCOUNT]}]}
ANSWER = {"params": ASKED, "response": RECORDED["response"]}


def _rows(answer: dict = ANSWER) -> dict[str, dict]:
    session = FakeSession(ACCOUNT, REGION, answers={"ec2.describe_snapshots": [answer]})
    return {r["uid"]: r for r in rows(snapshots.COLLECTOR, session)}


def test_only_the_accounts_own_snapshots_are_kept() -> None:
    listed = ANSWER["response"]["Snapshots"]
    own = {s["SnapshotId"] for s in listed if s["OwnerId"] == ACCOUNT}
    assert own and len(own) < len(listed)  # the recording holds others' too
    assert set(_rows()) == own


def test_a_snapshot_keeps_its_volume_id_size_time_and_tags() -> None:
    backup = next(r for r in _rows().values() if r["name"] == "main-prod-data-backup")
    listed = next(s for s in ANSWER["response"]["Snapshots"] if s["SnapshotId"] == backup["uid"])
    assert backup == {
        "uid": listed["SnapshotId"],
        "snapshot_id": listed["SnapshotId"],
        "volume_id": listed["VolumeId"],
        "volume_size_gib": listed["VolumeSize"],
        "state": "completed",
        "start_time": listed["StartTime"],
        "encrypted": False,
        "description": "nightly backup",
        "owner_id": ACCOUNT,
        "storage_tier": "standard",
        "name": "main-prod-data-backup",
        "tags": ["Name=main-prod-data-backup"],
    }
    assert isinstance(backup["start_time"], datetime) and backup["start_time"].tzinfo


def test_the_account_is_asked_for_its_own_snapshots_a_thousand_a_page() -> None:
    session = FakeSession(ACCOUNT, REGION, answers={"ec2.describe_snapshots": [ANSWER]})
    list(snapshots.COLLECTOR.collect(session))
    ec2 = session.clients["ec2"]
    # The owner asked twice over: AWS answers "self" alone; the filter, AWS's own too, keeps
    # a simulator that ignores OwnerIds from sending a thousand others' snapshots a region.
    assert ec2.calls == [("describe_snapshots", ASKED)]
    assert ec2.page_sizes == {"describe_snapshots": 1000}


def test_a_size_that_is_not_a_number_is_refused_with_the_snapshot_named() -> None:
    own = next(s for s in ANSWER["response"]["Snapshots"] if s["OwnerId"] == ACCOUNT)
    odd = {"params": ANSWER["params"], "response": {"Snapshots": [{**own, "VolumeSize": "8"}]}}
    with pytest.raises(RowError, match=rf"AWSSnapshot.volume_size_gib of {own['SnapshotId']}"):
        _rows(odd)


def test_a_snapshot_belongs_to_its_region_and_to_its_volume_while_it_exists() -> None:
    links = {(lk.source, lk.type, lk.target): lk for lk in snapshots.KIND.links}
    assert set(links) == {
        ("AWSRegion", "HAS_SNAPSHOT", "AWSSnapshot"),
        ("AWSVolume", "HAS_SNAPSHOT", "AWSSnapshot"),
    }
    assert links[("AWSVolume", "HAS_SNAPSHOT", "AWSSnapshot")].on == (("uid", "volume_id"),)
