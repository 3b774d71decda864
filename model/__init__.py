"""The model: kinds, fields, links, the catalog and the base of config sections.  No
provider's SDK (the standard library and pydantic only), so that every part of the service
(the API included) can know the kinds; the bottom layer, importing no other package."""

from model.catalog import Catalog
from model.kind import COMMON_FIELDS, UNKNOWN, Field, Kind, Link, RecordPath, Row, RowError, read

__all__ = [
    "COMMON_FIELDS",
    "UNKNOWN",
    "Catalog",
    "Field",
    "Kind",
    "Link",
    "RecordPath",
    "Row",
    "RowError",
    "read",
]
