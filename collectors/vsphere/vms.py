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
        Field("uuid", path="config.uuid", filter=True),
        Field("instance_uuid", path="config.instanceUuid", filter=True),
        Field("power_state", path="runtime.powerState", filter=True),
        Field("guest_os", path="config.guestFullName", filter=True),
        Field("guest_id", path="config.guestId"),
        Field("ip_address", path="guest.ipAddress", filter=True),
        Field("hostname", path="guest.hostName", filter=True),
        Field("num_cpu", int, path="config.hardware.numCPU"),
        Field("memory_mb", int, path="config.hardware.memoryMB"),
        Field("template", bool, path="config.template", filter=True),
        Field("datacenter_uid", path="datacenter", filter=True),
        Field("host_uid", path="runtime.host", filter=True),
        Field("datastore_uids", list, path="datastore"),
        Field("network_uids", list, path="network"),
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
