"""Link writing: relationships derived from node properties, one type and scope at a time,
each relationship added or removed recorded (``graph.changes``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver

import cypher
from cypher import where
from graph import changes
from graph.changes import ChangeLog
from model import Catalog, Link


@dataclass
class LinkResult:
    linked: int = 0  # merged: new or holding still
    removed: int = 0
    added: int = 0  # of those merged, the new ones


def join(link: Link) -> str:
    """The WHERE fragment matching a source ``s`` to a target ``t``."""

    def value(end: str, prop: str) -> str:
        ref = f"{end}.{prop}"
        if not link.fold_case:
            return ref
        is_list = link.in_list == {"s": "source", "t": "target"}[end]
        return f"[v IN {ref} | toLower(v)]" if is_list else f"toLower({ref})"

    pairs = [(value("s", sp), value("t", tp)) for sp, tp in link.on]
    if link.in_list == "source":
        return " AND ".join(f"{t} IN {s}" for s, t in pairs)
    if link.in_list == "target":
        return " AND ".join(f"{s} IN {t}" for s, t in pairs)
    return " AND ".join(f"{s} = {t}" for s, t in pairs)


def refresh(
    driver: Driver,
    catalog: Catalog,
    link: Link,
    scope: Mapping[str, Any],
    seen_at: datetime,
    database: str,
    batch_size: int = 10_000,
    log: ChangeLog | None = None,
) -> LinkResult:
    """Merge every ``link`` that holds in ``scope`` and remove those that no longer hold;
    each one added or removed is recorded (at ``seen_at``) and counted in ``log``."""
    log = log or ChangeLog()
    scoped_kind = catalog.scoped_kind(link)
    scoped, other = ("t", "s") if link.scoped == "target" else ("s", "t")
    scoped_label, other_label = (
        (link.target, link.source) if link.scoped == "target" else (link.source, link.target)
    )
    params = changes.params(scoped_kind, log, seen_at) | {
        "scope": dict(scope),
        "scope_text": changes.scope_text(scope, scoped_kind.scope),
        "seen_at": seen_at,
    }
    merge = cypher.render(
        "merge_links",
        scoped=scoped,
        scoped_label=scoped_label,
        other=other,
        other_label=other_label,
        scope=where(scoped, scoped_kind.scope),
        join=join(link),
        type=link.type,
        linked=changes.link_record("linked"),
    )
    records, _, _ = driver.execute_query(merge, database_=database, **params)
    result = LinkResult(linked=records[0]["linked"], added=records[0]["added"])
    stale = cypher.render(
        "remove_stale_links",
        source=link.source,
        target=link.target,
        type=link.type,
        scope=where(scoped, scoped_kind.scope),
        join=join(link),
        unlinked=changes.link_record("unlinked"),
    )
    while True:
        records, _, _ = driver.execute_query(stale, batch=batch_size, database_=database, **params)
        result.removed += records[0]["removed"]
        if records[0]["removed"] < batch_size:
            break
    log.count(link.type, "linked", result.added)
    log.count(link.type, "unlinked", result.removed)
    return result


def scopes(driver: Driver, label: str, props: tuple[str, ...], database: str) -> list[dict]:
    """The distinct values of ``props`` over nodes of ``label``: the scopes present."""
    statement = cypher.render(
        "scopes_of_label", label=label, columns=", ".join(f"n.{p} AS {p}" for p in props)
    )
    records, _, _ = driver.execute_query(statement, database_=database)
    return [r.data() for r in records if all(r[p] is not None for p in props)]
