"""VMware vSphere through pyVmomi: one scope per configured vCenter.

This module and the kind modules it lists import no SDK; ``collectors.vsphere.source``
does.
"""

from __future__ import annotations

from collectors.base import Provider, collectors_of
from collectors.vsphere.config import VSphereConfig
from collectors.vsphere.payload import VSpherePayload, scope_keys

PROVIDER = Provider(
    name="vsphere",
    collectors=collectors_of(
        __name__,
        "vcenters",
        "datacenters",
        "clusters",
        "hosts",
        "vms",
        "datastores",
        "networks",
        "resource_pools",
        "snapshots",
        "disk_files",
    ),
    config=VSphereConfig,
    payload=VSpherePayload,
    scope_keys=scope_keys,
    named=("vcenter", "vcenters"),
    link_scope=("vcenter",),
    source="collectors.vsphere.source:VSphereSource",
)
