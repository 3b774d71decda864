"""Datacenters of one vCenter."""

from __future__ import annotations

from collectors.vsphere.common import OBJECT, SCOPE, objects
from model import Kind, Link

KIND = Kind(
    provider="vsphere",
    name="datacenters",
    label="VSphereDatacenter",
    scope=SCOPE,
    uid="uid",
    fields=OBJECT,
    links=(
        Link(
            "HAS_DATACENTER",
            "VSphereVCenter",
            "VSphereDatacenter",
            on=(("uid", "vcenter"),),
            forward="datacenters",
            backward="vsphere_vcenter",
            forward_many=True,
        ),
    ),
    description="A datacenter of a vCenter.",
)

COLLECTOR = objects(KIND, "Datacenter")
