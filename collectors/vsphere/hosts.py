"""ESXi hosts of one vCenter: in a cluster, or standalone in a datacenter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from collectors.vsphere.common import OBJECT, SCOPE, TAGS, properties, with_tags
from model import Field, Kind, Link

if TYPE_CHECKING:
    from collectors.vsphere.session import VSphereSession

KIND = Kind(
    provider="vsphere",
    name="hosts",
    label="VSphereHost",
    scope=SCOPE,
    uid="uid",
    fields=(
        *OBJECT,
        Field("connection_state", path="runtime.connectionState", filter=True),
        Field("power_state", path="runtime.powerState", filter=True),
        Field("maintenance_mode", bool, path="runtime.inMaintenanceMode", filter=True),
        Field("num_cpu_cores", int, path="summary.hardware.numCpuCores"),
        Field("memory_bytes", int, path="summary.hardware.memorySize"),
        Field("datacenter_uid", path="datacenter", filter=True),
        # Set by collect: the cluster it is in, or for a standalone host its datacenter.
        Field("cluster_uid", path="cluster", filter=True),
        Field("standalone_datacenter_uid", path="standalone_in"),
        # Hosts list the datastores they mount (a datastore's own host list may be partial).
        Field("datastore_uids", list, path="datastore"),
        TAGS,
    ),
    links=(
        Link(
            "HAS_HOST",
            "VSphereCluster",
            "VSphereHost",
            on=(("uid", "cluster_uid"),),
            forward="hosts",
            backward="cluster",
        ),
        Link(
            "HAS_HOST",
            "VSphereDatacenter",
            "VSphereHost",
            on=(("uid", "standalone_datacenter_uid"),),
            forward="standalone_hosts",
            backward="standalone_datacenter",
        ),
        Link(
            "MOUNTS",
            "VSphereHost",
            "VSphereDatastore",
            on=(("datastore_uids", "uid"),),
            in_list="source",
            forward="datastores",
            backward="hosts",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="An ESXi host.",
)

PATHS = properties(KIND, extra=("parent",), own=("cluster", "standalone_in"))


def _placed(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
    for page in session.objects("HostSystem", PATHS):
        for record in page:
            in_cluster = session.type_of(record["parent"]) == "ClusterComputeResource"
            record["cluster"] = record["parent"] if in_cluster else None
            record["standalone_in"] = None if in_cluster else record["datacenter"]
        yield page


def collect(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
    yield from with_tags(session, _placed(session))


COLLECTOR = Collector(KIND, collect)
