"""GraphQL's ``DateTime``: every time in and out as RFC 3339 text in UTC with milliseconds
and ``Z`` (``model.times``), the form REST and the CLI give.  Strawberry's own DateTime
writes ``isoformat()`` (``+00:00``, microseconds), so the schema maps ``datetime`` here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from model.times import rfc3339, utc


def _parse(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"a DateTime is RFC 3339 text, not {type(value).__name__}")
    return utc(value)


# Values come as datetimes (task records) or as the text graph reads already made
# (cypher.rfc3339); either way they leave in the one form.
DateTime = strawberry.scalar(
    name="DateTime",
    description="A time: RFC 3339 in UTC with milliseconds, 2026-12-06T04:26:25.763Z.",
    specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339",
    serialize=rfc3339,
    parse_value=_parse,
)


def config() -> StrawberryConfig:
    """The schema's config: ``datetime`` fields typed and written as ``DateTime``."""
    return StrawberryConfig(scalar_map={datetime: DateTime})
