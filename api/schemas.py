"""The typed answers of the kinds' routes, made from the catalog: a model per kind (each
field with its JSON type, ``date-time`` for times, nullable but the uid, and its
description), its list page, its item with relationships, and the OpenAPI links from a
page's items to their item and relationship routes, so that a client generator types
every answer and a tool can walk the API from any list."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema, create_model

from graph.changes import CHANGES
from model import Catalog, Kind, Link

# A time as the API gives it (RFC 3339, UTC, milliseconds: model.times.rfc3339), passed on
# as that text: a datetime would be written again with microseconds.
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def value_type(declared: type, time: Any = Time) -> Any:
    """The type of a field's or a report column's values on the API, from the type the
    model declares: a list is a list of text, a time is ``time`` (RFC 3339 text on REST,
    GraphQL's DateTime scalar there), the rest as declared."""
    return time if declared is datetime else list[str] if declared is list else declared


def parameter_type(declared: type) -> Any:
    """The type of an exact-match query parameter on a field: a time or a list member is
    given as text."""
    return str if declared in (datetime, list) else declared


class Relationship(BaseModel):
    """One relationship of an item: its type, direction and the node at its other end."""

    type: str = Field(description="The relationship type, e.g. HAS_SUBNET.")
    direction: Literal["in", "out"] = Field(description="out: from this item; in: to it.")
    label: str = Field(description="The other node's label.")
    uid: str = Field(description="The other node's uid.")
    name: str | None = Field(None, description="The other node's name, if it has one.")
    path: str | None = Field(None, description="The other node's item route.")


# A tracked field's value in a change record: any type a field may declare (times as text).
Value = str | int | float | bool | list[str] | None


#: What a change did (graph.changes).
ChangeKind = Literal[CHANGES]  # type: ignore[valid-type]


class FieldChange(BaseModel):
    """One tracked field of a node change, with its values (null: none)."""

    field: str
    before: Value = Field(description="Its value before (null for a created node).")
    after: Value = Field(description="Its value after (null for a deleted node).")


class Change(BaseModel):
    """What one collection, link task or housekeeping changed in the graph: a node
    created, updated or deleted, or a relationship linked or unlinked."""

    id: str
    at: Time = Field(description="When the write that made it saw the change.")
    task_id: str | None = Field(description="The task whose write it was.")
    change: ChangeKind
    uid: str = Field(description="The node's uid (a relationship's: its start node's).")
    label: str = Field(description="Its label.")
    provider: str
    scope: str = Field(description="Where it was collected: its scope's values joined by /.")
    fields: list[FieldChange] = Field(
        description="For a node: each tracked field that changed (created: every one with "
        "a value; deleted: every one it had).  Empty for a relationship."
    )
    type: str | None = Field(None, description="A relationship's type.")
    target_uid: str | None = Field(None, description="A relationship's end node's uid.")
    target_label: str | None = Field(None, description="A relationship's end node's label.")


class ChangePage(BaseModel):
    """A page of changes, newest first."""

    items: list[Change]
    next_cursor: str | None = Field(description="Pass as cursor for the next page.")


class Reconstruction(BaseModel):
    """How an item asked for ``at`` a time was rebuilt: from the node as it is now
    (``present``) or from the record of its deletion (``deleted``), undoing each change
    recorded after that time.  Only tracked fields and relationships are recorded: the
    ``untracked`` fields are null in it, whatever they held then."""

    at: Time = Field(description="The time it is as of.")
    start: Literal["present", "deleted"]
    changes_undone: int
    untracked: list[str] = Field(description="Fields it cannot know: null in the item.")


@cache
def node(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for f in kind.all_fields:
        if f.name == "uid":
            fields["uid"] = (str, Field(description=f.description))
        else:
            fields[f.name] = (value_type(f.type) | None, Field(None, description=f.description))
    doc = kind.description or f"A {kind.label} node."
    return create_model(kind.label, __doc__=doc, **fields)


@cache
def page(kind: Kind) -> type[BaseModel]:
    return create_model(
        f"{kind.label}Page",
        __doc__=f"A page of {kind.label} nodes in uid order.",
        items=(list[node(kind)], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, Field(description="Pass as cursor for the next page.")),
    )


@cache
def item(kind: Kind) -> type[BaseModel]:
    return create_model(
        f"{kind.label}Item",
        __doc__=f"One {kind.label} with its relationships.",
        item=(node(kind), ...),
        relationships=(list[Relationship], ...),
        reconstruction=(
            Reconstruction | None,
            Field(None, description="With `at`: how it was rebuilt from the changes."),
        ),
    )


def operation(kind: Kind, what: str = "list", relation: str = "") -> str:
    """The operation id of a kind's list, item (``get``) or relationship route."""
    name = kind.name.replace("-", "_")
    if what == "get":
        return f"get_{kind.provider}_{(kind.singular or name.removesuffix('s')).replace('-', '_')}"
    if what == "related":
        return f"{kind.provider}_{name}_{relation}"
    if what == "history":
        return operation(kind, "get").replace("get_", "history_", 1)
    return f"list_{kind.provider}_{name}"


def list_links(kind: Kind, related: dict[str, Link]) -> dict[str, Any]:
    """From a list page: the first item whole, its relationships, and the next page."""
    first = {"uid": "$response.body#/items/0/uid"}
    links: dict[str, Any] = {
        "item": {
            "operationId": operation(kind, "get"),
            "parameters": first,
            "description": "The first item of the page, with its relationships.",
        },
        "next_page": {
            "operationId": operation(kind),
            "parameters": {"cursor": "$response.body#/next_cursor"},
            "description": "The next page.",
        },
        "history": {
            "operationId": operation(kind, "history"),
            "parameters": first,
            "description": "The first item's changes, newest first.",
        },
    }
    for name in related:
        links[name] = {
            "operationId": operation(kind, "related", name),
            "parameters": first,
            "description": f"The first item's {name}.",
        }
    return links


def item_links(kind: Kind, related: dict[str, Link]) -> dict[str, Any]:
    """From an item: its relationship pages and its history."""
    links = {
        name: {
            "operationId": operation(kind, "related", name),
            "parameters": {"uid": "$request.path.uid"},
            "description": f"The item's {name}, a page at a time.",
        }
        for name in related
    }
    links["history"] = {
        "operationId": operation(kind, "history"),
        "parameters": {"uid": "$request.path.uid"},
        "description": "The item's changes, newest first.",
    }
    return links


def related_links(catalog: Catalog, kind: Kind, link: Link) -> dict[str, Any]:
    """From a relationship page: the first related node whole."""
    other = catalog.by_label[link.other(kind.label)]
    return {
        "item": {
            "operationId": operation(other, "get"),
            "parameters": {"uid": "$response.body#/items/0/uid"},
            "description": f"The first {other.label} of the page, with its relationships.",
        }
    }
