"""What the graph holds, in the numbers a GraphQL cost estimate needs: the nodes of each
label, and for each relationship type and direction as seen from a label (a *side*),
how many such relationships there are and the most any one node has.

Two statements read them.  The counts come from Neo4j's count store (lookups, however
large the graph).  The largest degrees are not kept there: they come from one scan of
each label, each node's degree read from its own relationship counts (getDegree), not by
walking its relationships.  Both stop after the given timeout; degrees that could not be
read are taken as the relationship counts, which no node's degree can exceed: the
numbers are upper bounds, never guesses.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import cache

from neo4j import Driver, Query, RoutingControl
from neo4j.exceptions import Neo4jError

import cypher
from model import Catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Side:
    """One relationship type from one label, outgoing or incoming."""

    label: str
    type: str
    outgoing: bool

    def seen_from(self, other: str) -> Side:
        """The same relationships as seen from the label at their other end."""
        return Side(other, self.type, not self.outgoing)

    @property
    def arrow(self) -> str:
        """The relationship as Cypher between its two ends, ``-[:TYPE]->`` or ``<-[:TYPE]-``
        (type and direction from the catalog)."""
        return f"-[:{self.type}]->" if self.outgoing else f"<-[:{self.type}]-"

    @property
    def pattern(self) -> str:
        """The side as a Cypher pattern from ``n``."""
        return f"(n){self.arrow}()"


def sides(catalog: Catalog) -> set[Side]:
    """Every side the catalog's links have: each link's source out, its target in."""
    out = set()
    for link in catalog.links:
        out.add(Side(link.source, link.type, True))
        out.add(Side(link.target, link.type, False))
    return out


@dataclass
class Statistics:
    """Counts and largest degrees, as read at ``read_at`` (``time.monotonic()``)."""

    nodes: dict[str, int] = field(default_factory=dict)
    links: dict[Side, int] = field(default_factory=dict)
    degrees: dict[Side, int] = field(default_factory=dict)
    read_at: float = 0.0


def _code(file: str, **parts: str) -> str:
    """``<file>.cypher`` rendered, without its comment lines (a part of a statement)."""
    lines = cypher.render(file, **parts).splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


@dataclass(frozen=True)
class Statements:
    """The two statements that read the statistics: ``counts`` (columns n0.. per label,
    r0.. per side), ``degrees`` (d0.. per side), each one plan for all its subqueries,
    which the server keeps (a first read costs about a second of planning, later ones
    milliseconds)."""

    labels: tuple[str, ...]
    sides: tuple[Side, ...]
    counts: str
    degrees: str


@cache
def statements(catalog: Catalog) -> Statements:
    labels = tuple(kind.label for kind in catalog.kinds)
    ordered = tuple(sorted(sides(catalog), key=lambda s: (s.label, s.type, s.outgoing)))
    counts = [_code("count_label", label=lb, column=f"n{i}") for i, lb in enumerate(labels)]
    for i, side in enumerate(ordered):
        file = "count_links_out" if side.outgoing else "count_links_in"
        counts.append(_code(file, label=side.label, type=side.type, column=f"r{i}"))
    scans = []
    for label in sorted({side.label for side in ordered}):
        degrees = ", ".join(
            f"max(COUNT {{ {side.pattern} }}) AS d{i}"
            for i, side in enumerate(ordered)
            if side.label == label
        )
        scans.append(_code("max_degrees", label=label, degrees=degrees))

    def statement(subqueries: list[str], columns: list[str]) -> str:
        return cypher.render(
            "statistics", subqueries="\n".join(subqueries), columns=", ".join(columns)
        )

    columns = [f"n{i}" for i in range(len(labels))] + [f"r{i}" for i in range(len(ordered))]
    return Statements(
        labels,
        ordered,
        statement(counts, columns),
        statement(scans, [f"d{i}" for i in range(len(ordered))]),
    )


def _row(driver: Driver, database: str, timeout: float, statement: str) -> dict[str, int]:
    records, _, _ = driver.execute_query(
        Query(statement, timeout=timeout),  # type: ignore[arg-type]
        database_=database,
        routing_=RoutingControl.READ,
    )
    return {key: int(value or 0) for key, value in records[0].items()}


def read(driver: Driver, database: str, catalog: Catalog, timeout: float) -> Statistics:
    """The graph's statistics now: counts that fail raise; largest degrees that fail
    (past ``timeout``) are taken as the relationship counts, logged."""
    made = statements(catalog)
    found = _row(driver, database, timeout, made.counts)
    stats = Statistics(
        nodes={label: found[f"n{i}"] for i, label in enumerate(made.labels)},
        links={side: found[f"r{i}"] for i, side in enumerate(made.sides)},
    )
    try:
        most = _row(driver, database, timeout, made.degrees)
    except Neo4jError as exc:  # too slow: no node has more than all the relationships
        log.warning("largest degrees not read (%s): relationship counts serve", exc)
        most = {}
    stats.degrees = {s: most.get(f"d{i}", stats.links[s]) for i, s in enumerate(made.sides)}
    stats.read_at = time.monotonic()
    return stats
