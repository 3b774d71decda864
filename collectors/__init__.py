"""Collectors: one package per source.  Each kind module holds its ``Kind`` and the
function that pages through the provider's API, yielding rows for the writer."""

from __future__ import annotations

from collectors.aws import AWS
from collectors.base import Provider
from graph.model import Catalog

PROVIDERS: dict[str, type[Provider]] = {AWS.name: AWS}
CATALOG = Catalog([c.kind for p in PROVIDERS.values() for c in p.collectors])
