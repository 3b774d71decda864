"""VMware vSphere through pyVmomi: one scope per configured vCenter.

This module and the kind modules it lists import no SDK; ``connect`` does.
"""

from __future__ import annotations

from collectors.base import Provider, Source
from collectors.vsphere import (
    clusters,
    datacenters,
    datastores,
    hosts,
    networks,
    vcenters,
    vms,
)
from collectors.vsphere.config import VSphereConfig
from collectors.vsphere.payload import VSpherePayload, scope_keys


def _connect(config: VSphereConfig) -> Source:
    from collectors.vsphere.source import VSphereSource

    return VSphereSource(config)


def _known(config: VSphereConfig) -> dict[str, set[str]]:
    return {"vcenter": {v.name for v in config.vcenters}}


PROVIDER = Provider(
    name="vsphere",
    collectors=(
        vcenters.COLLECTOR,
        datacenters.COLLECTOR,
        clusters.COLLECTOR,
        hosts.COLLECTOR,
        vms.COLLECTOR,
        datastores.COLLECTOR,
        networks.COLLECTOR,
    ),
    config=VSphereConfig,
    payload=VSpherePayload,
    scope_keys=scope_keys,
    known=_known,
    scope_label="VSphereVCenter",
    link_scope=("vcenter",),
    connect=_connect,
)
