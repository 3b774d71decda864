"""GraphQL for the change records (graph.history): ``changes(...)``, a page of them newest
first with REST's filters; a ``history`` field on every kind's type (one query per level
of a query, through a loader, as relationship fields); and the item fields' ``at``: the
node as it was, rebuilt from its changes, with ``reconstruction`` saying how, and its
relationship fields giving the nodes it was related to then (each as it is now, or only
its uid if it is gone).

Times are given as REST takes them (api.times): RFC 3339 or a span back from now (``1h``).
A bad one, an unknown label or cursor is a GraphQL error naming it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api import cursors
from graph import history
from graph.changes import CHANGES
from graph.history import Asked, Past, Position
from model import Kind, Link
from model.times import named_moment

HISTORY_LIMIT = 25

ChangeKind = strawberry.enum(
    Enum("ChangeKind", {c: c for c in CHANGES}),  # type: ignore[misc]
    description="What a change did.",
)


@strawberry.type(description="One tracked field of a node change, with its values.")
class FieldChange:
    field: str
    before: JSON | None = strawberry.field(description="Before (null for a created node).")
    after: JSON | None = strawberry.field(description="After (null for a deleted node).")


@strawberry.type(
    description="What a collection, link task or housekeeping changed: a node created, "
    "updated or deleted, or a relationship (from `uid` to `targetUid`) linked or unlinked."
)
class Change:
    id: str
    at: datetime
    task_id: str | None
    change: ChangeKind
    uid: str
    label: str
    provider: str
    scope: str
    fields: list[FieldChange] = strawberry.field(
        description="For a node: each tracked field that changed. Empty for a relationship."
    )
    type: str | None
    target_uid: str | None
    target_label: str | None
    cursor: str = strawberry.field(description="Pass as `after` for the changes after it.")


@strawberry.type(description="A page of changes, newest first.")
class ChangePage:
    items: list[Change]
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(
    description="How an item asked for `at` a time was rebuilt: from the node as it is "
    "(present) or from the record of its deletion (deleted), undoing each change after "
    "that time. Untracked fields are null in it, whatever they held then."
)
class Reconstruction:
    at: datetime
    start: str
    changes_undone: int
    untracked: list[str]


def _change(row: dict[str, Any]) -> Change:
    fields = [FieldChange(**f) for f in row["fields"]]
    cursor = cursors.encode_position(row["position"])
    assert cursor is not None
    values = {k: row[k] for k in (*history.KEYS, *history.LINK_KEYS)}
    return Change(**{**values, "change": ChangeKind(row["change"])}, fields=fields, cursor=cursor)


def _after(cursor: str | None) -> Position | None:
    if cursor is not None and not re.fullmatch(cursors.POSITION_PATTERN, cursor):
        raise ValueError("after: pass a cursor as it was given")
    return cursors.decode_position(cursor)


def _first(info: strawberry.Info, first: int) -> int:
    return cursors.page_size("first", first, info.context.max_limit)


@strawberry.type
class ChangeQuery:
    @strawberry.field(
        description="Changes of the graph, newest first (REST's /api/v1/changes): within "
        "`since` and `until` (both included; RFC 3339, or back from now: `1h`, `7d`), of "
        "nodes of any of `label` (either end of a relationship), about `uid`, of any of "
        "`change`, in `scope` or under it."
    )
    async def changes(
        self,
        info: strawberry.Info,
        since: str | None = None,
        until: str | None = None,
        label: list[str] | None = None,
        uid: str | None = None,
        change: list[ChangeKind] | None = None,
        scope: str | None = None,
        first: int = cursors.DEFAULT_LIMIT,
        after: str | None = None,
    ) -> ChangePage:
        reader = info.context.reader
        unknown = sorted(set(label or ()) - set(reader.catalog.by_label))
        if unknown:
            raise ValueError(f"label: no kind has the label {unknown[0]!r}")
        kinds = tuple(c.value for c in change or ())
        asked = Asked(
            named_moment("since", since),
            named_moment("until", until),
            tuple(label or ()),
            uid,
            kinds,
            scope,
        )
        limit = _first(info, first)
        rows, last = await history.page_async(reader, asked, _after(after), limit, positions=True)
        return ChangePage(
            items=[_change(r) for r in rows], next_cursor=cursors.encode_position(last)
        )


def history_field(kind: Kind) -> Any:
    """A kind type's ``history``: its changes, newest first, a page of each parent's per
    level of a query."""

    async def resolve(
        root: Any,
        info: strawberry.Info,
        first: int = HISTORY_LIMIT,
        after: str | None = None,
        since: str | None = None,
        until: str | None = None,
        change: list[ChangeKind] | None = None,
    ) -> list[Change]:
        limit, position = _first(info, first), _after(after)
        kinds = tuple(c.value for c in change or ())
        asked = Asked(named_moment("since", since), named_moment("until", until), changes=kinds)
        reader = info.context.reader  # not info: a loader held by its context is a cycle

        async def load(uids: list[str]) -> list[list[dict[str, Any]]]:
            found = await history.histories(reader, kind.label, uids, asked, position, limit)
            return [found.get(uid, []) for uid in uids]

        key = ("history", kind.label, limit, after, since, until, kinds)
        return [_change(r) for r in await info.context.batched(key, load).load(root.uid)]

    return strawberry.field(
        resolver=resolve,
        description=f"The changes of this {kind.label}, newest first: its own and its "
        "relationships', within `since` and `until` (RFC 3339, or back from now), of any of "
        "`change`; `first` of them after the cursor `after`.",
    )


@dataclass(frozen=True)
class AsOf:
    """What an item asked for ``at`` a time carries: the time, and the node then."""

    at: datetime
    past: Past


def reconstruction_field() -> Any:
    def resolve(root: Any) -> Reconstruction | None:
        as_of: AsOf | None = getattr(root, "_as_of", None)
        if as_of is None:
            return None
        past = as_of.past
        return Reconstruction(
            at=as_of.at,
            start=past.start,
            changes_undone=past.undone,
            untracked=list(past.untracked),
        )

    return strawberry.field(
        resolver=resolve,
        description="Given `at` on the item field: how the item was rebuilt from its "
        "changes. Null for the node as it is.",
    )


async def as_of(info: strawberry.Info, kind: Kind, uid: str, at: str) -> AsOf | None:
    """The ``kind`` node ``uid`` at the time ``at`` (text, as REST takes it); None if it
    did not exist then."""
    when = named_moment("at", at)
    assert when is not None
    past = await history.as_of(info.context.reader, kind, uid, when)
    return AsOf(when, past) if past is not None else None


async def related_then(
    info: strawberry.Info,
    root: Any,
    link: Link,
    other: Kind,
    first: int,
    after: str,
    fields: frozenset[str],
) -> list[dict[str, Any]] | None:
    """For an item given ``at`` a time (None for any other node), the ``first`` nodes at
    the other end of ``link`` then, after the uid ``after``: each as it is now, or only its
    uid if it is gone."""
    as_of: AsOf | None = getattr(root, "_as_of", None)
    if as_of is None:
        return None
    direction = "out" if other.label == link.target else "in"
    uids = sorted(
        r["uid"]
        for r in as_of.past.links
        if (r["type"], r["direction"], r["label"]) == (link.type, direction, other.label)
        and r["uid"] > after
    )[:first]
    found = await info.context.reader.get_many(other, uids, fields)
    return [found.get(uid, {"uid": uid}) for uid in uids]
