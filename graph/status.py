"""What the graph keeps of its collections: per kind and scope, the last success and the
last failure with its error, as ``InventoryCollection`` nodes.

They live in the graph, beside the nodes they vouch for, so that the housekeeper can keep
what failures kept from being seen (nodes last seen before a failure, with no successful
collection begun since) and reports can list failing scopes, each in one query.  A node
is named by the task's payload (an account's name, a vCenter's), which is known even when
the collection fails before it learns the scope's properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from neo4j import Driver

import cypher
from cypher import Statement
from model import Kind

LABEL = "InventoryCollection"
# Its times, stored as datetimes in UTC like every node's (see graph.schema.convert_times).
TIMES = ("first_seen", "last_success", "last_failure", "last_success_seen_at")


def uid(kind: Kind, payload: Mapping[str, Any]) -> str:
    return "|".join([kind.label, *(f"{k}={payload[k]}" for k in sorted(payload))])


def scope_name(uid: str) -> str:
    """The scope a collection node is named for, as its payload's values: ``main/eu-west-1``
    (an account and region), ``vc-a`` (a vCenter)."""
    return "/".join(part.partition("=")[2] for part in uid.split("|")[1:])


def overview(driver: Driver, database: str) -> list[dict[str, Any]]:
    """Per kind and scope: the last success and failure (epoch seconds or None) and the
    attempts failed since that success, with the scope's name."""
    records, _, _ = driver.execute_query(
        cypher.text("collection_status"), database_=database, routing_="r"
    )
    return [{**r.data(), "scope": scope_name(r["uid"])} for r in records]


def _props(kind: Kind, payload: Mapping[str, Any], scope: Mapping[str, Any]) -> dict[str, Any]:
    return {"label": kind.label, "provider": kind.provider, "task": kind.task, **payload, **scope}


def success(
    kind: Kind,
    payload: Mapping[str, Any],
    scope: Mapping[str, Any],
    seen_at: datetime,
    task_id: str | None,
    warnings: int,
) -> Statement:
    """The statement recording a collection's success, to run in its cleanup's last
    transaction (``Writer.remove_stale``'s ``then``): both commit, or neither."""
    params = {
        "uid": uid(kind, payload),
        "props": _props(kind, payload, scope),
        "seen_at": seen_at,
        "task_id": task_id,
        "warnings": warnings,
    }
    return Statement(cypher.text("collection_succeeded"), params)


def succeeded(
    driver: Driver,
    database: str,
    kind: Kind,
    payload: Mapping[str, Any],
    scope: Mapping[str, Any],
    seen_at: datetime,
    task_id: str | None,
    warnings: int,
) -> None:
    done = success(kind, payload, scope, seen_at, task_id, warnings)
    driver.execute_query(done.text, done.params, database_=database)


def failed(
    driver: Driver,
    database: str,
    kind: Kind,
    payload: Mapping[str, Any],
    error: str,
    task_id: str | None,
) -> None:
    driver.execute_query(
        cypher.text("collection_failed"),
        uid=uid(kind, payload),
        props=_props(kind, payload, {}),
        error=error[:1000],
        task_id=task_id,
        database_=database,
    )
