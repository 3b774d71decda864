"""Batched node writes and scoped stale-node cleanup, each recording what it changed (see
``graph.changes``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import islice
from threading import Lock
from time import monotonic
from typing import Any

from neo4j import Driver, ManagedTransaction

import cypher
from cypher import Statement, where
from graph import changes
from graph.changes import ChangeLog
from model import Kind, Row
from model.times import utc

# Seconds between two readings of the database's clock (Writer.now).
CLOCK_READ_EVERY = 60.0


class Writer:
    """Writes rows of one kind in batches: one ``UNWIND ... MERGE`` per batch."""

    def __init__(self, driver: Driver, database: str, batch_size: int = 1000) -> None:
        self.driver = driver
        self.database = database
        self.batch_size = batch_size
        self._clock: tuple[datetime, float] | None = None  # the database's time, when read
        self._clock_lock = Lock()

    def write(
        self,
        kind: Kind,
        rows: Iterable[Row],
        scope: Mapping[str, Any],
        seen_at: datetime,
        owner: Mapping[str, Any] | None = None,
        log: ChangeLog | None = None,
    ) -> int:
        """MERGE ``rows`` (each with a ``uid``) as nodes of ``kind``; return how many.

        A shared kind (``member_of``) also needs ``owner``: the uid and properties of the
        scope's own node, which gets the membership link to every row, and ``scope``: which
        of those properties are its own kind's scope.  Each node new or changed is recorded,
        in the batch's own statement, and counted in ``log``; so is the owner node when the
        write makes it (its own collection has not run yet).
        """
        log = log or ChangeLog()
        parts = changes.written_record(kind) | {"write": cypher.text("write_row")}
        if kind.member_of:
            if owner is None:
                raise ValueError(f"{kind.label} is shared: writing it needs the scope's owner")
            statement = _members(
                "merge_members",
                kind,
                linked=changes.link_record("linked"),
                owner_created=cypher.text("change_owner"),
                owner_view=_owner_view(kind),
                **parts,
            )
        else:
            statement = cypher.render("merge_nodes", label=kind.label, **parts)
        params = changes.params(kind, log, seen_at) | {
            "scope": dict(scope),
            "scope_text": changes.scope_text(scope, kind.scope),
            "owner": dict(owner or {}),
            "seen_at": seen_at,
            # What an unchanged row still writes (write_row).
            "untracked": [f.name for f in kind.stored if not f.tracked],
        }
        if kind.member_of and owner is not None:
            params |= changes.owner_created(owner, kind.member_of.source)
        # Every declared property is written, None included, so a property the provider
        # no longer reports is removed rather than left stale; a value of the wrong type
        # stops the write with the kind, field and value (model.RowError).
        written = 0
        it = (changes.with_digest(kind, kind.check(r)) for r in rows)
        while batch := list(islice(it, self.batch_size)):
            records, _, _ = self.driver.execute_query(
                statement, rows=batch, database_=self.database, **params
            )
            log.count(kind.label, "created", records[0]["created"])
            log.count(kind.label, "updated", records[0]["updated"])
            if kind.member_of:
                log.count(kind.member_of.type, "linked", records[0]["linked"])
                log.count(kind.member_of.source, "created", records[0]["owner_created"])
            written += len(batch)
        return written

    def now(self) -> datetime:
        """The database's clock, so that scopes written from many hosts agree on time; in
        UTC as an offset (the driver gives back pytz's UTC, a named zone it would store as
        ``Z[UTC]``).

        Read from the database once a minute and carried forward on this host's monotonic
        clock in between: a round trip per task cost a tenth of a collection's database
        work.  The reading is taken as of when its answer arrived, so the time given is
        never ahead of the database's (behind by at most one round trip)."""
        with self._clock_lock:
            if self._clock is None or monotonic() - self._clock[1] > CLOCK_READ_EVERY:
                records, _, _ = self.driver.execute_query(
                    "RETURN datetime() AS now", database_=self.database
                )
                self._clock = (utc(records[0]["now"].to_native()), monotonic())
            read, at = self._clock
            now = read + timedelta(seconds=monotonic() - at)
            # In whole milliseconds, as the database's clock and the API's times are: a time
            # shown (an RFC 3339 ``at``) then finds what was written at it.
            return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def remove_stale(
        self,
        kind: Kind,
        scope: Mapping[str, Any],
        seen_at: datetime,
        owner: Mapping[str, Any] | None = None,
        log: ChangeLog | None = None,
        kept: Mapping[str, list[Any]] | None = None,
        then: Statement | None = None,
    ) -> int:
        """Delete the nodes of ``kind`` in ``scope`` not written since ``seen_at``, but
        those whose field is one of the ``kept`` values (field -> values: the parts of the
        scope the collection could not list); ``then`` runs in the cleanup's last
        transaction (a collection's success: recorded with its cleanup, and one round trip
        fewer).

        Call only after a collection of that kind and scope succeeded entirely.  For a
        shared kind, the scope's stale memberships go, and then the nodes no scope has.
        Each node and relationship removed is recorded (at ``seen_at``) and counted in ``log``.
        """
        log = log or ChangeLog()
        params = changes.params(kind, log, seen_at)
        deleted = changes.deleted_record(kind)
        if kind.member_of:
            if owner is None:
                raise ValueError(f"{kind.label} is shared: cleanup needs the scope's owner")
            if kept:
                raise ValueError(f"{kind.label} is shared: its cleanup cannot keep nodes")
            link = kind.member_of
            stale = _members("remove_stale_members", kind, unlinked=changes.link_record("unlinked"))
            own = {"scope": dict(scope), "scope_text": changes.scope_text(scope, kind.scope)}
            gone, _ = self._drain(stale, owner=dict(owner), seen_at=seen_at, **own, **params)
            log.count(link.type, "unlinked", gone)
            statement = cypher.render(
                "remove_orphans", label=kind.label, type=link.type, deleted=deleted
            )
            removed, unlinked = self._drain(statement, then, **params)
        else:
            missing = set(kind.scope) - set(scope)
            if missing:
                raise ValueError(f"scope for {kind.label} lacks {sorted(missing)}")
            statement = cypher.render(
                "remove_stale_nodes",
                label=kind.label,
                scope=where("n", kind.scope),
                kept=_kept(kind, kept or {}),
                deleted=deleted,
            )
            removed, unlinked = self._drain(
                statement, then, scope=dict(scope), seen_at=seen_at, kept=dict(kept or {}), **params
            )
        log.count(kind.label, "deleted", removed)
        log.unlinked(unlinked)
        return removed

    def housekeep(
        self, kind: Kind, before: datetime, log: ChangeLog | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """Delete the nodes of ``kind`` not seen since ``before``, but not those whose
        scope's collection has failed since they were last seen and not succeeded since
        (for a shared kind: only those no scope has any more).  The count removed, and
        what was kept, counted per scope.  What goes is recorded as of now, in ``log``."""
        log = log or ChangeLog()
        deleted = changes.deleted_record(kind)
        if kind.member_of:
            link = kind.member_of
            statement = cypher.render(
                "housekeep_shared", label=kind.label, type=link.type, deleted=deleted
            )
            scope: tuple[str, ...] = ()
        else:
            scope = kind.scope
            statement = cypher.render(
                "housekeep_scoped",
                label=kind.label,
                scope=cypher.same("n", "c", scope),
                deleted=deleted,
            )
        params = changes.params(kind, log, self.now())
        removed, unlinked = self._drain(statement, before=before, **params)
        log.count(kind.label, "deleted", removed)
        log.unlinked(unlinked)
        columns = ", ".join(f"n.{p} AS {p}" for p in scope) or "'all' AS scope"
        kept, _, _ = self.driver.execute_query(
            cypher.render("housekept", label=kind.label, columns=columns),
            before=before,
            database_=self.database,
        )
        return removed, [r.data() for r in kept]

    def _drain(
        self, statement: str, then: Statement | None = None, **params: Any
    ) -> tuple[int, list[str]]:
        # Deletes run in bounded transactions until nothing is left to delete: how many
        # went, and the types of the relationships that went with them.  ``then`` runs in
        # the last one.  The session shares execute_query's bookmarks: what a task wrote
        # before is read here, and what this writes is read by its next statement.
        params = {**params, "batch": self.batch_size}

        def once(tx: ManagedTransaction) -> dict[str, Any]:
            found = tx.run(statement, params).single(strict=True).data()
            if then is not None and found["removed"] < self.batch_size:
                tx.run(then.text, then.params).consume()
            return found

        total, unlinked = 0, []
        bookmarks = self.driver.execute_query_bookmark_manager
        with self.driver.session(database=self.database, bookmark_manager=bookmarks) as s:
            while True:
                found = s.execute_write(once)
                total += found["removed"]
                unlinked += found.get("unlinked") or []
                if found["removed"] < self.batch_size:
                    return total, unlinked


def _kept(kind: Kind, kept: Mapping[str, list[Any]]) -> str:
    """The fragment sparing the nodes whose field holds a kept value (``true`` for none);
    field names come from the kind, never from the provider."""
    fields = {f.name for f in kind.stored}
    unknown = sorted(set(kept) - fields)
    if unknown:
        raise ValueError(f"{kind.label} has no field {unknown} to keep nodes by")
    return " AND ".join(f"NOT n.{name} IN $kept.{name}" for name in sorted(kept)) or "true"


def _owner_view(kind: Kind) -> str:
    """Whether ``row`` is the view of the scope (own node ``o``) that owns its record."""
    if not kind.owner_view:
        return "false"
    field, prop = kind.owner_view
    return f"coalesce(row.{field} = o.{prop}, false)"


def _members(file: str, kind: Kind, **parts: str) -> str:
    """A statement about a shared kind's memberships: ``<file>.cypher`` with the kind's
    label and its ``member_of`` link's owner label and type filled in."""
    assert kind.member_of is not None
    link = kind.member_of
    return cypher.render(file, label=kind.label, owner_label=link.source, type=link.type, **parts)
