"""Schema migration: a uid constraint per label and the indexes that scoped queries and
link joins need, all derived from the catalog and created idempotently."""

from __future__ import annotations

from neo4j import Driver

import cypher
from graph import reports, status
from model import Catalog


def statements(catalog: Catalog) -> list[str]:
    """Every schema statement, in a stable order."""
    wanted: dict[tuple[str, tuple[str, ...]], None] = {}
    for kind in catalog.kinds:
        wanted[(kind.label, kind.scope)] = None
        wanted[(kind.label, ("last_seen",))] = None
        for prop in kind.extra_indexes:
            wanted[(kind.label, (prop,))] = None
    for link in catalog.links:
        # The end that is not scoped is found through the join properties.
        if link.scoped == "target":
            label, props = link.source, tuple(s for s, _ in link.on)
        else:
            label, props = link.target, tuple(t for _, t in link.on)
        if props != ("uid",):
            wanted[(label, props)] = None

    # What reports look things up by (their ``index:`` lines).
    for report in reports.catalog().values():
        for label, prop in report.indexes:
            wanted[(label, (prop,))] = None
    # The collections' own records (graph.status), looked up by uid and by kind.
    wanted[(status.LABEL, ("label",))] = None
    labels = [kind.label for kind in catalog.kinds] + [status.LABEL]
    out = [cypher.render("constraint_uid", name=f"{label}_uid", label=label) for label in labels]
    for label, props in wanted:
        if not props:
            continue
        out.append(
            cypher.render(
                "index_props",
                name=f"{label}_{'_'.join(props)}",
                label=label,
                properties=", ".join(f"n.{p}" for p in props),
            )
        )
    return out


def migrate(driver: Driver, catalog: Catalog, database: str) -> list[str]:
    """Create whatever is missing; return the statements run."""
    done = statements(catalog)
    for statement in done:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return done
