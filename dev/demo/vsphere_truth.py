"""What a vCenter holds, read with plain pyVmomi attribute access (one call per value, no
property collector, no container view): the independent truth the vSphere tests compare
the collected graph with.  Slow on a large inventory; meant for the demo's.

Nodes are ``label -> {uid: {property: value}}`` (a few properties each, as the graph
names them); relationships are ``(source, type, target) -> {(source uid, target uid)}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from dev.demo.vsphere import connect

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

    with connect(port, host) as content:
        t.node("VSphereVCenter", name, version=content.about.version)
        for dc in _children(content.rootFolder):
            d = uid(dc)
            t.node("VSphereDatacenter", d, name=dc.name)
            t.link("VSphereVCenter", "HAS_DATACENTER", "VSphereDatacenter", (name, d))
            for compute in _children(dc.hostFolder):
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
                    )
                    source = (
                        ("VSphereCluster", uid(compute)) if cluster else ("VSphereDatacenter", d)
                    )
                    t.link(source[0], "HAS_HOST", "VSphereHost", (source[1], uid(h)))
                    for ds in h.datastore:
                        t.link("VSphereHost", "MOUNTS", "VSphereDatastore", (uid(h), uid(ds)))
            for ds in _children(dc.datastoreFolder):
                summary = ds.summary
                t.node(
                    "VSphereDatastore",
                    uid(ds),
                    name=ds.name,
                    capacity_bytes=summary.capacity,
                    free_bytes=summary.freeSpace,
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
            for vm in _children(dc.vmFolder):
                if not isinstance(vm, vim.VirtualMachine):
                    continue
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
                )
                t.link("VSphereHost", "RUNS", "VSphereVM", (uid(vm.runtime.host), v))
                for ds in vm.datastore:
                    t.link("VSphereVM", "USES_DATASTORE", "VSphereDatastore", (v, uid(ds)))
                for net in vm.network:
                    t.link("VSphereVM", "CONNECTED_TO", "VSphereNetwork", (v, uid(net)))
    return t
