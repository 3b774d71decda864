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
        Field("type", source="summary.type", filter=True),
        Field("capacity_bytes", int, source="summary.capacity"),
        # Moves with every write to the datastore: no change worth recording.
        Field("free_bytes", int, source="summary.freeSpace", tracked=False),
        Field("accessible", bool, source="summary.accessible", filter=True),
        Field("url", source="summary.url"),
        Field("datacenter_uid", source="datacenter", filter=True),
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
