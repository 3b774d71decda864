"""Times as the service keeps and shows them.

Kept: aware datetimes in UTC (offset ``Z``), stored in Neo4j as temporal values so that
Cypher compares them as times.  Shown: RFC 3339 text in UTC with milliseconds and ``Z``,
``2026-12-06T04:26:25.763Z``, on every interface (REST, GraphQL, the CLI, reports, task
records), so that one parser (``datetime.fromisoformat``, JavaScript's ``Date``) reads them
all.  ``rfc3339`` is that form in Python; ``cypher.rfc3339`` is the same in Cypher.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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


# A time as the APIs and the CLI take it (``moment``): RFC 3339 as JSON Schema's
# ``date-time`` format checks it (upper-case T and Z, no leap second), or a span back
# from now.
RFC3339 = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
#: A span back from now: a number of seconds, minutes, hours, days or weeks (``90m``,
#: ``1h``, ``7d``).  Five digits at most, so that now minus the span is always a time.
AGO = re.compile(r"([0-9]{1,5})([smhdw])")
AGO_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MOMENT_HELP = (
    "an RFC 3339 time (2026-12-06T04:26:25Z) or a span back from now: a number and "
    "s, m, h, d or w (90m, 1h, 7d)"
)


def named_moment(name: str, text: str | None) -> datetime | None:
    """``moment(text)`` for the parameter ``name`` (None for none): its ValueError names
    the parameter."""
    try:
        return None if text is None else moment(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def moment(text: str, now: datetime | None = None) -> datetime:
    """``text``, an RFC 3339 time or a span back from ``now`` (``1h``), as a datetime in
    UTC.  A time whose offset takes it past year 1 or 9999 is that year's bound.
    ValueError saying what is accepted for anything else."""
    if found := AGO.fullmatch(text):
        span = timedelta(**{AGO_UNITS[found.group(2)]: int(found.group(1))})
        return (now or datetime.now(UTC)) - span
    found = RFC3339.fullmatch(text)
    if not found or found.group(1) == "0000":
        raise ValueError(f"not a time: {text!r:.100}; give {MOMENT_HELP}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:  # a day the month does not have
        raise ValueError(f"not a date: {text!r:.100}; give {MOMENT_HELP}") from None
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00, 9999-12-31T23:00:00-02:00
        bound = datetime.min if value.year == 1 else datetime.max
        return bound.replace(tzinfo=UTC)
