"""What a vCenter holds, read with plain pyVmomi attribute access (one call per value, no
property collector, no container view): the independent truth the vSphere tests compare
the collected graph with.  Slow on a large inventory; meant for the demo's.

Nodes are ``label -> {uid: {property: value}}`` (a few properties each, as the graph
names them); relationships are ``(source, type, target) -> {(source uid, target uid)}``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from collectors.vsphere import tagging
from collectors.vsphere.config import VCenterConfig
from collectors.vsphere.session import VCenter
from dev.demo.vsphere import connect, vcenters_config

Key = tuple[str, str, str]


@dataclass
class Truth:
    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    links: dict[Key, set[tuple[str, str]]] = field(default_factory=dict)

    def node(self, label: str, uid: str, **props: Any) -> None:
        self.nodes.setdefault(label, {})[uid] = props

    def link(self, source: str, type_: str, target: str, pair: tuple[str, str]) -> None:
        self.links.setdefault((source, type_, target), set()).add(pair)


def _children(folder: Any) -> list[Any]:
    """The entities below a folder, through any nested folders."""
    out = []
    for child in folder.childEntity:
        out += _children(child) if isinstance(child, vim.Folder) else [child]
    return out


def read(port: int, name: str, host: str = "127.0.0.1") -> Truth:
    """Everything of the vCenter at ``host:port``, with uids under the vCenter ``name``."""
    t = Truth()

    def uid(obj: Any) -> str:
        return f"{name}:{obj._moId}"

    config = VCenterConfig.model_validate({**vcenters_config(port)[0], "host": host})
    with connect(port, host) as content, tagging.rest(config, VCenter(config).context()) as call:
        tags = Tags(call)
        t.node("VSphereVCenter", name, version=content.about.version)
        for dc in _children(content.rootFolder):
            d = uid(dc)
            t.node("VSphereDatacenter", d, name=dc.name)
            t.link("VSphereVCenter", "HAS_DATACENTER", "VSphereDatacenter", (name, d))
            for compute in _children(dc.hostFolder):
                _compute(t, uid, d, compute, tags)
            for ds in _children(dc.datastoreFolder):
                summary = ds.summary
                t.node(
                    "VSphereDatastore",
                    uid(ds),
                    name=ds.name,
                    capacity_bytes=summary.capacity,
                    free_bytes=summary.freeSpace,
                    tags=tags.of(ds),
                )
                t.link("VSphereDatacenter", "HAS_DATASTORE", "VSphereDatastore", (d, uid(ds)))
            for net in _children(dc.networkFolder):
                if not isinstance(net, vim.Network):
                    continue  # the distributed switches themselves
                kind = (
                    "distributed"
                    if isinstance(net, vim.dvs.DistributedVirtualPortgroup)
                    else "standard"
                )
                t.node("VSphereNetwork", uid(net), name=net.name, type=kind)
                t.link("VSphereDatacenter", "HAS_NETWORK", "VSphereNetwork", (d, uid(net)))
            vms = [vm for vm in _children(dc.vmFolder) if isinstance(vm, vim.VirtualMachine)]
            for vm in vms:
                _vm(t, uid, vm, tags)
            _disk_files(t, uid, _children(dc.datastoreFolder), vms)
    return t


def _disk_files(t: Truth, uid: Callable[[Any], str], datastores: list[Any], vms: list[Any]) -> None:
    """The disk descriptors (``.vmdk`` but their ``-flat`` extents) in each datastore's
    folder (vcsim keeps a datastore as a local folder: read with os.walk), and the VMs whose
    disks, their parents, or their snapshots' chains are in them."""
    by_name = {ds.name: ds for ds in datastores}
    users: dict[tuple[str, str], set[str]] = {}

    def use(vm: Any, ds: Any, file_name: str) -> None:
        relative = file_name.split("]", 1)[1].strip().lstrip("/")
        users.setdefault((uid(ds), relative), set()).add(uid(vm))

    for vm in vms:
        for device in vm.config.hardware.device:
            backing = device.backing if isinstance(device, vim.vm.device.VirtualDisk) else None
            while backing is not None:
                use(vm, backing.datastore, backing.fileName)
                backing = backing.parent
        layout = vm.layoutEx
        names = {f.key: f.name for f in layout.file}
        for snapshot in layout.snapshot:
            for disk in snapshot.disk:
                for key in (k for unit in disk.chain for k in unit.fileKey):
                    if names[key].endswith(".vmdk") and not names[key].endswith("-flat.vmdk"):
                        use(vm, by_name[names[key][1:].split("]")[0]], names[key])
    for ds in datastores:
        root = ds.summary.url
        for folder, _, files in os.walk(root):
            for name in files:
                if not name.endswith(".vmdk") or name.endswith("-flat.vmdk"):
                    continue
                relative = os.path.relpath(os.path.join(folder, name), root)
                f, vm_uids = f"{uid(ds)}:{relative}", sorted(users.get((uid(ds), relative), ()))
                t.node("VSphereDiskFile", f, path=f"[{ds.name}] {relative}", vm_uids=vm_uids)
                t.link("VSphereDatastore", "HAS_DISK_FILE", "VSphereDiskFile", (uid(ds), f))
                for v in vm_uids:
                    t.link("VSphereVM", "USES_DISK_FILE", "VSphereDiskFile", (v, f))


def _compute(t: Truth, uid: Callable[[Any], str], d: str, compute: Any, tags: Tags) -> None:
    """A cluster or standalone host, its hosts and its resource pools."""
    cluster = isinstance(compute, vim.ClusterComputeResource)
    if cluster:
        c = uid(compute)
        t.node("VSphereCluster", c, name=compute.name, num_hosts=len(compute.host))
        t.link("VSphereDatacenter", "HAS_CLUSTER", "VSphereCluster", (d, c))
    for h in compute.host:
        runtime = h.runtime
        t.node(
            "VSphereHost",
            uid(h),
            name=h.name,
            connection_state=str(runtime.connectionState),
            maintenance_mode=runtime.inMaintenanceMode,
            tags=tags.of(h),
        )
        source = ("VSphereCluster", uid(compute)) if cluster else ("VSphereDatacenter", d)
        t.link(source[0], "HAS_HOST", "VSphereHost", (source[1], uid(h)))
        for ds in h.datastore:
            t.link("VSphereHost", "MOUNTS", "VSphereDatastore", (uid(h), uid(ds)))
    pools = [compute.resourcePool]
    while pools:
        pool = pools.pop()
        pools += list(pool.resourcePool)
        allocation = pool.config
        t.node(
            "VSphereResourcePool",
            uid(pool),
            name=pool.name,
            cpu_limit_mhz=allocation.cpuAllocation.limit,
            memory_limit_mb=allocation.memoryAllocation.limit,
        )
        if cluster:
            pair = (uid(compute), uid(pool))
            t.link("VSphereCluster", "HAS_RESOURCE_POOL", "VSphereResourcePool", pair)
        for vm in pool.vm:
            t.link("VSphereResourcePool", "HAS_VM", "VSphereVM", (uid(pool), uid(vm)))


def _vm(t: Truth, uid: Callable[[Any], str], vm: Any, tags: Tags) -> None:
    """A VM, its links and its snapshots."""
    v, config = uid(vm), vm.config
    t.node(
        "VSphereVM",
        v,
        name=vm.name,
        power_state=str(vm.runtime.powerState),
        template=config.template,
        uuid=config.uuid,
        ip_address=vm.guest.ipAddress,
        num_cpu=config.hardware.numCPU,
        tags=tags.of(vm),
    )
    t.link("VSphereHost", "RUNS", "VSphereVM", (uid(vm.runtime.host), v))
    for ds in vm.datastore:
        t.link("VSphereVM", "USES_DATASTORE", "VSphereDatastore", (v, uid(ds)))
    for net in vm.network:
        t.link("VSphereVM", "CONNECTED_TO", "VSphereNetwork", (v, uid(net)))
    # pyVmomi cannot read an unset snapshot from vcsim (it fails to parse the empty answer),
    # so the list of root snapshots says first whether there is one.
    info = vm.snapshot if vm.rootSnapshot else None
    todo = [(tree, None) for tree in info.rootSnapshotList] if info else []
    while todo:
        tree, parent = todo.pop()
        s = uid(tree.snapshot)
        t.node(
            "VSphereSnapshot",
            s,
            name=tree.name,
            vm_uid=v,
            create_time=tree.createTime,
            parent_uid=parent,
            current=tree.snapshot == info.currentSnapshot,
        )
        t.link("VSphereVM", "HAS_SNAPSHOT", "VSphereSnapshot", (v, s))
        todo += [(child, s) for child in tree.childSnapshotList]


class Tags:
    """Each object's tags, asked of the vAPI tagging service object by object (the
    collectors ask once for every tag's objects), as sorted ``category=tag`` strings."""

    def __init__(self, call: tagging.Call) -> None:
        self.call = call
        self.names: dict[str, str] = {}  # tag id -> category=tag

    def of(self, obj: Any) -> list[str]:
        call = self.call
        body = {"object_id": {"type": obj._wsdlName, "id": obj._moId}}
        ids = call("POST", f"{tagging.ASSOCIATION}?~action=list-attached-tags", body) or []
        for tag_id in ids:
            if tag_id not in self.names:
                tag = call("GET", f"{tagging.TAG}/id:{tag_id}", None)
                category = call("GET", f"{tagging.CATEGORY}/id:{tag['category_id']}", None)
                self.names[tag_id] = f"{category['name']}={tag['name']}"
        return sorted(self.names[i] for i in ids)
