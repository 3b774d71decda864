"""The schema's own scalars.

``DateTime``: every time in and out as RFC 3339 text in UTC with milliseconds and ``Z``
(``model.times``), the form REST and the CLI give.  Strawberry's own DateTime writes
``isoformat()`` (``+00:00``, microseconds), so the schema maps ``datetime`` here.

``Long``: a kind's whole numbers, which Neo4j keeps in 64 bits: GraphQL's ``Int`` holds
32, and refused a datastore's capacity in bytes (over 2 GiB) with an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

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


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"a Long is a whole number, not {type(value).__name__}")
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"a Long holds 64 bits, not {value}")
    return value


# The type a kind's int fields are declared with (api.graphql), mapped to its scalar.
Long = NewType("Long", int)
LONG = strawberry.scalar(
    name="Long",
    description="A whole number of up to 64 bits (Neo4j's INTEGER), as a JSON number.",
    serialize=_whole,
    parse_value=_whole,
)


def config() -> StrawberryConfig:
    """The schema's config: ``datetime`` fields typed and written as ``DateTime``, kinds'
    whole numbers as ``Long``."""
    return StrawberryConfig(scalar_map={datetime: DateTime, Long: LONG})
