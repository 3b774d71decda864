"""Pieces the vSphere kinds share: their scope, and collectors that read the properties
their fields name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from model import Field, Kind

if TYPE_CHECKING:
    from collectors.vsphere.session import VSphereSession

SCOPE = ("vcenter",)
# Every vSphere object is named by its vCenter and its managed object id.
OBJECT = (Field("moref", source="moref", filter=True), Field("name", source="name", filter=True))
# What a session puts in each record besides the properties asked for (see
# collectors.vsphere.session), so never asked for.
SYNTHESIZED = frozenset({"uid", "moref", "wsdl_type", "datacenter"})


def properties(kind: Kind, extra: tuple[str, ...] = (), own: tuple[str, ...] = ()) -> list[str]:
    """The property paths to ask for: those the kind's fields name and ``extra``, but not
    the keys a session or the collector itself (``own``) puts in each record."""
    named = {f.source for f in kind.stored if isinstance(f.source, str)}
    return sorted((named | set(extra)) - SYNTHESIZED - set(own))


def objects(kind: Kind, vim_type: str, extra: tuple[str, ...] = ()) -> Collector:
    """A collector of every ``vim_type`` object, with the properties ``kind`` stores."""
    paths = properties(kind, extra)

    def collect(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
        yield from session.objects(vim_type, paths)

    return Collector(kind, collect)
