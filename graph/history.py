"""Reads of the change records (graph.changes): pages of them newest first, each node's
history, and a node as it was at a time, rebuilt from them.

A page is ordered by time, newest first, then by id; it ends at a position (the time and
id of its last record) from which the next page goes on.  A change as read holds ``id``,
``at`` (RFC 3339 text), ``task_id``, ``change``, the node's ``uid``, ``label``,
``provider`` and ``scope`` text, ``fields`` (for a node change: each changed tracked
field with its value ``before`` and ``after``, null for none) and, for a relationship
change, its ``type``, ``target_uid`` and ``target_label`` (``uid`` is its start node's).

A node as it was (``as_of``) is rebuilt by walking back from the latest state known: the
node as it is, or, for a node deleted since, the record of its deletion, which holds
every tracked field it had.  Each change after the time asked is undone, newest first: an
update gives back the values before it, a relationship linked since is taken away and one
unlinked since is put back; past a ``created`` record the node did not exist, past a
``deleted`` one it did, as that record says.  Walking back needs only the changes after
the time asked, which retention keeps; walking forward from a ``created`` record would
fail for every node older than the retention (its creation no longer recorded).  Only
tracked fields and relationships are known: untracked fields (``first_seen``,
``last_seen``, and those declared ``tracked=False``) are null, and named as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import Driver

import cypher
from graph.changes import LABEL, LINK_CHANGES
from graph.reads import Reader, plain_value
from model import Kind
from model.times import utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
# Above every id (UUIDs: hex digits and '-'), so that a page from a time takes every
# record at that time.
TOP_ID = "~"
# The records rebuilding one node may read at most (those after the time asked).
MOST_UNDONE = 100_000

# A change's keys, in the order it is given in.
KEYS = ("id", "at", "task_id", "change", "uid", "label", "provider", "scope")
LINK_KEYS = ("type", "target_uid", "target_label")

#: Where a page ended: the time and id of its last record (the time to the microsecond, as
#: the records are written; its text is cut to the millisecond).
Position = tuple[datetime, str]
Change = dict[str, Any]


@dataclass(frozen=True)
class Asked:
    """Which change records: within ``since`` and ``until`` (both included), of nodes of
    any of ``labels`` (either end, for a relationship), about ``uid`` (its own records and
    those of relationships at either end), of any of the ``changes`` kinds, in ``scope``
    (its text, ``111111111111/eu-west-1``, or a leading part of it, ``111111111111``)."""

    since: datetime | None = None
    until: datetime | None = None
    labels: tuple[str, ...] = ()
    uid: str | None = None
    changes: tuple[str, ...] = ()
    scope: str | None = None


def projection(scope: Sequence[str] = ()) -> str:
    """The Cypher map of change record ``c``; with ``scope``, also those scope properties
    as ``scope_values``."""
    values = f", scope_values: c {{{', '.join('.' + p for p in scope)}}}" if scope else ""
    return (
        f"c {{.id, at: {cypher.rfc3339('c.at')}, micros: c.at.epochSeconds * 1000000 + "
        "c.at.microsecond, .task_id, .change, .uid, .label, .provider, "
        ".scope, .fields, .type, .target_uid, .target_label, "
        "before: [f IN coalesce(c.fields, []) | c['before_' + f]], "
        f"after: [f IN coalesce(c.fields, []) | c['after_' + f]]{values}}}"
    )


def _bounds(asked: Asked, after: Position | None) -> dict[str, Any]:
    until = asked.until or LATEST
    before_at, before_id = (until, TOP_ID) if after is None or after[0] > until else after
    return {"since": asked.since or EARLIEST, "before_at": before_at, "before_id": before_id}


def _filters(asked: Asked) -> tuple[str, dict[str, Any]]:
    parts, params = [], {}
    if asked.labels:
        parts.append("AND (c.label IN $labels OR c.target_label IN $labels)")
        params["labels"] = list(asked.labels)
    if asked.changes:
        parts.append("AND c.change IN $changes")
        params["changes"] = list(asked.changes)
    if asked.scope is not None:
        parts.append("AND (c.scope = $scope OR c.scope STARTS WITH $scope + '/')")
        params["scope"] = asked.scope
    return "\n  ".join(parts), params


def page_statement(
    asked: Asked,
    after: Position | None,
    limit: int,
    of: str | None = None,
    scope: Sequence[str] = (),
) -> tuple[str, dict[str, Any]]:
    """The statement and parameters of a page (``limit`` records after ``after``); with
    ``of``, a label, only the records about ``asked.uid`` as a node of that label."""
    filters, params = _filters(asked)
    params |= _bounds(asked, after) | {"limit": limit}
    match = f"MATCH (c:{LABEL})"
    if asked.uid is not None:
        own, other = ("WHERE c.label = $of", "WHERE c.target_label = $of") if of else ("", "")
        match = cypher.render("changes_about", own=own, other=other)
        params |= {"uid": asked.uid, "of": of}
    statement = cypher.render(
        "list_changes", match=match, filters=filters, projection=projection(scope)
    )
    return statement, params


def _change(record: dict[str, Any]) -> Change:
    """A change record as read (see the module's doc): values as JSON holds them, and
    its ``position``."""
    names, before, after = record["fields"] or [], record["before"], record["after"]
    out: Change = {k: record[k] for k in KEYS}
    out["fields"] = [
        {"field": f, "before": plain_value(b), "after": plain_value(a)}
        for f, b, a in zip(names, before, after, strict=True)
    ]
    for k in LINK_KEYS:
        out[k] = record[k]
    if "scope_values" in record:
        out["scope_values"] = record["scope_values"]
    out["position"] = (EPOCH + timedelta(microseconds=record["micros"]), record["id"])
    return out


def _page(record: Any, limit: int, positions: bool) -> tuple[list[Change], Position | None]:
    """A page as list_changes gives it (one more change than asked for if more follow),
    each change with its position if ``positions``, and where it ended if more follow."""
    changes = [_change(c) for c in record["changes"]]
    last = changes[limit - 1]["position"] if len(changes) > limit else None
    if not positions:
        for c in changes:
            del c["position"]
    return changes[:limit], last


def page(
    driver: Driver, database: str, asked: Asked, after: Position | None, limit: int
) -> tuple[list[Change], Position | None]:
    """Up to ``limit`` changes after ``after``, newest first, and the position to go on
    from (None after the last)."""
    statement, params = page_statement(asked, after, limit)
    records, _, _ = driver.execute_query(statement, params, database_=database, routing_="r")
    return _page(records[0], limit, False)


async def page_async(
    reader: Reader,
    asked: Asked,
    after: Position | None,
    limit: int,
    of: str | None = None,
    positions: bool = False,
) -> tuple[list[Change], Position | None]:
    """``page`` for the APIs, through their reader; with ``of``, a label, a node's
    history (see ``page_statement``); with ``positions``, each change's position."""
    statement, params = page_statement(asked, after, limit, of)
    records = await reader.run(statement, **params)
    return _page(records[0], limit, positions)


async def histories(
    reader: Reader, label: str, uids: list[str], asked: Asked, after: Position | None, first: int
) -> dict[str, list[Change]]:
    """For each uid of a node of ``label``, its first ``first`` changes after ``after``
    (within ``asked``'s times, of its ``changes`` kinds), newest first, each with its
    ``position``, in one query."""
    filters, params = _filters(Asked(changes=asked.changes))
    statement = cypher.render("changes_of", filters=filters, projection=projection())
    params |= _bounds(asked, after) | {"label": label, "uids": uids, "first": first}
    records = await reader.run(statement, **params)
    return {r["uid"]: [_change(c) for c in r["changes"]] for r in records}


async def known(reader: Reader, label: str, uid: str) -> bool:
    """Whether the node, or any change about it as a node of ``label``, is in the graph."""
    records = await reader.run(cypher.render("change_known", label=label), uid=uid, label=label)
    return records[0]["known"]


@dataclass(frozen=True)
class Past:
    """A node as it was: its properties (untracked ones null), its relationships (type,
    direction, the other end's label and uid, and its name where the relationship holds
    still), what the walk started from (``present`` or ``deleted``), how many changes it
    undid and the fields it cannot know."""

    item: dict[str, Any]
    links: list[dict[str, Any]]
    start: str
    undone: int
    untracked: tuple[str, ...]


async def as_of(reader: Reader, kind: Kind, uid: str, at: datetime) -> Past | None:
    """The ``kind`` node ``uid`` as it was at ``at``, rebuilt (see the module's doc); None
    if it did not exist then, as far as the records tell."""
    present = await reader.item(kind, uid)
    # Records are kept to the microsecond: the first one after `at` (none after the last).
    later = Asked(since=at + timedelta(microseconds=1) if at < LATEST else LATEST, uid=uid)
    statement, params = page_statement(later, None, MOST_UNDONE, kind.label, kind.scope)
    records = await reader.run(statement, **params)
    changes, _ = _page(records[0], MOST_UNDONE, False)
    return rebuild(kind, uid, at, present, changes)


def _end(change: Change, uid: str, label: str) -> tuple[str, str, str, str]:
    """A relationship change as seen from node ``uid``: (type, direction, label, uid)."""
    if change["uid"] == uid and change["label"] == label:
        return change["type"], "out", change["target_label"], change["target_uid"]
    return change["type"], "in", change["label"], change["uid"]


def rebuild(
    kind: Kind,
    uid: str,
    at: datetime,
    present: tuple[dict[str, Any], list[dict[str, Any]]] | None,
    changes: list[Change],
) -> Past | None:
    """The node as it was at ``at``, from the node as it is (``present``: its properties
    and relationships, None if it is gone) and every change about it after ``at``,
    newest first."""
    state = dict(present[0]) if present else {}
    names = (
        {(r["type"], r["direction"], r["label"], r["uid"]): r["name"] for r in present[1]}
        if present
        else {}
    )
    ends = set(names)
    exists, crossed = present is not None, False
    for c in changes:
        if c["change"] in LINK_CHANGES:
            end = _end(c, uid, kind.label)
            if c["change"] == "linked":
                ends.discard(end)
            else:
                ends.add(end)
        elif c["change"] == "updated":
            state.update({f["field"]: f["before"] for f in c["fields"]})
        elif c["change"] == "deleted":
            exists = crossed = True
            state = {**c["scope_values"], **{f["field"]: f["before"] for f in c["fields"]}}
        elif c["change"] == "created":
            exists, crossed = False, True
    first_seen = state.get("first_seen")
    if not exists or (not crossed and first_seen is not None and utc(first_seen) > at):
        return None  # not yet created, or deleted by then
    kept = {"uid", *kind.scope, *kind.tracked}
    item = {f.name: state.get(f.name) if f.name in kept else None for f in kind.all_fields}
    item["uid"] = uid
    links = [
        {"type": t, "direction": d, "label": label, "uid": u, "name": names.get((t, d, label, u))}
        for t, d, label, u in sorted(ends)
    ]
    untracked = tuple(f.name for f in kind.all_fields if f.name not in kept and f.name != "uid")
    return Past(item, links, "present" if present else "deleted", len(changes), untracked)
