"""What a resource kind is: its label, scope, fields and the links it owns.

A ``Kind`` is the one description from which the row mapping, the graph writes, the
link and cleanup queries, the schema, the REST routes and the GraphQL types follow.
Each ``Field`` says where its value comes from in the provider's record, so a row can
only hold what the kind declares, of the type it declares.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from model.times import utc

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Row = dict[str, Any]
# Where a value is read from in a provider's record: a key path ("State.Name"), or a
# function of the record.
RecordPath = str | Callable[[Any], Any]

#: The types a field may declare; ``list`` is a list of strings.
TYPES: tuple[type, ...] = (str, int, float, bool, datetime, list)


class RowError(ValueError):
    """A provider value does not fit the field that declares it."""


class _Unknown:
    """A value a per-item call failed to give this time (see ``UNKNOWN``)."""

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


#: Put in a record for what the provider could not tell this time (a detail call that
#: failed): the row leaves that field out, so the graph keeps what it knew before.
UNKNOWN = _Unknown()


def check_identifier(name: str) -> None:
    # Labels and property names are spliced into Cypher, so they must be plain identifiers.
    if not _IDENT.match(name):
        raise ValueError(f"{name!r} is not a valid graph identifier")


def read(record: Any, path: RecordPath) -> Any:
    """The value ``path`` names in ``record``: None where any step of a key path is missing.

    A path step reads a mapping's key (a key holding the whole dotted path is taken as
    is, as property collectors name their values) or else an attribute.
    """
    if callable(path):
        return path(record)
    if isinstance(record, Mapping) and path in record:
        return record[path]
    value = record
    for step in path.split("."):
        if value is None or value is UNKNOWN:
            return value
        value = value.get(step) if isinstance(value, Mapping) else getattr(value, step, None)
    return value


@dataclass(frozen=True)
class Field:
    """A node property of ``type`` (str, int, float, bool, datetime or list of str).

    ``path`` is where the value is read from in the provider's record; a field without
    one is not read from the record (scope properties, which the writer sets).
    """

    name: str
    type: type = str
    path: RecordPath | None = None
    filter: bool = False  # offered as an exact-match filter by REST and GraphQL
    doc: str = ""  # what it holds, for the API's schemas; else where it comes from
    # Whether a new value is a change worth recording (graph.changes); False for what moves
    # on its own in an unchanged estate (free space, usage counters, uptime).
    tracked: bool = True

    def __post_init__(self) -> None:
        check_identifier(self.name)
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: type {self.type!r} is not one of {TYPES}")

    @property
    def description(self) -> str:
        if self.doc or not isinstance(self.path, str):
            return self.doc
        return f"The provider's {self.path}."

    def check(self, value: Any) -> Any:
        """``value`` if it fits the declared type (None always does); ints pass as floats,
        and a datetime field takes a datetime or ISO 8601 text, kept as a datetime in UTC."""
        if value is None:
            return None
        t = self.type
        if t is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if t is datetime and isinstance(value, datetime | str):
            # The one place provider times become UTC: text (a provider's ISO 8601) parsed,
            # zones and offsets made Z, so the graph holds one temporal form.
            try:
                return utc(value)
            except ValueError as exc:
                raise RowError(str(exc)) from None
        if t is list:
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return list(value)
        elif isinstance(value, t) and not (t is int and isinstance(value, bool)):
            return value
        raise RowError(f"expected {t.__name__}, got {type(value).__name__} {value!r:.200}")


@dataclass(frozen=True)
class Link:
    """A relationship ``(source)-[:type]->(target)`` between two labels.

    ``on`` pairs a source property with a target property; with ``in_list`` naming a
    side ("source" or "target"), that side's property is a list and the pair matches
    when the other side's value is in it.
    A link task for one scope merges the links whose ``scoped`` end is in that scope
    and removes that end's links of this type that no longer hold.  ``fold_case``
    compares the values without regard to case (DNS names).  ``across_scopes`` says the
    other end may sit in any scope (a DNS record in one account pointing at another's
    address): a collection of that end then has the link refreshed in every scope.
    """

    type: str
    source: str
    target: str
    on: tuple[tuple[str, str], ...]
    forward: str  # field on the source listing its targets ("subnets")
    backward: str  # field on the target naming its source(s) ("vpc")
    forward_many: bool = True
    backward_many: bool = False
    in_list: str = ""  # "source" or "target": the side whose property is a list
    scoped: str = "target"  # which end's scope properties bound a link task
    fold_case: bool = False
    across_scopes: bool = False

    def __post_init__(self) -> None:
        for name in (self.type, self.source, self.target, self.forward, self.backward):
            check_identifier(name)
        for pair in self.on:
            for name in pair:
                check_identifier(name)
        if self.in_list not in ("", "source", "target"):
            raise ValueError(f"link {self.type}: in_list must be '', 'source' or 'target'")
        if self.scoped not in ("source", "target"):
            raise ValueError(f"link {self.type}: scoped must be 'source' or 'target'")

    def other(self, label: str) -> str:
        return self.target if label == self.source else self.source

    @property
    def scoped_label(self) -> str:
        return self.target if self.scoped == "target" else self.source


@dataclass(frozen=True)
class Kind:
    """One resource kind: its label, its plural name for paths and tasks, scope and fields."""

    provider: str  # "aws", "vsphere"
    name: str  # plural, as in task names and REST paths: "instances"
    label: str  # "AWSInstance": the provider's name first, in any case ("VSphereVM")
    scope: tuple[str, ...]  # the properties naming the scope: ("account_id", "region")
    uid: RecordPath  # where the uid comes from in the provider's record
    fields: tuple[Field, ...]
    links: tuple[Link, ...] = ()  # the links this kind owns, derived by link tasks
    # For a kind shared between scopes (an image many accounts use): the link from each
    # scope's own node that says "this scope sees it", written with the nodes.  Cleanup
    # then removes a scope's memberships, and deletes a node only when no scope has it.
    member_of: Link | None = None
    # For a shared kind: (row field, owner node property) naming the scope that owns a
    # record (an image's account, which alone sees its tags).  Each node holds one scope's
    # view: its owner's over any other's; otherwise the first scope's, while it sees it.
    owner_view: tuple[str, str] | None = None
    description: str = ""
    singular: str = ""  # for single-item fields; defaults to the name without its "s"

    def __post_init__(self) -> None:
        check_identifier(self.label)
        if not self.label.lower().startswith(self.provider):
            raise ValueError(f"label {self.label} must start with its provider's name")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.name):
            raise ValueError(f"kind name {self.name!r} must be lower-case words joined by '-'")
        names = [f.name for f in self.fields]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"{self.label} declares {twice} more than once")
        reserved = {f.name for f in COMMON_FIELDS} & set(names)
        if reserved:
            raise ValueError(f"{self.label}: {sorted(reserved)} are set by the writer")
        if self.owner_view:
            if not self.member_of:
                raise ValueError(f"{self.label}: owner_view is for a kind shared between scopes")
            field, prop = self.owner_view
            check_identifier(prop)
            if field not in names:
                raise ValueError(f"{self.label}: owner_view names no field of it: {field!r}")

    @property
    def task(self) -> str:
        return f"{self.provider}:collect-{self.name}"

    @property
    def path(self) -> str:
        return f"/api/v1/{self.provider}/{self.name}"

    @property
    def graphql_list(self) -> str:
        return self.provider + "".join(w.capitalize() for w in self.name.split("-"))

    @property
    def graphql_item(self) -> str:
        words = (self.singular or self.name.removesuffix("s")).split("-")
        return self.provider + "".join(w.capitalize() for w in words)

    @cached_property
    def all_fields(self) -> tuple[Field, ...]:
        scope = tuple(
            Field(name, str, filter=True, doc="Part of the scope the node was collected in.")
            for name in self.scope
        )
        own = tuple(f for f in self.fields if f.name not in self.scope)
        return (*COMMON_FIELDS, *scope, *own)

    @cached_property
    def filters(self) -> tuple[Field, ...]:
        return tuple(f for f in self.all_fields if f.filter)

    @cached_property
    def stored(self) -> tuple[Field, ...]:
        """The fields a row carries: every declared one but the scope's, which the writer sets."""
        return tuple(f for f in self.fields if f.name not in self.scope)

    @cached_property
    def tracked(self) -> tuple[str, ...]:
        """The stored fields whose changes are recorded (never uid, first_seen, last_seen)."""
        return tuple(f.name for f in self.stored if f.tracked)

    def row(self, record: Any) -> Row:
        """The row for one provider record: its uid and every stored field, None if absent."""
        uid = read(record, self.uid)
        if not isinstance(uid, str) or not uid:
            raise RowError(f"{self.label}: no uid in record ({self.uid!r} gave {uid!r:.200})")
        return {"uid": uid, **{f.name: read(record, f.path) for f in self.stored if f.path}}

    def check(self, row: Mapping[str, Any]) -> Row:
        """``row`` with every value checked against its field (RowError names kind and field).

        Keys the kind does not declare are refused, so a misspelt one cannot pass silently.
        A value that is ``UNKNOWN`` is left out, so the node keeps its earlier value.
        """
        fields = {f.name: f for f in self.stored}
        unknown = sorted(set(row) - set(fields) - {"uid"})
        if unknown:
            raise RowError(f"{self.label}: undeclared field(s) {unknown} in row {row.get('uid')}")
        uid = row.get("uid")
        if not isinstance(uid, str) or not uid:
            raise RowError(f"{self.label}: row without a string uid: {uid!r:.200}")
        out: Row = {"uid": uid}
        for name, f in fields.items():
            if row.get(name) is UNKNOWN:
                continue
            try:
                out[name] = f.check(row.get(name))
            except RowError as exc:
                raise RowError(f"{self.label}.{name} of {uid}: {exc}") from None
        return out


COMMON_FIELDS = (
    Field("uid", str, doc="The node's unique id (the provider's own where it has one)."),
    Field("first_seen", datetime, doc="When a collection first saw it."),
    Field("last_seen", datetime, doc="When a collection last saw it."),
)
