"""The declarative description of a resource kind, from which everything else follows.

A ``Kind`` names its label, scope and fields; a ``Link`` names a relationship type and
how its two ends are matched.  The writer, the link and cleanup queries, the schema
migration, the REST routes and the GraphQL types are all derived from these; nothing
here knows a provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_identifier(name: str) -> None:
    # Labels and property names are spliced into Cypher, so they must be plain identifiers.
    if not _IDENT.match(name):
        raise ValueError(f"{name!r} is not a valid graph identifier")


#: Properties every node has, written by the writer rather than by collectors.
COMMON_FIELDS: tuple[Field, ...]


@dataclass(frozen=True)
class Field:
    """A node property. ``type`` is one of str, int, float, bool, datetime or list (of str)."""

    name: str
    type: type = str
    filter: bool = False  # offered as an exact-match filter by REST and GraphQL

    def __post_init__(self) -> None:
        _check_identifier(self.name)


@dataclass(frozen=True)
class Link:
    """A relationship ``(source)-[:type]->(target)`` between two labels.

    ``on`` pairs a source property with a target property; a pair whose source side is
    a list property matches when the target's value is in the list (``in_list``).
    A link task for one scope merges the links whose ``scoped`` end is in that scope
    and removes that end's links of this type that no longer hold.
    """

    type: str
    source: str
    target: str
    on: tuple[tuple[str, str], ...]
    forward: str  # field on the source listing its targets ("subnets")
    backward: str  # field on the target naming its source(s) ("vpc")
    forward_many: bool = True
    backward_many: bool = False
    in_list: bool = False  # the source property is a list holding the target value
    scoped: str = "target"  # which end's scope properties bound a link task

    def __post_init__(self) -> None:
        for name in (self.type, self.source, self.target, self.forward, self.backward):
            _check_identifier(name)
        for pair in self.on:
            for name in pair:
                _check_identifier(name)

    def other(self, label: str) -> str:
        return self.target if label == self.source else self.source


@dataclass(frozen=True)
class Kind:
    """One resource kind: its label, its plural name for paths and tasks, scope and fields."""

    provider: str  # "aws", "vsphere"
    name: str  # plural, as in task names and REST paths: "instances"
    label: str  # "AWSInstance"
    scope: tuple[str, ...]  # scope properties: ("account_id", "region")
    fields: tuple[Field, ...]
    links: tuple[Link, ...] = ()  # the links this kind owns, derived by link tasks
    # For a kind shared between scopes (an image many accounts use): the link from each
    # scope's own node that says "this scope sees it", written with the nodes.  Cleanup
    # then removes a scope's memberships, and deletes a node only when no scope has it.
    member_of: Link | None = None
    description: str = ""
    extra_indexes: tuple[str, ...] = field(default=())
    singular: str = ""  # for single-item fields; defaults to the name without its "s"

    def __post_init__(self) -> None:
        _check_identifier(self.label)
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.name):
            raise ValueError(f"kind name {self.name!r} must be lower-case words joined by '-'")

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

    @property
    def all_fields(self) -> tuple[Field, ...]:
        scope = tuple(Field(name, str, filter=True) for name in self.scope)
        own = tuple(f for f in self.fields if f.name not in self.scope)
        return (*COMMON_FIELDS, *scope, *own)

    @property
    def filters(self) -> tuple[Field, ...]:
        return tuple(f for f in self.all_fields if f.filter)


COMMON_FIELDS = (
    Field("uid", str),
    Field("first_seen", datetime),
    Field("last_seen", datetime),
)


class Catalog:
    """Every kind and link known to the service, looked up by label, task or path."""

    def __init__(self, kinds: list[Kind]) -> None:
        self.kinds = kinds
        self.by_label = {k.label: k for k in kinds}
        self.derived = [link for k in kinds for link in k.links]
        self.links = self.derived + [k.member_of for k in kinds if k.member_of]
        for link in self.links:
            for label in (link.source, link.target):
                if label not in self.by_label:
                    raise ValueError(f"link {link.type} names unknown label {label}")
        for kind in kinds:
            # Relationship fields sit beside properties in GraphQL: no name may be taken twice.
            names = [f.name for f in kind.all_fields] + [
                lk.forward if lk.source == kind.label else lk.backward
                for lk in self.links_of(kind.label)
            ]
            taken = sorted({n for n in names if names.count(n) > 1})
            if taken:
                raise ValueError(f"{kind.label} has more than one field named {taken}")

    def provider_kinds(self, provider: str) -> list[Kind]:
        return [k for k in self.kinds if k.provider == provider]

    def links_of(self, label: str) -> list[Link]:
        return [lk for lk in self.links if label in (lk.source, lk.target)]

    def scoped_kind(self, link: Link) -> Kind:
        return self.by_label[link.target if link.scoped == "target" else link.source]
