"""Virtual machines and templates of one vCenter."""

from __future__ import annotations

from collectors.vsphere.common import OBJECT, SCOPE, TAGS, objects
from model import Field, Kind, Link

KIND = Kind(
    provider="vsphere",
    name="vms",
    label="VSphereVM",
    scope=SCOPE,
    uid="uid",
    fields=(
        *OBJECT,
        Field("uuid", source="config.uuid", filter=True),
        Field("instance_uuid", source="config.instanceUuid", filter=True),
        Field("power_state", source="runtime.powerState", filter=True),
        Field("guest_os", source="config.guestFullName", filter=True),
        Field("guest_id", source="config.guestId"),
        Field("ip_address", source="guest.ipAddress", filter=True),
        Field("hostname", source="guest.hostName", filter=True),
        Field("num_cpu", int, source="config.hardware.numCPU"),
        Field("memory_mb", int, source="config.hardware.memoryMB"),
        Field("template", bool, source="config.template", filter=True),
        Field("datacenter_uid", source="datacenter", filter=True),
        Field("host_uid", source="runtime.host", filter=True),
        Field("datastore_uids", list, source="datastore"),
        Field("network_uids", list, source="network"),
        TAGS,
    ),
    links=(
        Link(
            "RUNS",
            "VSphereHost",
            "VSphereVM",
            on=(("uid", "host_uid"),),
            forward="vms",
            backward="host",
        ),
        Link(
            "USES_DATASTORE",
            "VSphereVM",
            "VSphereDatastore",
            on=(("datastore_uids", "uid"),),
            in_list="source",
            forward="datastores",
            backward="vms",
            backward_many=True,
            scoped="source",
        ),
        Link(
            "CONNECTED_TO",
            "VSphereVM",
            "VSphereNetwork",
            on=(("network_uids", "uid"),),
            in_list="source",
            forward="networks",
            backward="vms",
            backward_many=True,
            scoped="source",
        ),
    ),
    description="A virtual machine, or a template (template: true).",
    singular="vm",
)

COLLECTOR = objects(KIND, "VirtualMachine")
