"""Networks of one vCenter: standard port groups, distributed port groups and opaque
(NSX) networks, with their datacenter."""

from __future__ import annotations

from collectors.vsphere.common import OBJECT, SCOPE, objects
from model import Field, Kind, Link

# The vSphere type of a network, as the graph names it.
TYPES = {
    "Network": "standard",
    "DistributedVirtualPortgroup": "distributed",
    "OpaqueNetwork": "opaque",
}

KIND = Kind(
    provider="vsphere",
    name="networks",
    label="VSphereNetwork",
    scope=SCOPE,
    uid="uid",
    fields=(
        *OBJECT,
        Field("type", path=lambda r: TYPES.get(r["wsdl_type"], r["wsdl_type"]), filter=True),
        Field("datacenter_uid", path="datacenter", filter=True),
    ),
    links=(
        Link(
            "HAS_NETWORK",
            "VSphereDatacenter",
            "VSphereNetwork",
            on=(("uid", "datacenter_uid"),),
            forward="networks",
            backward="datacenter",
        ),
    ),
    description="A network: a standard, distributed (dvPortgroup) or opaque one.",
)

# Network covers its subtypes, distributed and opaque networks among them.
COLLECTOR = objects(KIND, "Network")
