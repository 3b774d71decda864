"""Collectors: one package per source, listed here.  Adding a provider is its package and
one line below; each package's ``PROVIDER`` names its kinds, config section and source."""

from __future__ import annotations

from collectors import aws, vsphere
from collectors.base import Provider
from model import Catalog

PROVIDERS: dict[str, Provider] = {p.name: p for p in (aws.PROVIDER, vsphere.PROVIDER)}
CATALOG = Catalog(kind for p in PROVIDERS.values() for kind in p.kinds)
