"""Values some nodes hold that name nodes of another kind (an instance's ``image_id``),
read for a collection of that kind instead of listing the first kind again
(``collectors.base.Reads``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neo4j import Driver

import cypher
from cypher import where
from model import Kind


def values(
    driver: Driver, database: str, source: Kind, field: str, scope: Mapping[str, Any]
) -> list[Any]:
    """The values of ``field`` on the ``source`` nodes in ``scope``."""
    statement = cypher.render(
        "referenced_values", label=source.label, field=field, scope=where("n", source.scope)
    )
    records, _, _ = driver.execute_query(statement, scope=dict(scope), database_=database)
    return list(records[0]["values"])


def missing(
    driver: Driver,
    database: str,
    source: Kind,
    field: str,
    target: Kind,
    scope: Mapping[str, Any],
    owner: Mapping[str, Any] | None,
) -> list[Any]:
    """The values of ``field`` on the ``source`` nodes in ``scope`` naming no ``target``
    node of the scope: for a shared target, none its scope's own node (``owner``) links to."""
    if target.member_of:
        if owner is None:
            raise ValueError(f"{target.label} is shared: its scope's owner is needed")
        link = target.member_of
        held = f"(:{link.source} {{uid: $owner}})-[:{link.type}]->(:{target.label} {{uid: value}})"
    else:
        held = f"MATCH (m:{target.label} {{uid: value}}) WHERE {where('m', target.scope)}"
    statement = cypher.render(
        "referenced_missing",
        label=source.label,
        field=field,
        scope=where("n", source.scope),
        held=held,
    )
    records, _, _ = driver.execute_query(
        statement, scope=dict(scope), owner=(owner or {}).get("uid"), database_=database
    )
    return list(records[0]["values"])
