"""VM snapshots from VM snapshot trees and file layouts recorded from vcsim (the demo's: a
VM with a snapshot and a later one after it, another VM with one), and their sizes as
govc counts them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from collectors.vsphere import snapshots
from tests.unit.vsphere.fake import NAME, RECORDED, FakeVSphereSession, rows


def trees() -> dict[str, dict[str, Any]]:
    """The recorded VMs with snapshots, by uid."""
    records = json.loads((RECORDED / "VirtualMachine.json").read_text())["records"]
    return {r["uid"]: r["snapshot"] for r in records if r["snapshot"]}


def test_every_snapshot_of_a_tree_is_a_row_with_its_vm_parent_time_and_whether_current() -> None:
    session = FakeVSphereSession()
    got = {r["name"]: r for r in rows(snapshots.COLLECTOR, session)}
    assert set(got) == {"before-upgrade", "after-upgrade", "nightly"}
    first, second, other = got["before-upgrade"], got["after-upgrade"], got["nightly"]
    assert first["vm_uid"] == second["vm_uid"] != other["vm_uid"]
    assert second["parent_uid"] == first["uid"] and first["parent_uid"] is None
    assert (first["current"], second["current"], other["current"]) == (False, True, True)
    for row in got.values():
        assert row["uid"] == f"{NAME}:{row['moref']}" and row["moref"].startswith("snapshot-")
        assert row["power_state"] == "poweredOn" and row["quiesced"] is False
        assert row["datacenter_uid"] == f"{NAME}:datacenter-1"
    # The times as the trees give them, kept as datetimes in UTC.
    tree = trees()[first["vm_uid"]]["rootSnapshotList"][0]
    assert first["create_time"] == datetime.fromisoformat(tree["createTime"])
    assert first["create_time"].utcoffset().total_seconds() == 0
    # The listing asks for the trees only; the layouts of the VMs that have snapshots after.
    assert session.asked["VirtualMachine"] == ["snapshot"]
    assert session.asked["VirtualMachine.details"] == ["layoutEx"]


def test_sizes_come_from_the_layout_and_vcsim_writes_empty_snapshot_files() -> None:
    got = rows(snapshots.COLLECTOR, FakeVSphereSession())
    # vcsim's .vmsn files are empty and it makes no delta disks: 0 bytes, known.
    assert [r["size_bytes"] for r in got] == [0, 0, 0]


class LayoutDenied(FakeVSphereSession):
    def details(self, vim_type: str, uids: list[str], paths: list[str]) -> dict[str, Any]:
        raise RuntimeError("no read of layoutEx")  # not transient: no retry


def test_a_failing_layout_call_leaves_sizes_as_they_were_with_a_warning() -> None:
    session = LayoutDenied()
    got = rows(snapshots.COLLECTOR, session)
    assert len(got) == 3 and all("size_bytes" not in r for r in got)
    assert len(session.warnings) == 1 and "no read of layoutEx" in session.warnings[0]


def _file(key: int, kind: str, size: int) -> dict[str, Any]:
    return {"key": key, "type": kind, "size": size, "name": f"f{key}"}


def _disk(*chain: list[int]) -> list[dict[str, Any]]:
    return [{"key": 2000, "chain": [{"fileKey": keys} for keys in chain]}]


# A VM as a vCenter lays it out: a base disk, a first snapshot (with memory), a delta disk
# frozen by a second snapshot, and the running delta after that.
GIB = 2**30
LAYOUT = {
    "file": [
        _file(0, "diskDescriptor", 500),
        _file(1, "diskExtent", 10 * GIB),
        _file(2, "snapshotData", 30_000),
        _file(3, "snapshotMemory", 4 * GIB),
        _file(4, "diskDescriptor", 400),
        _file(5, "diskExtent", 2 * GIB),
        _file(6, "snapshotData", 31_000),
        _file(7, "diskDescriptor", 410),
        _file(8, "diskExtent", 1 * GIB),
    ],
    "disk": _disk([0, 1], [4, 5], [7, 8]),
    "snapshot": [
        {"key": "vc:snapshot-1", "dataKey": 2, "memoryKey": 3, "disk": _disk([0, 1])},
        {"key": "vc:snapshot-2", "dataKey": 6, "memoryKey": -1, "disk": _disk([0, 1], [4, 5])},
    ],
}


def test_a_snapshot_holds_its_files_and_the_deltas_its_parent_lacks_as_govc_counts() -> None:
    size = snapshots.snapshot_size
    # The first: its state and memory, not the base disk.
    assert size("vc:snapshot-1", None, LAYOUT, current=False) == 30_000 + 4 * GIB
    # The second: its state and the delta its chain adds; being current, the running delta.
    assert size("vc:snapshot-2", "vc:snapshot-1", LAYOUT, current=True) == (
        31_000 + 400 + 2 * GIB + 410 + 1 * GIB
    )
    assert size("vc:snapshot-2", "vc:snapshot-1", LAYOUT, current=False) == 31_000 + 400 + 2 * GIB
    assert size("vc:snapshot-9", None, LAYOUT, current=False) is None  # not in the layout


def test_a_snapshot_row_has_no_size_when_its_vm_has_no_layout() -> None:
    vm = {"uid": "vc:vm-1", "datacenter": None, "snapshot": trees()[f"{NAME}:vm-159"]}
    (record,) = snapshots.snapshots_of(vm, None)
    assert record["size"] is None and record["name"] == "nightly"
