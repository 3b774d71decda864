"""Batched node writes and scoped stale-node cleanup."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import islice
from typing import Any

from neo4j import Driver

import cypher
from cypher import where
from model import Kind, Row
from model.times import utc


class Writer:
    """Writes rows of one kind in batches: one ``UNWIND ... MERGE`` per batch."""

    def __init__(self, driver: Driver, database: str, batch_size: int = 1000) -> None:
        self.driver = driver
        self.database = database
        self.batch_size = batch_size

    def write(
        self,
        kind: Kind,
        rows: Iterable[Row],
        scope: Mapping[str, Any],
        seen_at: datetime,
        owner: Mapping[str, Any] | None = None,
    ) -> int:
        """MERGE ``rows`` (each with a ``uid``) as nodes of ``kind``; return how many.

        A shared kind (``member_of``) also needs ``owner``: the uid and properties of the
        scope's own node, which gets the membership link to every row.
        """
        if kind.member_of:
            if owner is None:
                raise ValueError(f"{kind.label} is shared: writing it needs the scope's owner")
            link = kind.member_of
            statement = cypher.render(
                "merge_members", owner_label=link.source, type=link.type, label=kind.label
            )
        else:
            statement = cypher.render("merge_nodes", label=kind.label)
        # Every declared property is written, None included, so a property the provider
        # no longer reports is removed rather than left stale; a value of the wrong type
        # stops the write with the kind, field and value (model.RowError).
        written = 0
        it = (kind.check(r) for r in rows)
        while batch := list(islice(it, self.batch_size)):
            self.driver.execute_query(
                statement,
                rows=batch,
                scope=dict(scope),
                owner=dict(owner or {}),
                seen_at=seen_at,
                database_=self.database,
            )
            written += len(batch)
        return written

    def now(self) -> datetime:
        """The database's clock, so that scopes written from many hosts agree on time; in
        UTC as an offset (the driver gives back pytz's UTC, a named zone it would store as
        ``Z[UTC]``)."""
        records, _, _ = self.driver.execute_query(
            "RETURN datetime() AS now", database_=self.database
        )
        return utc(records[0]["now"].to_native())

    def remove_stale(
        self,
        kind: Kind,
        scope: Mapping[str, Any],
        seen_at: datetime,
        owner: Mapping[str, Any] | None = None,
    ) -> int:
        """Delete the nodes of ``kind`` in ``scope`` not written since ``seen_at``.

        Call only after a collection of that kind and scope succeeded entirely.  For a
        shared kind, the scope's stale memberships go, and then the nodes no scope has.
        """
        if kind.member_of:
            if owner is None:
                raise ValueError(f"{kind.label} is shared: cleanup needs the scope's owner")
            names = {"owner_label": kind.member_of.source, "type": kind.member_of.type}
            stale = cypher.render("remove_stale_members", label=kind.label, **names)
            self._drain(stale, owner=dict(owner), seen_at=seen_at)
            orphans = cypher.render("remove_orphans", label=kind.label, type=names["type"])
            return self._drain(orphans)
        missing = set(kind.scope) - set(scope)
        if missing:
            raise ValueError(f"scope for {kind.label} lacks {sorted(missing)}")
        statement = cypher.render(
            "remove_stale_nodes", label=kind.label, scope=where("n", kind.scope)
        )
        return self._drain(statement, scope=dict(scope), seen_at=seen_at)

    def housekeep(self, kind: Kind, before: datetime) -> tuple[int, list[dict[str, Any]]]:
        """Delete the nodes of ``kind`` not seen since ``before``, but not those whose
        scope's collection has failed since they were last seen and not succeeded since
        (for a shared kind: only those no scope has any more).  The count removed, and
        what was kept, counted per scope."""
        if kind.member_of:
            link = kind.member_of
            statement = cypher.render("housekeep_shared", label=kind.label, type=link.type)
            scope: tuple[str, ...] = ()
        else:
            scope = kind.scope
            statement = cypher.render(
                "housekeep_scoped", label=kind.label, scope=cypher.same("n", "c", scope)
            )
        removed = self._drain(statement, before=before, label=kind.label)
        columns = ", ".join(f"n.{p} AS {p}" for p in scope) or "'all' AS scope"
        kept, _, _ = self.driver.execute_query(
            cypher.render("housekept", label=kind.label, columns=columns),
            before=before,
            database_=self.database,
        )
        return removed, [r.data() for r in kept]

    def _drain(self, statement: str, **params: Any) -> int:
        # Deletes run in bounded transactions until nothing is left to delete.
        total = 0
        while True:
            records, _, _ = self.driver.execute_query(
                statement, batch=self.batch_size, database_=self.database, **params
            )
            removed = records[0]["removed"]
            total += removed
            if removed < self.batch_size:
                return total
