"""Ways to filter a page by tag, compared in Cypher on the bench/api.py graph (50,000
instances; tags of every share, from env=prod on a tenth to legal-hold=true on one).

A page is 100 nodes in uid order after a random cursor, as the API reads it.  Ways:
- scan: the uid order from the cursor, tags checked on each node (no index); also what
  the API reads once it has found a filter common (graph.tags.Common);
- fulltext: every match from the kind's full-text index (keyword analyzer), kept after
  the cursor and sorted;
- chosen: cypher/list_tagged.cypher, what the API runs first (the index when it gives
  few matches, else the scan);
- entries: a relationship per tag from each node to itself, {label, tag, key, uid}, with
  range indexes on (label, tag, uid) and (label, key, uid): a seek in uid order;
beside `state=stopped` (a tenth of the instances, no index), the filter every other one
is.  Cases run in turn, one query each, round after round (the machine's noise falls on
all alike); milliseconds seen by the client.  Then what each way costs writes: 10,000 new
tagged nodes in batches of 1,000 (as the writer does), and the same rows again unchanged.
Starts its own Neo4j.  Usage: python bench/tags.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import cypher
from app.config import Settings
from bench.api import INSTANCES_PER_SUBNET, SUBNETS_PER_VPC, VPCS, build
from collectors import CATALOG
from dev.stack import Ports, Stack
from graph import tags
from graph.driver import connect
from graph.reads import projection

KIND = CATALOG.by_label["AWSInstance"]
PAGE = f"""WITH collect({projection("n", KIND)}) AS page
RETURN page[..$limit] AS items, CASE WHEN size(page) > $limit THEN page[$limit - 1].uid END
AS last"""
FULLTEXT = f"""CALL db.index.fulltext.queryNodes($index, $lucene) YIELD node AS n
WITH n WHERE n.uid > $after
WITH n ORDER BY n.uid LIMIT $limit + 1
{PAGE}"""
# The composite index gives uid order only when ordered by all its properties.
ENTRIES = f"""MATCH (n)-[r:TAGGED]->(n)
WHERE r.label = 'AWSInstance' AND r.{{prop}} = $value AND r.uid > $after
WITH n, r ORDER BY r.label, r.{{prop}}, r.uid LIMIT $limit + 1
{PAGE}"""
MAKE_ENTRIES = """UNWIND range($from, $to) AS s
MATCH (:AWSSubnet {uid: 'subnet-' + s})-[:HAS_INSTANCE]->(n)
UNWIND n.tags AS t
CREATE (n)-[:TAGGED {label: 'AWSInstance', tag: t, key: split(t, '=')[0], uid: n.uid}]->(n)"""

# (label, asked, nodes matching) on the bench/api.py graph.
CASES = [
    ("env=prod", ["env=prod"], 5000),
    ("team=team-3", ["team=team-3"], 2500),
    ("Name=app 7", ["Name=app 7"], 1000),
    ("cc=cc-5", ["cc=cc-5"], 500),
    ("owner=alice", ["owner=alice"], 50),
    ("legal-hold=true", ["legal-hold=true"], 1),
    ("key env", ["env"], 50000),
    ("key owner", ["owner"], 50),
    ("env=prod + team=team-3", ["env=prod", "team=team-3"], 250),
]


def statements() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every (case, way): its statement and parameters, after the stopped baseline."""
    out = {
        "state=stopped (no index)": (
            cypher.render(
                "list_nodes",
                label=KIND.label,
                filters=" AND n.state = $filters.state",
                projection=projection("n", KIND),
                encode="",
            ),
            {"filters": {"state": "stopped"}},
        )
    }
    for name, asked, _ in CASES:
        f = tags.parse(asked)
        params = f.params(KIND)
        parts = {"label": KIND.label, "projection": projection("n", KIND), "encode": ""}
        scan = cypher.render("list_nodes", filters=f.where(), **parts)
        chosen = cypher.render("list_tagged", filters="", tags=f.where(), **parts)
        out[f"{name} | scan"] = (scan, params)
        out[f"{name} | fulltext"] = (FULLTEXT, params)
        out[f"{name} | chosen"] = (chosen, params)
        if len(asked) == 1:
            prop, value = ("tag", asked[0]) if "=" in asked[0] else ("key", asked[0])
            out[f"{name} | entries"] = (ENTRIES.replace("{prop}", prop), {"value": value})
    return out


def reads(driver: Any, rounds: int) -> None:
    rng = random.Random(7)
    cases = statements()
    for statement, params in cases.values():  # compiled and warm
        for _ in range(20):
            driver.execute_query(statement, after=f"i-{rng.randrange(1000)}", limit=100, **params)
    times: dict[str, list[float]] = {name: [] for name in cases}
    rows: dict[str, int] = dict.fromkeys(cases, 0)
    for _ in range(rounds):
        after = f"i-{rng.randrange(VPCS * SUBNETS_PER_VPC)}"
        for name, (statement, params) in cases.items():
            t = time.perf_counter()
            found = driver.execute_query(statement, after=after, limit=100, **params).records
            times[name].append(1000 * (time.perf_counter() - t))
            rows[name] += len(found[0]["items"])
    print(f"\n{'case | way':<40} {'p50 ms':>7} {'p99 ms':>7} {'mean':>6} {'items':>6}")
    for name, ts in times.items():
        ts.sort()
        p99 = ts[max(0, round(len(ts) * 0.99) - 1)]
        print(
            f"{name:<40} {statistics.median(ts):>7.1f} {p99:>7.1f}"
            f" {statistics.fmean(ts):>6.1f} {rows[name] / rounds:>6.1f}",
            flush=True,
        )


def writes(driver: Any, rounds: int = 10) -> None:
    """Seconds to write 10 x 1,000 new tagged nodes, then the same rows unchanged."""
    merge = """UNWIND $rows AS row MERGE (n:{label} {{uid: row.uid}})
    ON CREATE SET n.first_seen = datetime()
    {entries}SET n += row, n.last_seen = datetime(){after}"""
    # Entries kept up to date: rewritten when the tags change (new nodes included).
    entries = (
        "WITH n, row, coalesce(n.tags, []) <> coalesce(row.tags, []) AS changed\n",
        """
    WITH n, row WHERE changed
    CALL (n, row) {
      OPTIONAL MATCH (n)-[old:TAGGED]->(n) DELETE old
      WITH DISTINCT n, row
      UNWIND row.tags AS t
      CREATE (n)-[:TAGGED {label: 'BenchEntries', tag: t, key: split(t, '=')[0], uid: n.uid}]->(n)
    }""",
    )
    ways = {
        "no tag index": merge.format(label="BenchPlain", entries="", after=""),
        "full-text index": merge.format(label="BenchFulltext", entries="", after=""),
        "entries": merge.format(label="BenchEntries", entries=entries[0], after=entries[1]),
    }
    for label in ("BenchPlain", "BenchFulltext", "BenchEntries"):
        driver.execute_query(cypher.render("constraint_uid", name=f"{label}_uid", label=label))
    driver.execute_query(
        cypher.render(
            "index_fulltext", name="BenchFulltext_tags", label="BenchFulltext", property="tags"
        )
    )
    driver.execute_query("CALL db.awaitIndexes(300)")

    def batch(r: int) -> list[dict[str, Any]]:
        return [
            {
                "uid": f"b-{r}-{i}",
                "state": "running",
                "tags": [f"env={'prod' if i % 10 == 1 else 'dev'}", f"Name=app {i % 50}",
                         f"team=team-{i % 20}", f"cc=cc-{i % 100}"],
            }
            for i in range(1000)
        ]  # fmt: skip

    for title in ("new", "unchanged"):
        spent = dict.fromkeys(ways, 0.0)
        for r in range(rounds):
            rows = batch(r)
            for name, statement in ways.items():  # in turn, as for the reads
                t = time.perf_counter()
                driver.execute_query(statement, rows=rows)
                spent[name] += time.perf_counter() - t
        print(f"\nwrites, {rounds} x 1,000 {title} nodes with 4 tags each:")
        for name, seconds in spent.items():
            print(f"  {name:<16} {seconds:6.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    stack = Stack.scratch("inventory-bench-tags-", Ports(bolt=38287, http=38074, redis=36879))
    try:
        stack.start(stack.neo4j())
        stack.write_config()
        os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
        settings = Settings()
        t = time.perf_counter()
        nodes = build(settings)
        driver = connect(settings.neo4j)
        driver.execute_query(
            "CREATE INDEX tagged_tag IF NOT EXISTS FOR ()-[r:TAGGED]-() ON (r.label, r.tag, r.uid)"
        )
        driver.execute_query(
            "CREATE INDEX tagged_key IF NOT EXISTS FOR ()-[r:TAGGED]-() ON (r.label, r.key, r.uid)"
        )
        for chunk in range(0, VPCS * SUBNETS_PER_VPC, 100):
            driver.execute_query(MAKE_ENTRIES, **{"from": chunk, "to": chunk + 99})
        driver.execute_query("CALL db.awaitIndexes(300)")
        print(
            f"built {nodes} nodes ({VPCS * SUBNETS_PER_VPC * INSTANCES_PER_SUBNET} instances)"
            f" and their tag entries in {time.perf_counter() - t:.0f}s; {platform.node()},"
            f" {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        reads(driver, args.rounds)
        writes(driver)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        driver.close()
    finally:
        stack.discard()


if __name__ == "__main__":
    main()
