"""Virtual disk files (.vmdk) on the datastores of one vCenter, with the VMs that use them.

Each accessible datastore is searched with its browser (one vCenter task each); a disk
file is its descriptor (``name.vmdk``), its extents (``-flat``, ``-delta``, ...) being
part of it.  A VM or template uses a file when one of its disks is backed by it, or by
a chain through it, or when a snapshot's disk chain holds it (the VM's file layout).  Only
the VMs of this vCenter are known: a VM of another vCenter sharing the datastore is not.

A search that fails fails the task, so that no file is taken for gone; a datastore that
is not accessible cannot be searched: its files are not listed, and the task warns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from collectors.vsphere.common import SCOPE
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.vsphere.session import VSphereSession

KIND = Kind(
    provider="vsphere",
    name="disk-files",
    label="VSphereDiskFile",
    scope=SCOPE,
    uid="uid",
    fields=(
        Field("path", path="path", filter=True, doc="[datastore] folder/name.vmdk"),
        Field("name", path="name", filter=True),
        Field("folder", path="folder", filter=True),
        Field("datastore_uid", path="datastore", filter=True),
        Field("datacenter_uid", path="datacenter", filter=True),
        Field("size_bytes", int, path="fileSize"),
        Field("capacity_kb", int, path="capacityKb"),
        Field("thin", bool, path="thin"),
        Field("modified", datetime, path="modification"),
        Field(
            "vm_uids",
            list,
            path="vms",
            doc="The VMs and templates of the vCenter that use it, as a disk or in a "
            "snapshot's chain.",
        ),
    ),
    links=(
        Link(
            "HAS_DISK_FILE",
            "VSphereDatastore",
            "VSphereDiskFile",
            on=(("uid", "datastore_uid"),),
            forward="disk_files",
            backward="datastore",
        ),
        Link(
            "USES_DISK_FILE",
            "VSphereVM",
            "VSphereDiskFile",
            on=(("uid", "vm_uids"),),
            in_list="target",
            forward="disk_files",
            backward="vms",
            backward_many=True,
        ),
    ),
    description="A virtual disk file (.vmdk) on a datastore; one no VM uses is a leak.",
)

DATASTORE_PATH = re.compile(r"^\[(?P<datastore>[^\]]*)\]\s*(?P<path>.*)$")
# The extents of a disk: data files of its descriptor, not disks of their own.
EXTENT = re.compile(r"-(flat|delta|ctk|sesparse|rdm|rdmp|s\d{3})\.vmdk$")
VM_PATHS = ["config.hardware.device", "layoutEx.file", "layoutEx.snapshot"]

Key = tuple[str, str]  # (datastore uid, path in it)


def split(path: str) -> tuple[str, str]:
    """``[datastore] folder/file`` as (datastore name, folder/file), however the slashes
    fall (vcsim writes a folder ``[ds]/folder``, vCenter ``[ds] folder/``)."""
    found = DATASTORE_PATH.match(path)
    if found is None:
        return "", path
    return found["datastore"], "/".join(p for p in found["path"].split("/") if p)


def _backings(devices: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The file backings of the VM's disks, each with its chain of parents."""
    for device in devices:
        backing = (device or {}).get("backing") or {}
        while str(backing.get("fileName") or "").endswith(".vmdk"):
            yield backing
            backing = backing.get("parent") or {}


def used_files(vm: dict[str, Any], datastores: dict[tuple[str | None, str], str]) -> set[Key]:
    """The disk files the VM uses: its disks' chains and its snapshots' chains.
    ``datastores`` is (datacenter uid, datastore name) -> datastore uid."""
    out: set[Key] = set()
    for backing in _backings(vm.get("config.hardware.device") or ()):
        name, path = split(backing["fileName"])
        uid = backing.get("datastore") or datastores.get((vm["datacenter"], name))
        if uid:
            out.add((uid, path))
    files = {f["key"]: f["name"] for f in vm.get("layoutEx.file") or ()}
    for snapshot in vm.get("layoutEx.snapshot") or ():
        for disk in snapshot.get("disk") or ():
            for unit in disk.get("chain") or ():
                for key in unit.get("fileKey") or ():
                    name, path = split(files.get(key, ""))
                    uid = datastores.get((vm["datacenter"], name))
                    if uid and path.endswith(".vmdk") and not EXTENT.search(path):
                        out.add((uid, path))
    return out


def _users(session: VSphereSession, datastores: dict[tuple[str | None, str], str]) -> Any:
    users: dict[Key, set[str]] = defaultdict(set)
    for page in session.objects("VirtualMachine", VM_PATHS):
        for vm in page:
            for key in used_files(vm, datastores):
                users[key].add(vm["uid"])
    return users


def disk_records(
    store: dict[str, Any], results: list[dict[str, Any]], users: dict[Key, set[str]]
) -> list[dict[str, Any]]:
    """The records of the disk files a datastore search found."""
    out = []
    for result in results:
        _, folder = split(result.get("folderPath") or "")
        for file in result.get("file") or ():
            path = "/".join(p for p in (folder, file["path"]) if p)
            if EXTENT.search(path):
                continue
            out.append(
                {
                    **{k: file.get(k) for k in ("fileSize", "capacityKb", "thin", "modification")},
                    "uid": f"{store['uid']}:{path}",
                    "path": f"[{store['name']}] {path}",
                    "name": path.rsplit("/", 1)[-1],
                    "folder": folder,
                    "datastore": store["uid"],
                    "datacenter": store["datacenter"],
                    "vms": sorted(users.get((store["uid"], path), ())),
                }
            )
    return out


def collect(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
    paths = ["browser", "name", "summary.accessible"]
    stores = [r for page in session.objects("Datastore", paths) for r in page]
    users = _users(session, {(r["datacenter"], r["name"]): r["uid"] for r in stores})
    for store in stores:
        if not store["summary.accessible"]:
            session.warnings.append(
                f"datastore {store['name']} ({store['uid']}) is not accessible: "
                "its disk files could not be listed"
            )
            continue
        yield disk_records(store, session.disk_files(store["browser"], store["name"]), users)


COLLECTOR = Collector(KIND, collect)
