"""The one form times are shown in (RFC 3339, UTC, milliseconds, ``Z``) and the UTC
datetimes they are kept as, from every form the service meets them in."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.logs import JsonLines
from model.times import PATTERN, rfc3339, utc

PLUS_1 = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (datetime(2026, 12, 6, 4, 26, 25, 763456, tzinfo=UTC), "2026-12-06T04:26:25.763Z"),
        (datetime(2026, 12, 6, 4, 26, tzinfo=UTC), "2026-12-06T04:26:00.000Z"),
        (datetime(2026, 12, 6, 5, 26, 25, tzinfo=PLUS_1), "2026-12-06T04:26:25.000Z"),
        (datetime(2026, 12, 6, 4, 26, 25), "2026-12-06T04:26:25.000Z"),  # naive: UTC
        ("2026-12-06T04:26:25.763Z", "2026-12-06T04:26:25.763Z"),
        ("2026-12-06T04:26:09+00:00", "2026-12-06T04:26:09.000Z"),
        ("2026-12-05T23:26:09.5-05:00", "2026-12-06T04:26:09.500Z"),
        (1796531185.763, "2026-12-06T04:26:25.763Z"),  # epoch seconds (task records)
        (0, "1970-01-01T00:00:00.000Z"),
    ],
)
def test_every_form_is_shown_as_utc_with_milliseconds_and_z(given: object, shown: str) -> None:
    assert rfc3339(given) == shown  # type: ignore[arg-type]
    assert PATTERN.fullmatch(shown)
    # The same instant, cut (not rounded) to the millisecond.
    lost = utc(given) - datetime.fromisoformat(shown)  # type: ignore[arg-type]
    assert timedelta(0) <= lost < timedelta(milliseconds=1)


def test_none_stays_none() -> None:
    assert rfc3339(None) is None


def test_a_named_utc_zone_becomes_the_plain_offset() -> None:
    # The Neo4j driver stores a datetime whose tzinfo has a zone name (pytz's UTC, which
    # it gives back) with that name: Z[UTC].  utc() gives the offset, stored as Z.
    import pytz

    kept = utc(datetime(2026, 12, 6, 4, 26, tzinfo=pytz.utc))
    assert kept.tzinfo is UTC and not hasattr(kept.tzinfo, "zone")


@pytest.mark.parametrize("bad", ["yesterday", "2026-12-06T04:26:25.763Z[UTC]", True, [1]])
def test_what_is_no_time_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="not a"):
        utc(bad)  # type: ignore[arg-type]


def test_log_lines_give_their_time_in_the_same_form() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.created = 1796531185.763
    assert json.loads(JsonLines([]).format(record))["time"] == "2026-12-06T04:26:25.763Z"
