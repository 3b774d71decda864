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
    driver: Driver,
    database: str,
    source: Kind,
    field: str,
    scope: Mapping[str, Any],
    missing_from: Kind | None = None,
    owner: Mapping[str, Any] | None = None,
) -> list[Any]:
    """The values of ``field`` on the ``source`` nodes in ``scope``; with ``missing_from``,
    only those naming no node of that kind in the scope (for a shared kind: none the
    scope's own node, ``owner``, links to)."""
    if missing_from is None:
        held = "false"
    elif link := missing_from.member_of:
        if owner is None:
            raise ValueError(f"{missing_from.label} is shared: its scope's owner is needed")
        target = f"(:{missing_from.label} {{uid: value}})"
        held = f"EXISTS {{ (:{link.source} {{uid: $owner}})-[:{link.type}]->{target} }}"
    else:
        inside = where("m", missing_from.scope)
        held = f"EXISTS {{ MATCH (m:{missing_from.label} {{uid: value}}) WHERE {inside} }}"
    statement = cypher.render(
        "referenced", label=source.label, field=field, scope=where("n", source.scope), held=held
    )
    records, _, _ = driver.execute_query(
        statement, scope=dict(scope), owner=(owner or {}).get("uid"), database_=database
    )
    return list(records[0]["values"])
