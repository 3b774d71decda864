"""The vCenter itself: the node every other vSphere node of its scope hangs from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from collectors.vsphere.common import SCOPE
from model import Field, Kind

if TYPE_CHECKING:
    from collectors.vsphere.session import VSphereSession

KIND = Kind(
    provider="vsphere",
    name="vcenters",
    label="VSphereVCenter",
    scope=SCOPE,
    # Its configured name: simulators (and cloned appliances) share instance UUIDs.
    uid="name",
    fields=(
        Field("name", path="name", filter=True),
        Field("host", path="host", filter=True),
        Field("version", path="version", filter=True),
        Field("api_version", path="apiVersion", filter=True),
        Field("build", path="build"),
        Field("full_name", path="fullName"),
        Field("instance_uuid", path="instanceUuid"),
    ),
    description="A vCenter, by the name the config gives it.",
)


def collect(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
    about = session.about
    yield [
        {
            "name": session.name,
            "host": session.vcenter.config.host,
            "version": about.version,
            "apiVersion": about.apiVersion,
            "build": about.build,
            "fullName": about.fullName,
            "instanceUuid": about.instanceUuid,
        }
    ]


COLLECTOR = Collector(KIND, collect)
