"""Pieces the vSphere kinds share: their scope, their tags, and collectors that read the
properties their fields name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from collectors.vsphere.synthesized import SYNTHESIZED
from model import UNKNOWN, Field, Kind

if TYPE_CHECKING:
    from collectors.vsphere.session import VSphereSession

SCOPE = ("vcenter",)
# Every vSphere object is named by its vCenter and its managed object id.
OBJECT = (Field("moref", path="moref", filter=True), Field("name", path="name", filter=True))
# Its vSphere tags (collectors.vsphere.tagging), put in each record by ``with_tags``.
TAGS = Field(
    "tags", list, path="tags", doc="Its vSphere tags, as category=tag strings (vAPI tagging)."
)


def properties(kind: Kind, extra: tuple[str, ...] = (), own: tuple[str, ...] = ()) -> list[str]:
    """The property paths to ask for: those the kind's fields name and ``extra``, but not
    the keys a session or the collector itself (``own``) puts in each record."""
    named = {f.path for f in kind.stored if isinstance(f.path, str)}
    if TAGS in kind.fields:
        own = (*own, "tags")
    return sorted((named | set(extra)) - SYNTHESIZED - set(own))


def with_tags(
    session: VSphereSession, pages: Iterator[list[dict[str, Any]]]
) -> Iterator[list[dict[str, Any]]]:
    """``pages`` with each record's tags under ``tags``: all of them read once; if that
    read fails, UNKNOWN (the graph keeps the tags it had) and a warning."""
    tags = session.attempt(f"tags of vCenter {session.name}", lambda: session.tags)
    for page in pages:
        for record in page:
            record["tags"] = UNKNOWN if tags is UNKNOWN else tags.get(record["uid"], [])
        yield page


def objects(kind: Kind, vim_type: str, extra: tuple[str, ...] = ()) -> Collector:
    """A collector of every ``vim_type`` object, with the properties ``kind`` stores (and
    its tags, if it has them)."""
    paths = properties(kind, extra)

    def collect(session: VSphereSession) -> Iterator[list[dict[str, Any]]]:
        pages = session.objects(vim_type, paths)
        yield from with_tags(session, pages) if TAGS in kind.fields else pages

    return Collector(kind, collect)
