"""Writer.now reads the database's clock once a minute and carries it forward between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from neo4j.time import DateTime

from graph import writer
from graph.writer import Writer


class _Clocked:
    """A driver whose database clock reads ``at`` and counts how often it is asked."""

    def __init__(self, at: datetime) -> None:
        self.at, self.reads = at, 0

    def execute_query(self, query: str, **kwargs: Any) -> tuple[list[dict[str, Any]], None, None]:
        assert query == "RETURN datetime() AS now"
        self.reads += 1
        return [{"now": DateTime.from_native(self.at)}], None, None


def test_now_reads_the_database_once_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([100.0, 100.0, 130.0, 130.0, 161.0, 161.0, 161.5])
    monkeypatch.setattr(writer, "monotonic", lambda: next(ticks))
    db = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    driver: Any = _Clocked(db)
    w = Writer(driver, "neo4j")

    first = w.now()
    assert (first, driver.reads) == (db, 1)
    # Thirty seconds on: no round trip, the reading carried forward on the local clock.
    assert w.now() == db + timedelta(seconds=30)
    assert driver.reads == 1
    # Past a minute the database is asked again: its clock wins over the local one.
    driver.at = db + timedelta(seconds=60)
    assert w.now() == db + timedelta(seconds=60, microseconds=500_000)
    assert driver.reads == 2
    assert first.utcoffset() == timedelta(0)
