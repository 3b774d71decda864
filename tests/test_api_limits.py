"""The API under abuse: GraphQL depth, alias, field, page and cost limits (the cost from
the graph's own statistics) refused before any read of the graph's data; relationship
pages on GraphQL and REST; bodies limited before they are read or a token is looked at;
every graph read time-limited."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from app.config import GraphQLLimits, Settings
from dev.stack import Stack
from graph import statistics
from graph.statistics import Side
from worker.runtime import Runtime


def graphql(client: TestClient, headers: dict, query: str, **variables: object) -> dict:
    reply = client.post("/graphql", headers=headers, json={"query": query, "variables": variables})
    assert reply.status_code == 200, reply.text
    return reply.json()


def _refused(body: dict, limit: str) -> str:
    """The message of the refusal for ``limit`` (a query may break several)."""
    assert body["data"] is None
    (error,) = [e for e in body["errors"] if e["extensions"].get("limit") == limit]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    return error["message"]


NESTED = "{ awsSecurityGroups { instances { securityGroups { instances { securityGroups { " \
    "instances { uid } } } } } } }"  # fmt: skip


def test_a_query_too_deep_is_refused_before_any_read(
    client: TestClient, read: dict, reads: list[str]
) -> None:
    start = time.monotonic()
    message = _refused(graphql(client, read, NESTED), "depth")
    assert message == "query depth 7 is over the limit of 6: nest fewer levels"
    assert reads == [] and time.monotonic() - start < 5


def test_too_many_aliases_are_refused_before_any_read(
    client: TestClient, read: dict, reads: list[str]
) -> None:
    query = "{ " + " ".join(f"a{n}: awsVpcs(limit: 1) {{ uid }}" for n in range(30)) + " }"
    assert "query aliases 30 is over the limit of 10" in _refused(
        graphql(client, read, query), "aliases"
    )
    assert reads == []


def test_big_pages_over_a_small_graph_are_use_not_abuse(
    client: TestClient, read: dict, reads: list[str]
) -> None:
    """The cost is what the graph can return, not the pages' product: 1,000 VPCs, 1,000
    subnets each and 1,000 instances each (page sizes alone said 1,001,001,000) is every
    VPC, subnet and instance of the demo at most."""
    query = "query($n: Int!) { awsVpcs(limit: $n) { subnets(first: $n) { instances(first: $n) { uid } } } }"  # noqa: E501
    body = graphql(client, read, query, n=1000)
    assert body.get("errors") is None and body["data"]["awsVpcs"]
    assert len(reads) == 1  # the whole query in one read (api/graphql_compile.py)
    # So does three levels at the default page sizes (100, then 25 per relationship).
    body = graphql(client, read, "{ awsVpcs { subnets { instances { uid } } } }")
    assert body.get("errors") is None and body["data"]["awsVpcs"]
    assert len(reads) == 2


def test_pages_larger_than_the_largest_are_refused_before_any_read(
    client: TestClient, read: dict, reads: list[str]
) -> None:
    body = graphql(client, read, "{ awsVpcs(limit: 1) { subnets(first: 5000) { uid } } }")
    message = _refused(body, "page")
    assert message == "first must be between 1 and 1000 (api.max_page_size): subnets(first: 5000)"
    assert reads == []


GROUPS = "query($n: Int!) { awsSecurityGroups(limit: $n) { instances(first: $n) { " \
    "securityGroups(first: $n) { instances(first: $n) { uid } } } } }"  # fmt: skip


def test_a_query_whose_real_fan_out_is_huge_is_refused_by_its_cost(
    settings: Settings, collected: Runtime, read: dict, reads: list[str]
) -> None:
    """One security group of 1,000 instances: its instances' groups are that group again,
    each with its 1,000 instances, so with pages of 1,000 the fourth level alone is a
    million rows, and the cost says so before any read."""
    collected.driver.execute_query(
        "CREATE (g:AWSSecurityGroup {uid: 'sg-fan', account_id: 'fan'}) WITH g "
        "UNWIND range(1, 1000) AS n "
        "CREATE (:AWSInstance {uid: 'i-fan-' + n, account_id: 'fan'})-[:IN_SECURITY_GROUP]->(g)"
    )
    try:
        with TestClient(create_app(settings)) as fresh:  # statistics read with the group
            message = _refused(graphql(fresh, read, GROUPS, n=1000), "cost")
            assert reads == []
            found = re.fullmatch(r"query cost (\d+) is over the limit of 100000: .*", message)
            assert found and int(found.group(1)) > 1_000_000, message
            # The same shape with small pages passes, in one read.
            body = graphql(fresh, read, GROUPS, n=10)
            assert body.get("errors") is None and body["data"]["awsSecurityGroups"]
            assert len(reads) == 1
            # Validation is cached per query text; the limits, which depend on the
            # variables, not.
            _refused(graphql(fresh, read, GROUPS, n=1000), "cost")
            assert len(reads) == 1
    finally:
        collected.driver.execute_query("MATCH (n {account_id: 'fan'}) DETACH DELETE n")


def test_the_statistics_are_the_graphs_own_and_read_without_walking_relationships(
    collected: Runtime,
) -> None:
    driver, database = collected.driver, collected.settings.neo4j.database
    stats = statistics.read(driver, database, collected.catalog, 10)

    def one(query: str) -> int:
        records, _, _ = driver.execute_query(query, database_=database)
        return records[0][0]

    assert stats.nodes["AWSInstance"] == one("MATCH (n:AWSInstance) RETURN count(n)") > 0
    side = Side("AWSSubnet", "HAS_INSTANCE", True)
    assert stats.links[side] == one("MATCH (:AWSSubnet)-[r:HAS_INSTANCE]->() RETURN count(r)")
    busiest = "MATCH (s:AWSSubnet)-[:HAS_INSTANCE]->(i) WITH s, count(i) AS n RETURN max(n)"
    assert stats.degrees[side] == one(busiest) > 1
    # Seen from an instance, the degree counts every HAS_INSTANCE coming in (its subnet's, and
    # its Auto Scaling group's where it has one): Neo4j's degree knows no other end's label.
    most = "MATCH (i:AWSInstance) RETURN max(COUNT { (i)<-[:HAS_INSTANCE]-() })"
    assert stats.degrees[side.seen_from("AWSInstance")] == one(most) >= 1
    # Counts come from the count store, degrees from each node's relationship counts: no
    # statement walks a relationship (no Expand), and the counts scan no label either.
    made = statistics.statements(collected.catalog)
    for statement, must, never in (
        (made.counts, "CountFromCountStore", ("Expand", "Scan")),
        (made.degrees, "getDegree", ("Expand",)),
    ):
        _, summary, _ = driver.execute_query("EXPLAIN " + statement, database_=database)
        plan = summary.plan["args"]["string-representation"]
        assert must in plan and not any(word in plan for word in never), plan


def test_too_many_fields_are_refused(settings: Settings, collected: Runtime, read: dict) -> None:
    strict = settings.model_copy(
        update={"api": settings.api.model_copy(update={"graphql": GraphQLLimits(max_fields=3)})}
    )
    with TestClient(create_app(strict)) as c:
        body = graphql(c, read, "{ awsVpcs { uid name cidrBlock state } }")
    assert "query fields 5 is over the limit of 3" in _refused(body, "fields")


def test_relationship_lists_come_in_pages_on_graphql(client: TestClient, read: dict) -> None:
    query = """query($after: String) { awsVpcs(filter: {name: "main-prod"}, limit: 1) {
        subnets(first: 1, after: $after) { uid } } }"""
    seen: list[str] = []
    after = None
    for _ in range(5):
        page = graphql(client, read, query, after=after)["data"]["awsVpcs"][0]["subnets"]
        if not page:
            break
        seen += [s["uid"] for s in page]
        after = page[-1]["uid"]
    every = graphql(
        client, read, '{ awsVpcs(filter: {name: "main-prod"}, limit: 1) { subnets { uid } } }'
    )
    assert seen == [s["uid"] for s in every["data"]["awsVpcs"][0]["subnets"]] and len(seen) == 2
    body = graphql(client, read, "{ awsVpcs(limit: 1) { subnets(first: 5000) { uid } } }")
    assert "first must be between 1 and 1000" in body["errors"][0]["message"]


def test_relationship_lists_come_in_pages_on_rest(client: TestClient, read: dict) -> None:
    vpc = client.get("/api/v1/aws/vpcs", headers=read, params={"name": "main-prod", "limit": 1})
    uid = vpc.json()["items"][0]["uid"]
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/aws/vpcs/{uid}/subnets", headers=read, params=params).json()
        seen += [s["uid"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    item = client.get(f"/api/v1/aws/vpcs/{uid}", headers=read).json()
    assert seen == sorted(r["uid"] for r in item["relationships"] if r["type"] == "HAS_SUBNET")
    assert len(seen) == 2
    assert client.get("/api/v1/aws/vpcs/vpc-nope/subnets", headers=read).status_code == 404
    assert (
        client.get("/api/v1/aws/vpcs/x/subnets", params={"limit": 0}, headers=read).status_code
        == 422
    )


def test_a_body_too_large_is_refused_unread_and_before_the_token(
    client: TestClient, settings: Settings
) -> None:
    limit = settings.api.max_body_bytes
    big = b"{" + b" " * (limit + 10) + b"}"
    reply = client.post("/graphql", content=big, headers={"content-type": "application/json"})
    assert reply.status_code == 413  # no token sent: the size is what refused it
    assert f"larger than {limit} bytes" in reply.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    reply = client.post("/api/v1/tasks", content=chunks())
    assert reply.status_code == 413


def test_the_body_limit_holds_on_a_real_socket(stack: Stack, collected: Runtime) -> None:
    """Against the running API process: a 50 MB POST without a token gets a 413 at once."""
    from tests.helpers import config_with  # noqa: F401  (the API of the workers' stack)

    url = f"http://127.0.0.1:{stack.ports.api}"
    if "api" not in stack.procs:
        stack.start(stack.api())
    start = time.monotonic()
    with httpx.Client(timeout=30) as c:
        reply = c.post(
            f"{url}/graphql",
            content=b"x" * (50 * 1024 * 1024),
            headers={"content-type": "application/json"},
        )
    assert reply.status_code == 413
    assert time.monotonic() - start < 20


def test_a_read_past_its_time_limit_is_a_504_saying_what_to_do(
    settings: Settings, collected: Runtime, read: dict
) -> None:
    # Enough old nodes that counting them takes well over a millisecond anywhere.
    collected.driver.execute_query(
        "UNWIND range(1, 100000) AS n CREATE (:AWSVPC {uid: 'slow-' + n, account_id: 'slow', "
        "last_seen: datetime() - duration({days: 30})})"
    )
    hurried = settings.model_copy(
        update={"api": settings.api.model_copy(update={"query_timeout_s": 0.001})}
    )
    try:
        with TestClient(create_app(hurried)) as c:
            reply = c.get("/api/v1/reports/stale-nodes", headers=read)
    finally:
        with collected.driver.session() as session:  # in transactions: an implicit one
            session.run(
                "MATCH (n:AWSVPC {account_id: 'slow'}) CALL (n) { DELETE n } IN TRANSACTIONS"
            ).consume()
    assert reply.status_code == 504
    assert "ran past 0.001s (api.query_timeout_s)" in reply.json()["detail"]
