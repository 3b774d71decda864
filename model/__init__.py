"""The model: kinds, fields, links and the catalog.  Standard library only, so that every
part of the service (the API included) can know the kinds without any provider's SDK."""

from model.catalog import Catalog
from model.kind import COMMON_FIELDS, UNKNOWN, Field, Kind, Link, Row, RowError, Source, read

__all__ = [
    "COMMON_FIELDS",
    "UNKNOWN",
    "Catalog",
    "Field",
    "Kind",
    "Link",
    "Row",
    "RowError",
    "Source",
    "read",
]
