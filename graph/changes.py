"""What changed: the records the graph's writes leave of what they did.

Every statement that creates, updates or deletes a node of a kind, or adds or removes a
relationship, also creates an ``InventoryChange`` node per change, in the same statement
(so in the same transaction: a killed worker leaves both or neither).  A change holds:

- ``id`` (a UUID), ``at`` (the collection's ``seen_at``, or the housekeeper's time),
  ``task_id`` (null outside a task) and ``change``: ``created``, ``updated``, ``deleted``,
  ``linked`` or ``unlinked``;
- ``uid``, ``label`` and ``provider`` of the node (for a relationship: its start node, with
  ``type``, ``target_uid`` and ``target_label``);
- the scope: its properties as the nodes carry them (``account_id``, ``region``;
  ``vcenter``) and ``scope``, their values joined by ``/`` in the kind's order;
- for a node, ``fields``: the tracked fields that changed (for ``created``, every one with
  a value; for ``deleted``, every one it had), each with ``before_<field>`` (its value
  before, absent for null) and ``after_<field>`` (after), stored as the node stores them
  (temporal values, lists of strings).

A node has a ``created`` for each time it entered the graph.  A node a write makes before
its own collection ran (a shared kind's owner: the region whose images are collected
before its regions are) is created then, by that task, with the properties it was made
with; its own collection's first write is an ``updated`` naming only the fields it fills
in (no ``before_``).  Links never make nodes: they join nodes that exist.

A write compares only what may have changed: each node it writes keeps ``change_digest``,
a digest of the tracked values it was written with (``with_digest``), and a row with the
same digest is unchanged without reading the node's properties.

Fields declared ``tracked=False`` (``model.Field``) are written but never recorded.  Change
nodes have no relationships, so nothing that deletes a node touches them; the housekeeper
deletes them after ``graph.change_retention_days`` (``remove_old``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from neo4j import Driver

import cypher
from model import Kind, Row

LABEL = "InventoryChange"
NODE_CHANGES = ("created", "updated", "deleted")
LINK_CHANGES = ("linked", "unlinked")
CHANGES = NODE_CHANGES + LINK_CHANGES
#: Its indexed properties: the time (newest first) and either end's uid (a history).
INDEXED = ("at", "uid", "target_uid")
#: The property of every written node that holds the digest of its tracked values.
DIGEST = "change_digest"


@dataclass
class ChangeLog:
    """The changes one task records: its id, put on each, and how many it made, per node
    label (created, updated, deleted) or relationship type (linked, unlinked), counted as
    each statement that recorded them is committed (and told to ``counted``, if given)."""

    task_id: str | None = None
    counted: Callable[[str, str, int], None] | None = None
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def count(self, name: str, change: str, n: int = 1) -> None:
        if n:
            self.counts[(name, change)] += n
            if self.counted:
                self.counted(name, change, n)

    def unlinked(self, types: Iterable[str]) -> None:
        for type_ in types:
            self.count(type_, "unlinked")

    def summary(self) -> dict[str, int]:
        """How many of each kind of change, for a task's result."""
        out: Counter[str] = Counter()
        for (_, change), n in self.counts.items():
            out[change] += n
        return dict(sorted(out.items()))


def scope_text(scope: Mapping[str, Any], props: Iterable[str]) -> str:
    """The scope's values joined by ``/`` in the kind's order: ``123456789012/eu-west-1``."""
    return "/".join(str(scope.get(p)) for p in props)


def _scope_of(var: str, props: tuple[str, ...]) -> tuple[str, str]:
    """Cypher for a node's properties ``props`` (its scope's) as a map, and as text (see
    scope_text)."""
    projection = f"{var} {{{', '.join('.' + p for p in props)}}}" if props else "{}"
    text = " + '/' + ".join(f"toString({var}.{p})" for p in props) or "''"
    return projection, text


def link_record(change: str, scope: str = "$scope", text: str = "$scope_text") -> str:
    """The Cypher recording relationship ``r`` as ``change`` (linked or unlinked)."""
    assert change in LINK_CHANGES
    return cypher.render("change_link", change=f"'{change}'", scope=scope, scope_text=text)


def written_record(kind: Kind) -> dict[str, str]:
    """The parts of a node write recording node ``n``, written from ``row``, as created or
    updated: ``changed`` (before the SET: which tracked fields differ, and their values
    before, unless the row's digest is the node's) and ``record`` (the change record of a
    row whose ``change`` is not null)."""
    before = _scope_of("n", kind.tracked)[0]
    return {
        "changed": cypher.render("change_written", before=before),
        "record": cypher.text("change_record"),
    }


def value_properties(kind: Kind) -> list[str]:
    """The properties a change record of ``kind`` may hold for its fields' values (set by
    name in Cypher: ``rec['before_' + f]``)."""
    return [f"{when}_{f}" for f in kind.tracked for when in ("before", "after")]


def with_digest(kind: Kind, row: Row) -> Row:
    """``row`` (checked) with its ``change_digest``: a digest of its tracked values, kept on
    the node it writes, so that the next write of the same values is known unchanged by
    one comparison.  None (removing the node's) when the row leaves a tracked field out:
    the node then keeps a value the row does not know, and its next write compares."""
    try:
        values = _tracked_values(kind.tracked)(row)
    except KeyError:
        row[DIGEST] = None
    else:
        row[DIGEST] = hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()
    return row


@cache
def _tracked_values(tracked: tuple[str, ...]) -> Callable[[Row], Any]:
    # itemgetter: the fastest way to the values (this runs for every row written).
    return itemgetter(*tracked) if tracked else lambda row: ()


def owner_created(owner: Mapping[str, Any], label: str) -> dict[str, Any]:
    """What ``change_owner`` records of an owner node a shared kind's write makes (``uid``,
    ``props`` and ``scope``: the props that are its own kind's scope, e.g. a region's
    account): its scope, and each other property with a value as ``after_<field>``."""
    scope = dict(owner.get("scope") or {})
    fields = [f for f, v in owner["props"].items() if f not in scope and v is not None]
    return {
        "owner_label": label,
        "owner_scope_text": scope_text(scope, scope),
        "owner_fields": fields,
        "owner_values": scope | {f"after_{f}": owner["props"][f] for f in fields},
    }


def deleted_record(kind: Kind) -> str:
    """The Cypher recording node ``n`` (and its relationships) as deleted."""
    scope, text = _scope_of("n", kind.scope)
    values = "".join(f", gone.before_{f} = n.{f}" for f in kind.tracked)
    unlinked = link_record("unlinked", scope, text)
    return cypher.render(
        "change_deleted", scope=scope, scope_text=text, values=values, unlinked=unlinked
    )


def params(kind: Kind, log: ChangeLog, at: datetime) -> dict[str, Any]:
    """What the recording parts of a statement about ``kind`` need."""
    return {
        "at": at,
        "task_id": log.task_id,
        "label": kind.label,
        "provider": kind.provider,
        "tracked": list(kind.tracked),
    }


def remove_old(driver: Driver, database: str, before: datetime, batch_size: int = 10_000) -> int:
    """Delete the changes recorded before ``before``, in bounded transactions; how many."""
    total = 0
    while True:
        records, _, _ = driver.execute_query(
            cypher.text("remove_old_changes"), before=before, batch=batch_size, database_=database
        )
        total += records[0]["removed"]
        if records[0]["removed"] < batch_size:
            return total
