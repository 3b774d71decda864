"""Virtual disk files from datastore searches and VM disks recorded from vcsim (the demo's:
a disk detached and left behind, another detached and taken by the next VM), paths as
vcsim and vCenter write them, snapshot chains, and searches that cannot be made."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.vsphere import disk_files
from tests.unit.vsphere.fake import NAME, FakeVSphereSession, rows

VM2, VM3 = f"{NAME}:vm-162", f"{NAME}:vm-165"  # DC0_H0_VM2 and DC0_H0_VM3


def by_path() -> dict[str, dict[str, Any]]:
    return {r["path"]: r for r in rows(disk_files.COLLECTOR, FakeVSphereSession())}


def test_each_disk_is_a_row_with_the_vms_that_use_it() -> None:
    got = by_path()
    left = got["[LocalDS_0] DC0_H0_VM2/old-data.vmdk"]
    assert left["vm_uids"] == []  # detached and left: what orphaned-virtual-disks finds
    assert got["[LocalDS_0] DC0_H0_VM2/moved.vmdk"]["vm_uids"] == [VM3]  # in VM3's use
    assert got["[LocalDS_0] DC0_H0_VM2/disk1.vmdk"]["vm_uids"] == [VM2]
    assert left["uid"] == f"{NAME}:datastore-147:DC0_H0_VM2/old-data.vmdk"
    assert (left["name"], left["folder"]) == ("old-data.vmdk", "DC0_H0_VM2")
    assert left["datastore_uid"] == f"{NAME}:datastore-147"
    assert left["datacenter_uid"] == f"{NAME}:datacenter-1"
    assert left["modified"].utcoffset().total_seconds() == 0
    # Descriptors only: no extent is a disk of its own.
    assert not [p for p in got if p.endswith("-flat.vmdk")]
    # Two datacenters with a datastore of the same name stay apart.
    assert {r["datastore_uid"] for r in got.values() if r["path"].startswith("[LocalDS_0]")} == {
        f"{NAME}:datastore-147",
        f"{NAME}:datastore-151",
    }


def test_vcsim_gives_no_file_size_and_the_row_says_so() -> None:
    # vcsim answers a search with modification times but no fileSize or capacityKb.
    assert {(r["size_bytes"], r["capacity_kb"]) for r in by_path().values()} == {(None, None)}


@pytest.mark.parametrize(
    ("path", "split"),
    [
        ("[LocalDS_0]/DC0_H0_VM2", ("LocalDS_0", "DC0_H0_VM2")),  # vcsim's folders
        ("[LocalDS_0] DC0_H0_VM2/", ("LocalDS_0", "DC0_H0_VM2")),  # vCenter's
        ("[san 1] a/b.vmdk", ("san 1", "a/b.vmdk")),
        ("[LocalDS_0]", ("LocalDS_0", "")),
    ],
)
def test_datastore_paths_split_however_the_slashes_fall(path: str, split: tuple) -> None:
    assert disk_files.split(path) == split


def test_a_snapshot_chain_keeps_its_disks_in_use() -> None:
    stores = {("dc", "ds1"): "vc:datastore-1"}
    vm = {
        "uid": "vc:vm-1",
        "datacenter": "dc",
        "config.hardware.device": [
            {"backing": {"fileName": "[ds1] vm/vm-000002.vmdk", "datastore": "vc:datastore-1",
                         "parent": {"fileName": "[ds1] vm/vm.vmdk", "datastore": None}}},
            {"backing": {"fileName": "[ds1] iso/tools.iso"}},
        ],
        "layoutEx.file": [
            {"key": 1, "name": "[ds1] vm/vm-000001.vmdk"},
            {"key": 2, "name": "[ds1] vm/vm-000001-delta.vmdk"},
        ],
        "layoutEx.snapshot": [{"disk": [{"chain": [{"fileKey": [1, 2]}]}]}],
    }  # fmt: skip
    assert disk_files.used_files(vm, stores) == {
        ("vc:datastore-1", "vm/vm-000002.vmdk"),  # its disk
        ("vc:datastore-1", "vm/vm.vmdk"),  # that disk's parent
        ("vc:datastore-1", "vm/vm-000001.vmdk"),  # a snapshot's (not its extent, nor the ISO)
    }


class OneInaccessible(FakeVSphereSession):
    def objects(self, vim_type: str, paths: list[str]) -> Any:
        for page in super().objects(vim_type, paths):
            for r in page:
                if r["uid"] == f"{NAME}:datastore-151":
                    r["summary.accessible"] = False
            yield page


def test_an_inaccessible_datastore_is_not_searched_and_the_task_warns() -> None:
    session = OneInaccessible()
    got = rows(disk_files.COLLECTOR, session)
    assert got and f"{NAME}:datastore-151" not in {r["datastore_uid"] for r in got}
    assert len(session.warnings) == 1 and "not accessible" in session.warnings[0]


class SearchFails(FakeVSphereSession):
    def disk_files(self, browser_uid: str, datastore: str) -> list[dict[str, Any]]:
        raise RuntimeError("FileNotFound")


def test_a_failing_search_fails_the_collection_so_nothing_is_taken_for_gone() -> None:
    with pytest.raises(RuntimeError, match="FileNotFound"):
        rows(disk_files.COLLECTOR, SearchFails())
