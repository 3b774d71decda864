"""Resource pools of one vCenter (vApps among them), with the cluster they divide and the
VMs they hold.

Every cluster and standalone host has a root pool ("Resources"); pools nest below it.
Each pool links from its cluster (its owner), whatever its depth; a standalone host's
pools have no cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from collectors.vsphere.common import OBJECT, SCOPE, properties
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.vsphere.session import VSphereSession

# The vSphere type of a pool, as the graph names it.
TYPES = {"ResourcePool": "pool", "VirtualApp": "vapp"}
COMPUTE = ("ComputeResource", "ClusterComputeResource")

KIND = Kind(
    provider="vsphere",
    name="resource-pools",
    label="VSphereResourcePool",
    scope=SCOPE,
    uid="uid",
    fields=(
        *OBJECT,
        Field("type", path=lambda r: TYPES.get(r["wsdl_type"], r["wsdl_type"]), filter=True),
        Field("cpu_limit_mhz", int, path="config.cpuAllocation.limit", doc="-1: no limit."),
        Field("cpu_reservation_mhz", int, path="config.cpuAllocation.reservation"),
        Field("memory_limit_mb", int, path="config.memoryAllocation.limit", doc="-1: no limit."),
        Field("memory_reservation_mb", int, path="config.memoryAllocation.reservation"),
        Field("overall_status", path="overallStatus", filter=True),
        Field("datacenter_uid", path="datacenter", filter=True),
        # Set by collect: the cluster that owns it, and the pool it is in (None: a root pool).
        Field("cluster_uid", path="cluster", filter=True),
        Field("parent_pool_uid", path="parent_pool", filter=True),
        Field("vm_uids", list, path="vm"),
    ),
    links=(
        Link(
            "HAS_RESOURCE_POOL",
            "VSphereCluster",
            "VSphereResourcePool",
            on=(("uid", "cluster_uid"),),
            forward="resource_pools",
            backward="cluster",
        ),
        Link(
            "HAS_VM",
            "VSphereResourcePool",
            "VSphereVM",
            on=(("vm_uids", "uid"),),
            in_list="source",
            forward="vms",
            backward="resource_pool",
            scoped="source",
        ),
    ),
    description="A resource pool (or a vApp) and the VMs it holds directly.",
    singular="resource-pool",
)

PATHS = properties(KIND, extra=("owner", "parent"), own=("cluster", "parent_pool"))


def collect(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
    for page in session.objects("ResourcePool", PATHS):
        for record in page:
            owner, parent = record["owner"], record["parent"]
            in_cluster = session.type_of(owner) == "ClusterComputeResource"
            record["cluster"] = owner if in_cluster else None
            record["parent_pool"] = None if session.type_of(parent) in COMPUTE else parent
            # A nested pool's parent is another pool, outside the session's tree.
            record["datacenter"] = session.datacenter(owner.split(":", 1)[1] if owner else None)
        yield page


COLLECTOR = Collector(KIND, collect)
