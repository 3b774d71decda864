"""The writer's round trips: Writer.now reads the database's clock once a minute and
carries it forward between; a collection's success is recorded in its cleanup's last
transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from neo4j.time import DateTime

from collectors.aws.instances import KIND as INSTANCE
from cypher import Statement
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
    ticks = iter([100.0, 100.0, 130.0, 130.0004567, 161.0, 161.0, 161.5])
    monkeypatch.setattr(writer, "monotonic", lambda: next(ticks))
    db = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    driver: Any = _Clocked(db)
    w = Writer(driver, "neo4j")

    first = w.now()
    assert (first, driver.reads) == (db, 1)
    # Thirty seconds on: no round trip, the reading carried forward on the local clock, in
    # whole milliseconds as the database's clock and the API's times are.
    assert w.now() == db + timedelta(seconds=30)
    assert driver.reads == 1
    # Past a minute the database is asked again: its clock wins over the local one.
    driver.at = db + timedelta(seconds=60)
    assert w.now() == db + timedelta(seconds=60, microseconds=500_000)
    assert driver.reads == 2
    assert first.utcoffset() == timedelta(0)


class _Tx:
    def __init__(self, log: list[list[str]], removed: list[int]) -> None:
        self.log, self.removed = log, removed
        log.append([])

    def run(self, query: str, params: dict[str, Any]) -> Any:
        self.log[-1].append(query)
        found = {"removed": self.removed.pop(0) if "DELETE" in query else 0, "unlinked": []}
        single = SimpleNamespace(data=lambda: found)
        return SimpleNamespace(single=lambda strict: single, consume=lambda: None)


class _Draining:
    """A driver whose sessions run each transaction function once, logging its statements;
    its deletes remove ``removed`` nodes in turn."""

    execute_query_bookmark_manager = object()

    def __init__(self, removed: list[int]) -> None:
        self.transactions: list[list[str]] = []
        self.removed = removed

    def session(self, **kwargs: Any) -> Any:
        assert kwargs["bookmark_manager"] is self.execute_query_bookmark_manager
        driver = self

        class Session:
            def __enter__(self) -> Session:
                return self

            def __exit__(self, *exc: object) -> None:
                return None

            def execute_write(self, work: Any) -> Any:
                return work(_Tx(driver.transactions, driver.removed))

        return Session()


def test_a_collections_success_commits_with_the_last_of_its_cleanup() -> None:
    driver: Any = _Draining([3, 3, 1])
    w = Writer(driver, "neo4j", batch_size=3)
    done = Statement("RECORD SUCCESS", {"uid": "c"})
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert w.remove_stale(INSTANCE, {"account_id": "1", "region": "r"}, now, then=done) == 7
    # Three bounded deletes; the success in the third, after its delete, and nowhere else.
    assert [len(t) for t in driver.transactions] == [1, 1, 2]
    assert driver.transactions[-1][1] == "RECORD SUCCESS"
    assert all("DELETE" in t[0] for t in driver.transactions)
