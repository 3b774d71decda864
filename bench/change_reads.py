"""Reading changes with a million change records in Neo4j: the first page of
``GET /api/v1/changes`` (unfiltered, and filtered by label, kind of change and scope), a
page deep in the list (from a cursor), a resource's history, and a resource rebuilt as it
was (``?at=``).

Starts its own Neo4j and Redis (free ports, a temp folder; ``--keep`` leaves it running) and
makes the records with ``UNWIND`` in batches: ``--records`` (1,000,000) over 30 days, in
groups of 200 sharing one time (a collection's records share its time), for
``--resources`` (50,000) resources of every label of the catalog, each with as many
records in turn (20): created first, then updated, linked and unlinked, and for one in
two deleted at the end (no node is made: every history and rebuild reads the records).
Each case runs ``--repeat`` times after one warm-up run; p50, p95 and the slowest are given,
for the graph read (graph.history, through the API's reader) and for the whole request
(the API app in process, through its ASGI interface: routing, validation, JSON).
Usage: python bench/change_reads.py [--records 1000000] [--repeat 20] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The repository, not bench/, first: bench/queue.py would shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app.config import Neo4jConfig
from bench.collect_aws import machine
from collectors import CATALOG
from dev.stack import Ports, Stack, free_port
from graph import history, schema
from graph.driver import connect
from graph.history import Asked
from graph.reads import Reader

# A record per row: i numbers it, r is its resource (uid and label from r), k counts the
# resource's records (in time order), g is the group of 200 sharing a time.
MAKE = """
UNWIND range($start, $end - 1) AS i
WITH i, i % $resources AS r, i / $resources AS k, i / 200 AS g
WITH i, r, $labels[r % size($labels)] AS label, $start_at + duration({seconds: g * $step}) AS at,
     CASE WHEN k = 0 THEN 'created' WHEN k = $last AND r % 2 = 0 THEN 'deleted'
          WHEN k % 5 = 3 THEN 'linked' WHEN k % 5 = 4 THEN 'unlinked' ELSE 'updated' END
       AS change
CREATE (c:InventoryChange {id: randomUUID(), at: at, task_id: 'bench-' + toString(i / 200),
                           change: change, uid: 'r-' + toString(r), label: label,
                           provider: 'aws', account_id: '1234567890' + toString(r % 10),
                           region: 'eu-west-1',
                           scope: '1234567890' + toString(r % 10) + '/eu-west-1'})
FOREACH (_ IN CASE WHEN change IN ['linked', 'unlinked'] THEN [1] ELSE [] END |
  SET c.type = 'HAS_THING', c.target_uid = 'r-' + toString((r + 1) % $resources),
      c.target_label = $labels[(r + 1) % size($labels)])
FOREACH (_ IN CASE WHEN change IN ['created', 'updated', 'deleted'] THEN [1] ELSE [] END |
  SET c.fields = ['state'], c.before_state = CASE WHEN change <> 'created' THEN 'running' END,
      c.after_state = CASE WHEN change <> 'deleted' THEN 'stopped' END)
"""
DAYS = 30


def make(driver: Any, records: int, resources: int, batch: int = 50_000) -> datetime:
    """``records`` change records (see the module's doc); the time of the newest."""
    start_at = datetime.now(UTC) - timedelta(days=DAYS)
    step = DAYS * 86400 / (records / 200)
    labels = [k.label for k in CATALOG.kinds]
    for start in range(0, records, batch):
        driver.execute_query(
            MAKE,
            start=start,
            end=min(records, start + batch),
            resources=resources,
            last=records // resources - 1,
            labels=labels,
            start_at=start_at,
            step=int(step),
            database_="neo4j",
        )
        print(f"  {min(records, start + batch):,} records", end="\r", flush=True)
    print()
    return start_at + timedelta(seconds=int(step) * ((records - 1) // 200))


Case = Callable[[], Awaitable[Any]]


async def timed(case: Case, repeat: int) -> tuple[float, float, float]:
    """p50, p95 and the slowest of ``repeat`` runs, in ms, after a warm-up run."""
    await case()  # warm-up: the plan cached, the pages in memory
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        await case()
        took.append((time.perf_counter() - start) * 1000)
    took.sort()
    return statistics.median(took), took[int(0.95 * (len(took) - 1))], took[-1]


# A resource deleted at the end (an even one: see MAKE), and its kind.
UID = "r-6"
KIND = CATALOG.kinds[6 % len(CATALOG.kinds)]


def graph_cases(reader: Reader, newest: datetime) -> dict[str, Case]:
    async def first(asked: Asked) -> Any:
        return await history.page_async(reader, asked, None, 100)

    async def deep() -> Any:  # the tenth page, from the ninth's position
        return await history.page_async(reader, Asked(), (newest - timedelta(hours=1), "~"), 100)

    return {
        "changes, first page": lambda: first(Asked()),
        "changes since 1h": lambda: first(Asked(since=newest - timedelta(hours=1))),
        "changes, label=AWSInstance": lambda: first(Asked(labels=("AWSInstance",))),
        "changes, change=deleted": lambda: first(Asked(changes=("deleted",))),
        "changes, scope=1234567890/eu-west-1": lambda: first(Asked(scope="12345678901")),
        "changes, a page an hour back": deep,
        # A filter nothing matches reads back through the whole time index: the worst case,
        # and since= bounding it.
        "changes, scope=999 (none: worst case)": lambda: first(Asked(scope="999")),
        "changes, scope=999, since=1d": lambda: first(
            Asked(scope="999", since=newest - timedelta(days=1))
        ),
        f"changes, uid={UID}": lambda: first(Asked(uid=UID)),
        "history of one resource": lambda: history.page_async(
            reader, Asked(uid=UID), None, 100, of=KIND.label
        ),
        "one resource 15 days ago (?at=)": lambda: history.as_of(
            reader, KIND, UID, newest - timedelta(days=15)
        ),
    }


def api_cases(settings: Any) -> tuple[Any, dict[str, str]]:
    """The API app (its lifespan to run) and the requests to time through it."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(settings))
    return client, {
        "GET /api/v1/changes": "/api/v1/changes",
        "GET /api/v1/changes?label=AWSInstance": "/api/v1/changes?label=AWSInstance",
        "GET …/{uid}/history": f"{KIND.path}/{UID}/history",
        "GET …/{uid}?at=15d": f"{KIND.path}/{UID}?at=15d",
    }


def run(args: argparse.Namespace, stack: Stack) -> None:
    config = Neo4jConfig(
        uri=f"bolt://127.0.0.1:{stack.ports.bolt}", password=stack.secrets.neo4j_password
    )
    driver = connect(config)
    schema.migrate(driver, CATALOG, "neo4j")
    started = time.perf_counter()
    newest = make(driver, args.records, args.resources)
    print(f"{args.records:,} records made in {time.perf_counter() - started:.0f} s")
    reader = Reader(driver, "neo4j", CATALOG, 30)
    rows = []
    for name, case in graph_cases(reader, newest).items():
        rows.append(("graph", name, *asyncio.run(timed(case, args.repeat))))
    rows += request_rows(args, stack)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"\n{args.records:,} change records; {machine()}; {args.repeat} runs; load {load}")
    print(f"{'':6} {'case':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for where, name, p50, p95, most in rows:
        print(f"{where:6} {name:<44} {p50:8.1f} {p95:8.1f} {most:8.1f}")
    driver.close()


def request_rows(args: argparse.Namespace, stack: Stack) -> list[tuple[Any, ...]]:
    from app.config import Settings

    stack.start(stack.redis())
    stack.write_config({"api": {"cache_mb": 0}})  # every answer read: no kept answers
    os.environ["INVENTORY_CONFIG"] = str(stack.config_path)
    client, paths = api_cases(Settings())
    headers = {"Authorization": f"Bearer {stack.secrets.read_token}"}
    rows = []
    with client:
        for name, path in paths.items():

            async def get(path: str = path) -> None:
                answer = client.get(path, headers=headers)
                assert answer.status_code == 200, answer.text

            rows.append(("API", name, *asyncio.run(timed(get, args.repeat))))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--resources", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="leave Neo4j running at the end")
    args = ap.parse_args()
    ports = {name: free_port() for name in ("api", "bolt", "http", "redis", "moto")}
    stack = Stack.scratch("inventory-bench-", Ports(**ports))
    try:
        print("starting Neo4j …", flush=True)
        stack.start(stack.neo4j())
        run(args, stack)
    finally:
        if args.keep:
            print(
                f"Neo4j left at bolt://127.0.0.1:{stack.ports.bolt}, password "
                f"{stack.secrets.neo4j_password}, home {stack.home}"
            )
        else:
            stack.discard()


if __name__ == "__main__":
    main()
