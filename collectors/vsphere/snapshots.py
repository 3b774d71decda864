"""VM snapshots of one vCenter: every VM's snapshot tree, each snapshot one node.

The trees come with the VMs' listing (their ``snapshot`` property, empty for most VMs);
the sizes from the file layout (``layoutEx``) of the VMs that have snapshots, read in one
detail call per page: if it fails, the sizes stay as they were and the task warns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from collectors.vsphere.common import SCOPE
from model import UNKNOWN, Field, Kind, Link

if TYPE_CHECKING:
    from collectors.vsphere.session import VSphereSession

KIND = Kind(
    provider="vsphere",
    name="snapshots",
    label="VSphereSnapshot",
    scope=SCOPE,
    uid="uid",
    fields=(
        Field("moref", path="moref", filter=True),
        Field("name", path="name", filter=True),
        Field("description", path="description"),
        Field("vm_uid", path="vm", filter=True, doc="The uid of the VM it is a snapshot of."),
        Field("create_time", datetime, path="createTime"),
        Field(
            "size_bytes",
            int,
            path="size",
            doc="What its own files take on the datastores: its state (.vmsn) and memory "
            "files and the delta disks it holds, as the VM's file layout (layoutEx) says.",
        ),
        Field("power_state", path="state", filter=True, doc="The VM's, when it was taken."),
        Field("quiesced", bool, path="quiesced"),
        Field("current", bool, path="current", doc="Whether the VM runs from it now."),
        Field("parent_uid", path="parent", doc="The snapshot it was taken after, if any."),
        Field("datacenter_uid", path="datacenter", filter=True),
    ),
    links=(
        Link(
            "HAS_SNAPSHOT",
            "VSphereVM",
            "VSphereSnapshot",
            on=(("uid", "vm_uid"),),
            forward="snapshots",
            backward="vm",
        ),
    ),
    description="A VM snapshot: kept for months, it fills its datastore and slows the VM.",
)

LAYOUT = "layoutEx"
DISK_FILES = ("diskDescriptor", "diskExtent")


def _disk_files(disks: list[dict[str, Any]] | None) -> list[int]:
    return [key for d in disks or () for unit in d.get("chain") or () for key in unit["fileKey"]]


def snapshot_size(
    uid: str, parent: str | None, layout: dict[str, Any], current: bool
) -> int | None:
    """The bytes snapshot ``uid`` holds, from its VM's ``layoutEx``, counted as govc's
    ``snapshot.tree -s`` counts them, with the memory file too: its state and memory files
    and the disk files of its chain that its parent's chain lacks (a first snapshot: its
    state and memory files only); the current snapshot also holds the running delta disks
    no snapshot's chain has.  None if the layout does not list the snapshot."""
    own: list[int] | None = None
    parent_files: set[int] = set()
    in_snapshots: set[int] = set()
    for snap in layout.get("snapshot") or ():
        files = _disk_files(snap.get("disk"))
        in_snapshots.update(files)
        if snap["key"] == uid:
            own = [k for k in (snap["dataKey"], snap.get("memoryKey", -1)) if k >= 0] + files
        elif parent is not None and snap["key"] == parent:
            parent_files.update(files)
    if own is None:
        return None
    by_key = {f["key"]: f for f in layout.get("file") or ()}
    size = 0
    for key in dict.fromkeys(k for k in own if k not in parent_files):
        file = by_key.get(key, {})
        if parent is not None or file.get("type") not in DISK_FILES:
            size += file.get("size") or 0
    if current:
        running = [k for k in _disk_files(layout.get("disk")) if k not in in_snapshots]
        size += sum(by_key.get(k, {}).get("size") or 0 for k in running)
    return size


def snapshots_of(vm: dict[str, Any], layout: Any) -> list[dict[str, Any]]:
    """The records of every snapshot in ``vm``'s tree, parents first; ``layout`` is the
    VM's ``layoutEx`` (a dict), None, or UNKNOWN where reading it failed."""
    info = vm.get("snapshot") or {}
    current = info.get("currentSnapshot")
    out = []
    todo = [(tree, None) for tree in info.get("rootSnapshotList") or ()]
    while todo:
        tree, parent = todo.pop(0)
        uid = tree["snapshot"]
        size: Any = None if layout is None else UNKNOWN
        if isinstance(layout, dict):
            size = snapshot_size(uid, parent, layout, uid == current)
        out.append(
            {
                **{k: tree.get(k) for k in ("name", "description", "vm", "createTime", "state")},
                "quiesced": tree.get("quiesced"),
                "uid": uid,
                "moref": uid.split(":", 1)[1],
                "current": uid == current,
                "parent": parent,
                "size": size,
                "datacenter": vm["datacenter"],
            }
        )
        todo += [(child, uid) for child in tree.get("childSnapshotList") or ()]
    return out


def collect(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
    for page in session.objects("VirtualMachine", ["snapshot"]):
        with_snapshots = [vm for vm in page if vm["snapshot"]]
        if not with_snapshots:
            continue
        uids = [vm["uid"] for vm in with_snapshots]
        layouts = session.attempt(
            f"file layout of {len(uids)} VM(s) with snapshots",
            lambda uids=uids: session.details("VirtualMachine", uids, [LAYOUT]),
        )
        yield [
            record
            for vm in with_snapshots
            for record in snapshots_of(
                vm, UNKNOWN if layouts is UNKNOWN else layouts.get(vm["uid"], {}).get(LAYOUT)
            )
        ]


COLLECTOR = Collector(KIND, collect)
