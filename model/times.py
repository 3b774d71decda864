"""Times as the service keeps and shows them.

Kept: aware datetimes in UTC (offset ``Z``), stored in Neo4j as temporal values so that
Cypher compares them as times.  Shown: RFC 3339 text in UTC with milliseconds and ``Z``,
``2026-12-06T04:26:25.763Z``, on every interface (REST, GraphQL, the CLI, reports, task
records), so that one parser (``datetime.fromisoformat``, JavaScript's ``Date``) reads them
all.  ``rfc3339`` is that form in Python; ``cypher.rfc3339`` is the same in Cypher.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

#: The one form every time is shown in.
PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")

Time = datetime | str | int | float


def utc(value: Time) -> datetime:
    """``value`` as an aware datetime in UTC.

    A datetime keeps its instant (a naive one is taken as UTC, as providers mean it); text
    is ISO 8601 as ``datetime.fromisoformat`` reads it (a provider's ``2024-05-01T10:00:00.000Z``);
    a number is seconds since the epoch (task records).  ValueError for text that is no time.
    """
    if isinstance(value, bool):  # an int, but never a time
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value!r:.100}") from None
    if not isinstance(value, datetime):
        raise ValueError(f"not a time: {type(value).__name__} {value!r:.100}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    # astimezone also swaps a named zone (pytz's UTC, which the Neo4j driver would store
    # as a zone id, ``Z[UTC]``) for the plain offset.
    return value.astimezone(UTC)


def rfc3339(value: Time | None) -> str | None:
    """``value`` (see ``utc``) as RFC 3339 text in UTC with milliseconds; None stays None."""
    if value is None:
        return None
    text = utc(value).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"
