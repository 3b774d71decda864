"""Schema migration: a uid constraint per label and the indexes that scoped queries and
link joins need, all derived from the catalog and created idempotently; and the times
older versions stored in another form, made the one stored form (a datetime in UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from neo4j import Driver
from neo4j.exceptions import Neo4jError

import cypher
from graph import changes, reports, status, tags
from model import Catalog


class MigrationError(Exception):
    """A stored value the migration cannot convert; the message names where it is."""


@dataclass(frozen=True)
class Migration:
    statements: list[str]  # the schema statements run
    converted: dict[str, int]  # per label or relationship type: those whose times changed


def statements(catalog: Catalog) -> list[str]:
    """Every schema statement, in a stable order."""
    wanted: dict[tuple[str, tuple[str, ...]], None] = {}
    for kind in catalog.kinds:
        wanted[(kind.label, kind.scope)] = None
        wanted[(kind.label, ("last_seen",))] = None
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
    # The change records (graph.changes): read newest first, and by either end's uid.
    for prop in changes.INDEXED:
        wanted[(changes.LABEL, (prop,))] = None
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
    # Tag filters (graph.tags) find rare tags through these.
    for kind in catalog.kinds:
        if tags.tagged(kind):
            name = tags.index_name(kind)
            out.append(
                cypher.render("index_fulltext", name=name, label=kind.label, property=tags.FIELD)
            )
    return out


def time_properties(catalog: Catalog) -> list[tuple[str, str, tuple[str, ...]]]:
    """Where times are stored: (label or type, a Cypher pattern binding ``n``, the time
    properties) for every kind, the collections' nodes and every relationship type."""
    out = []
    for kind in catalog.kinds:
        props = tuple(f.name for f in kind.all_fields if f.type is datetime)
        out.append((kind.label, f"(n:{kind.label})", props))
    out.append((status.LABEL, f"(n:{status.LABEL})", status.TIMES))
    for type_ in sorted({link.type for link in catalog.links}):
        out.append((type_, f"()-[n:{type_}]->()", ("first_seen", "last_seen")))
    return out


def convert_times(
    driver: Driver, catalog: Catalog, database: str, batch_size: int = 1000
) -> dict[str, int]:
    """Make every time stored in another form a datetime in UTC, in batches; how many
    nodes or relationships changed, per label or type (none on a second run)."""
    converted = {}
    # CALL { } IN TRANSACTIONS commits its own batches: it needs an auto-commit session.
    with driver.session(database=database) as session:
        for name, pattern, props in time_properties(catalog):
            statement = cypher.render("convert_times", pattern=pattern)
            try:
                found = session.run(statement, properties=list(props), batch=batch_size)
                converted[name] = found.single(strict=True)["converted"]
            except Neo4jError as exc:
                raise MigrationError(
                    f"a time of {name} ({', '.join(props)}) could not be converted: "
                    f"{exc.message}; correct or remove that value and migrate again"
                ) from None
    return converted


def migrate(driver: Driver, catalog: Catalog, database: str, batch_size: int = 1000) -> Migration:
    """Create whatever is missing and convert what older versions stored."""
    done = statements(catalog)
    for statement in done:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return Migration(done, convert_times(driver, catalog, database, batch_size))
