"""Clusters of one vCenter, with their datacenter."""

from __future__ import annotations

from collectors.vsphere.common import OBJECT, SCOPE, objects
from model import Field, Kind, Link

KIND = Kind(
    provider="vsphere",
    name="clusters",
    label="VSphereCluster",
    scope=SCOPE,
    uid="uid",
    fields=(
        *OBJECT,
        Field("num_hosts", int, path="summary.numHosts"),
        Field("total_cpu_mhz", int, path="summary.totalCpu"),
        Field("total_memory_bytes", int, path="summary.totalMemory"),
        Field("datacenter_uid", path="datacenter", filter=True),
    ),
    links=(
        Link(
            "HAS_CLUSTER",
            "VSphereDatacenter",
            "VSphereCluster",
            on=(("uid", "datacenter_uid"),),
            forward="clusters",
            backward="datacenter",
        ),
    ),
    description="A cluster of hosts.",
)

COLLECTOR = objects(KIND, "ClusterComputeResource")
