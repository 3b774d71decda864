"""Datastores of one vCenter, with their datacenter."""

from __future__ import annotations

from collectors.vsphere.common import OBJECT, SCOPE, TAGS, objects
from model import Field, Kind, Link

KIND = Kind(
    provider="vsphere",
    name="datastores",
    label="VSphereDatastore",
    scope=SCOPE,
    uid="uid",
    fields=(
        *OBJECT,
        Field("type", path="summary.type", filter=True),
        Field("capacity_bytes", int, path="summary.capacity"),
        # Moves with every write to the datastore: no change worth recording.
        Field("free_bytes", int, path="summary.freeSpace", tracked=False),
        Field("accessible", bool, path="summary.accessible", filter=True),
        Field("url", path="summary.url"),
        Field("datacenter_uid", path="datacenter", filter=True),
        TAGS,
    ),
    links=(
        Link(
            "HAS_DATASTORE",
            "VSphereDatacenter",
            "VSphereDatastore",
            on=(("uid", "datacenter_uid"),),
            forward="datastores",
            backward="datacenter",
        ),
    ),
    description="A datastore.",
)

COLLECTOR = objects(KIND, "Datastore")
