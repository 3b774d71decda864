"""REST and GraphQL over the collected demo graph, on real Neo4j and Redis."""

from __future__ import annotations

import json
import uuid

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from neo4j.exceptions import ClientError
from prometheus_client import REGISTRY

from api.app import create_app
from app.config import Settings
from collectors import CATALOG
from dev.stack import Stack, wait_until
from graph.reads import Reader
from tests.helpers import all_pages, moto_instances
from worker.runtime import Runtime


def test_health_needs_no_token_and_readiness_checks_both_stores(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    reply = client.get("/readyz")
    assert reply.status_code == 200 and reply.json() == {
        "ready": True,
        "neo4j": "ok",
        "redis": "ok",
    }


def test_everything_else_needs_a_token(client: TestClient) -> None:
    for path in ("/api/v1/kinds", "/api/v1/aws/instances", "/api/v1/tasks", "/metrics"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/graphql", json={"query": "{ awsVpcs { uid } }"}).status_code == 401


def test_enqueue_needs_the_admin_scope(client: TestClient, read: dict, admin: dict) -> None:
    body = {"task": "aws:collect-accounts", "payload": {}, "priority": "low"}
    assert client.post("/api/v1/tasks", json=body, headers=read).status_code == 403
    reply = client.post("/api/v1/tasks", json=body, headers=admin)
    assert reply.status_code == 202, reply.text
    assert reply.json()["queue"] == "inventory.low"
    record = client.get(f"/api/v1/tasks/{reply.json()['id']}", headers=read).json()
    assert record["task"] == "aws:collect-accounts" and record["queue"] == "inventory.low"


def test_bad_task_requests_get_clear_4xx(client: TestClient, admin: dict) -> None:
    # The request is checked as the OpenAPI document describes it: one shape per task.
    unknown = client.post("/api/v1/tasks", json={"task": "aws:nope"}, headers=admin)
    assert unknown.status_code == 422 and "'aws:nope'" in unknown.json()["detail"]
    assert "aws:collect-vpcs" in unknown.json()["detail"]  # the tasks there are
    bad = client.post(
        "/api/v1/tasks", json={"task": "aws:collect-vpcs", "payload": {"x": 1}}, headers=admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "x"
    stranger = client.post(
        "/api/v1/tasks",
        json={"task": "aws:collect-vpcs", "payload": {"account": "nobody"}},
        headers=admin,
    )
    assert stranger.status_code == 422 and "demo-main" in stranger.json()["detail"]
    prio = client.post(
        "/api/v1/tasks", json={"task": "aws:collect-vpcs", "priority": "urgent"}, headers=admin
    )
    assert prio.status_code == 422


def test_kinds_lists_every_kind_with_its_count(
    client: TestClient, read: dict, moto_url: str
) -> None:
    kinds = {k["label"]: k for k in client.get("/api/v1/kinds", headers=read).json()}
    assert kinds["AWSInstance"]["path"] == "/api/v1/aws/instances"
    assert kinds["AWSInstance"]["count"] == len(moto_instances(moto_url))
    assert kinds["AWSAccount"]["count"] == 2


def test_instances_page_through_every_instance_once(
    client: TestClient, read: dict, moto_url: str
) -> None:
    items = all_pages(client, "/api/v1/aws/instances", read, limit=7)
    uids = [i["uid"] for i in items]
    assert len(uids) == len(set(uids)) == len(moto_instances(moto_url))
    assert uids == sorted(uids)


def test_filters_narrow_the_list(client: TestClient, read: dict, moto_url: str) -> None:
    live = moto_instances(moto_url)
    want = {
        i
        for i, (acct, region, _) in live.items()
        if acct == "210987654321" and region == "eu-west-1"
    }
    items = all_pages(
        client, "/api/v1/aws/instances", read, account_id="210987654321", region="eu-west-1"
    )
    assert {i["uid"] for i in items} == want
    defaults = all_pages(client, "/api/v1/aws/vpcs", read, is_default="true")
    assert defaults and all(v["is_default"] is True for v in defaults)


def test_bad_list_parameters_get_400_or_422_as_problem_details(
    client: TestClient, read: dict
) -> None:
    def refused(query: str, status: int) -> dict:
        reply = client.get(f"/api/v1/aws/instances?{query}", headers=read)
        assert reply.status_code == status, (query, reply.text)
        assert reply.headers["content-type"] == "application/problem+json"
        body = reply.json()
        assert body["status"] == status and body["type"] == "about:blank" and body["title"]
        return body

    assert "colour" in refused("colour=red", 400)["detail"]
    # A cursor not of the documented form is invalid like any other parameter.
    bad = refused("cursor=%25%25", 422)
    assert bad["errors"][0]["loc"] == ["query", "cursor"] and bad["detail"].startswith("cursor:")
    refused("limit=0", 422)
    assert refused("limit=100000", 422)["errors"][0]["loc"] == ["query", "limit"]
    reply = client.get("/api/v1/aws/vpcs?is_default=maybe", headers=read)
    assert reply.status_code == 422 and reply.json()["errors"][0]["loc"] == [
        "query",
        "is_default",
    ]
    # A cursor of the documented form that was never given is only a place to start.
    assert client.get("/api/v1/aws/instances?cursor=zzzz", headers=read).status_code == 200


def test_every_error_is_a_problem_and_405_allows_every_method_of_the_path(
    client: TestClient, read: dict
) -> None:
    missing = client.get("/api/v1/aws/instances/i-nothere", headers=read)
    assert missing.status_code == 404 and missing.headers["content-type"] == (
        "application/problem+json"
    )
    assert missing.json()["title"] == "Not Found" and "i-nothere" in missing.json()["detail"]
    anonymous = client.get("/api/v1/kinds")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["status"] == 401
    nowhere = client.get("/api/v1/no-such-thing", headers=read)
    assert nowhere.status_code == 404 and nowhere.json()["status"] == 404
    options = client.options("/api/v1/tasks", headers=read)
    assert options.status_code == 405
    assert options.headers["allow"] == "GET, POST"
    assert options.json()["status"] == 405
    too_big = client.post("/api/v1/tasks", headers=read, content=b"x" * 2_000_000, params={"x": 1})
    assert too_big.status_code == 413 and too_big.json()["status"] == 413
    assert too_big.headers["content-type"] == "application/problem+json"


def test_an_item_comes_with_its_relationships(client: TestClient, read: dict) -> None:
    subnet = client.get(
        "/api/v1/aws/subnets", headers=read, params={"limit": 1, "name": "main-prod-0"}
    ).json()["items"][0]
    reply = client.get(f"/api/v1/aws/subnets/{subnet['uid']}", headers=read)
    assert reply.status_code == 200
    rels = reply.json()["relationships"]
    assert {(r["type"], r["direction"]) for r in rels} == {
        ("HAS_SUBNET", "in"),
        ("HAS_INSTANCE", "out"),
        ("IN_ZONE", "out"),
        ("IN_SUBNET", "in"),
        ("HAS_DB_INSTANCE", "out"),
        ("HAS_NAT_GATEWAY", "out"),  # the demo's NAT gateway for the prod subnets
    }
    instances = [r for r in rels if r["type"] == "HAS_INSTANCE"]
    assert len(instances) == 3 and all(r["label"] == "AWSInstance" for r in instances)
    vpc = next(r for r in rels if r["type"] == "HAS_SUBNET")
    assert vpc["uid"] == subnet["vpc_id"] and vpc["path"] == f"/api/v1/aws/vpcs/{subnet['vpc_id']}"
    assert client.get("/api/v1/aws/subnets/subnet-nope", headers=read).status_code == 404


def counts() -> list[float]:
    """This process's count of cache hits, and of 200s from the instances' list route."""
    samples = [
        ("inventory_api_cache_total", {"result": "hit"}),
        ("inventory_api_requests_total", {"route": "/api/v1/aws/instances", "status": "200"}),
    ]
    return [REGISTRY.get_sample_value(name, labels) or 0.0 for name, labels in samples]


def test_a_kept_answer_is_given_until_anyone_writes_to_the_graph(
    client: TestClient, read: dict, collected: Runtime, reads: list[str]
) -> None:
    page = "/api/v1/aws/instances?limit=3"
    first, kept = (client.get(page, headers=read) for _ in range(2))
    read_before, counted_before = len(reads), counts()
    again = client.get(page, headers=read)
    assert len(reads) == read_before  # the hit read nothing
    # Counted as a hit, and under its route as any answer (the app runs in this process).
    assert [a - b for a, b in zip(counts(), counted_before, strict=True)] == [1, 1]
    assert [r.headers["x-cache"] for r in (first, kept, again)] == ["miss", "miss", "hit"]
    assert again.content == kept.content == first.content and again.headers["x-request-id"]
    other = client.get(page + "&cursor=" + first.json()["next_cursor"], headers=read)
    assert other.headers["x-cache"] == "miss" and other.json()["items"] != first.json()["items"]
    uid = first.json()["items"][0]["uid"]
    item = [client.get(f"/api/v1/aws/instances/{uid}", headers=read) for _ in range(3)][-1]
    assert item.headers["x-cache"] == "hit"
    # Written as from the Browser, by another client: the next answer is read again.
    state = first.json()["items"][0]["state"]
    collected.driver.execute_query(
        "MATCH (n:AWSInstance {uid: $uid}) SET n.state = 'kept-answer-test'", uid=uid
    )
    try:
        after = client.get(page, headers=read)
        assert after.headers["x-cache"] == "miss"
        assert after.json()["items"][0]["state"] == "kept-answer-test"
        changed = client.get(f"/api/v1/aws/instances/{uid}", headers=read)
        assert changed.json()["item"]["state"] == "kept-answer-test" != item.json()["item"]["state"]
    finally:
        collected.driver.execute_query(
            "MATCH (n:AWSInstance {uid: $uid}) SET n.state = $state", uid=uid, state=state
        )


def test_a_repeated_get_is_304_until_another_client_writes(
    settings: Settings, read: dict, collected: Runtime, reads: list[str]
) -> None:
    """With If-None-Match, an unchanged graph costs a version check and no graph read; a
    write by another client, as from the Browser, gives a 200 with a new ETag. With and
    without kept answers."""
    for cache_mb in (0, 256):
        api = settings.api.model_copy(update={"cache_mb": cache_mb})
        with TestClient(create_app(settings.model_copy(update={"api": api}))) as c:
            for page in ("/api/v1/aws/vpcs?limit=2", "/api/v1/reports/unattached-volumes"):
                first = c.get(page, headers=read)
                tag = first.headers["etag"]
                assert first.status_code == 200 and first.headers["cache-control"] == (
                    "private, no-cache"
                )
                before = len(reads)
                again = c.get(page, headers={**read, "If-None-Match": tag})
                assert (again.status_code, again.content) == (304, b"")
                assert again.headers["etag"] == tag and len(reads) == before
                assert c.get(page, headers={**read, "If-None-Match": '"x"'}).status_code == 200
                collected.driver.execute_query("CREATE (:EtagTest)")
                after = c.get(page, headers={**read, "If-None-Match": tag})
                collected.driver.execute_query("MATCH (n:EtagTest) DELETE n")
                assert after.status_code == 200 and after.headers["etag"] != tag
                assert after.json() == first.json()  # the write changed nothing it shows
            # Graph data only: the task records come from Redis, and carry no ETag.
            assert "etag" not in c.get("/api/v1/tasks", headers=read).headers
            # No token, no 304 (nor anything else).
            assert c.get(page, headers={"If-None-Match": tag}).status_code == 401


def test_a_kept_answer_still_needs_a_valid_token(client: TestClient, read: dict) -> None:
    page = "/api/v1/aws/vpcs?limit=2"
    # Kept from the second ask once the graph has been unchanged a second (the test
    # before wrote to it).
    wait_until(lambda: client.get(page, headers=read).headers["x-cache"] == "hit", 10, "a hit")
    assert client.get(page).status_code == 401
    assert client.get(page, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get(page, headers={"Authorization": "Basic abc"}).status_code == 401


def test_no_answer_is_kept_with_cache_mb_0(
    collected: Runtime, settings: Settings, read: dict
) -> None:
    off = settings.model_copy(update={"api": settings.api.model_copy(update={"cache_mb": 0})})
    with TestClient(create_app(off)) as c:
        replies = [c.get("/api/v1/aws/vpcs?limit=2", headers=read) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert all("x-cache" not in r.headers for r in replies)


def test_graphql_nested_query_walks_vpcs_subnets_instances(
    client: TestClient, read: dict, moto_url: str
) -> None:
    query = "{ awsVpcs { vpcId subnets { subnetId instances(first: 30) { instanceId } } } }"
    reply = client.post("/graphql", json={"query": query}, headers=read)
    assert reply.status_code == 200 and "errors" not in reply.json(), reply.text
    found = {
        i["instanceId"]
        for v in reply.json()["data"]["awsVpcs"]
        for s in v["subnets"]
        for i in s["instances"]
    }
    assert found == set(moto_instances(moto_url))


def test_graphql_goes_both_ways_and_filters(client: TestClient, read: dict) -> None:
    query = """{ awsInstances(filter: {region: "us-east-1", accountId: "123456789012"}, limit: 2)
                 { uid subnet { vpc { awsRegion { account { accountId } } } } } }"""
    data = client.post("/graphql", json={"query": query}, headers=read).json()["data"]
    assert len(data["awsInstances"]) == 2
    assert (
        data["awsInstances"][0]["subnet"]["vpc"]["awsRegion"]["account"]["accountId"]
        == "123456789012"
    )
    one = data["awsInstances"][0]["uid"]
    item = client.post(
        "/graphql", json={"query": f'{{ awsInstance(uid: "{one}") {{ uid }} }}'}, headers=read
    ).json()
    assert item["data"]["awsInstance"]["uid"] == one


def test_graphql_nesting_costs_one_read_and_through_resolvers_one_per_level(
    client: TestClient, read: dict, collected: Runtime, reads: list[str]
) -> None:
    query = "{ awsVpcs { subnets(first: 10) { instances(first: 10) { subnet { vpc { uid } } } } } }"
    reply = client.post("/graphql", json={"query": query}, headers=read)
    assert reply.status_code == 200 and "errors" not in reply.json()
    assert len(reads) == 1  # compiled into one statement (api/graphql_compile.py)
    # A tag filter is read through its full-text index: the resolvers answer, batched.
    reads.clear()
    query = '{ awsInstances(filter: {tag: ["owner"]}, limit: 5) { subnet { vpc { uid } } } }'
    reply = client.post("/graphql", json={"query": query}, headers=read)
    assert reply.status_code == 200 and "errors" not in reply.json()
    assert reply.json()["data"]["awsInstances"][0]["subnet"]["vpc"]["uid"]
    assert len(reads) == 3  # one list query, then one batched query per nesting level


def test_graphql_reads_only_the_fields_it_selects(
    client: TestClient, read: dict, reads: list[str]
) -> None:
    # Fields straight, through an inline fragment and through a named one.
    query = """{ awsInstances(limit: 2) {
                   instanceId state ... on AWSInstance { subnet { ...S } } } }
               fragment S on AWSSubnet { subnetId vpc { vpcId cidrBlock } }"""
    reply = client.post("/graphql", json={"query": query}, headers=read)
    assert reply.status_code == 200 and "errors" not in reply.json(), reply.text
    assert len(reads) == 1
    instance = reply.json()["data"]["awsInstances"][0]
    assert instance["instanceId"].startswith("i-") and instance["state"]
    assert instance["subnet"]["subnetId"].startswith("subnet-")
    vpc = instance["subnet"]["vpc"]
    rest = client.get(f"/api/v1/aws/vpcs/{vpc['vpcId']}", headers=read).json()["item"]
    assert vpc["cidrBlock"] == rest["cidr_block"] is not None
    # Each level's node is n<depth> in the one statement.
    (statement,) = reads[:1]
    assert "n0.instance_id" in statement and "n0.state" in statement
    assert "n0.instance_type" not in statement and "n0.launch_time" not in statement
    assert "n1.subnet_id" in statement and "n1.cidr_block" not in statement
    assert "n2.vpc_id" in statement and "n2.cidr_block" in statement
    assert "n2.owner_id" not in statement


def test_a_page_is_the_same_json_whether_neo4j_or_python_writes_it(
    collected: Runtime, settings: Settings
) -> None:
    kind = CATALOG.by_label["AWSInstance"]
    neo4j = Reader(collected.driver, settings.neo4j.database, CATALOG)
    python = Reader(collected.driver, settings.neo4j.database, CATALOG)
    python.apoc = False  # as on a server without APOC
    everything = anyio.run(python.page, kind, {}, "", 1000)
    assert len(everything) > 3
    for filters, after, limit in (
        ({}, "", 2),
        ({}, everything[1]["uid"], 1000),
        ({"region": "us-east-1"}, "", 1000),
        ({"state": "no-such-state"}, "", 10),
    ):
        text, last = anyio.run(neo4j.page_json, kind, filters, after, limit)
        assert neo4j.apoc is True
        written, last_written = anyio.run(python.page_json, kind, filters, after, limit)
        assert (json.loads(text), last) == (json.loads(written), last_written)
    text, last = anyio.run(neo4j.page_json, kind, {}, "", 2)
    assert [i["uid"] for i in json.loads(text)] == [i["uid"] for i in everything[:2]]
    assert last == everything[1]["uid"]
    text, last = anyio.run(neo4j.page_json, kind, {}, everything[1]["uid"], 1000)
    assert len(json.loads(text)) == len(everything) - 2 and last is None


def test_a_user_who_may_not_list_functions_gets_pages_written_by_python(
    collected: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Reader.run

    async def refusing(self: Reader, statement: str, **params: object) -> list:
        if "SHOW FUNCTIONS" in statement:
            raise ClientError("Permission denied")
        return await original(self, statement, **params)

    monkeypatch.setattr(Reader, "run", refusing)
    reader = Reader(collected.driver, settings.neo4j.database, CATALOG)
    text, last = anyio.run(reader.page_json, CATALOG.by_label["AWSInstance"], {}, "", 2)
    assert reader.apoc is False
    items = json.loads(text)
    assert len(items) == 2 and last == items[1]["uid"]


def test_the_heap_is_frozen_once_the_first_request_is_answered(settings: Settings) -> None:
    import gc

    gc.unfreeze()
    try:
        with TestClient(create_app(settings)) as fresh:
            assert gc.get_freeze_count() == 0
            assert fresh.get("/healthz").status_code == 200
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # the app, its routes and their validators
            # Made after the freeze: a second one would take them too.  Frozen objects
            # freed meanwhile leave the count (another client's idle worker thread
            # ending, say), so it may go down, never up without a freeze.
            alive = [[] for _ in range(1000)]
            assert fresh.get("/healthz").status_code == 200
            assert gc.get_freeze_count() < frozen + len(alive)  # once only
    finally:
        gc.unfreeze()


def test_api_answers_503_not_500_when_neo4j_is_down(settings: Settings, read: dict) -> None:
    broken = settings.model_copy(
        update={
            "neo4j": settings.neo4j.model_copy(
                update={"uri": "bolt://127.0.0.1:1", "connect_timeout": 1, "retry_time_s": 0}
            )
        }
    )
    with TestClient(create_app(broken), raise_server_exceptions=False) as c:
        assert c.get("/readyz").status_code == 503
        reply = c.get("/api/v1/aws/instances", headers=read)
        assert reply.status_code == 503 and "Neo4j is unavailable" in reply.json()["detail"]


def test_the_api_command_serves_over_http(stack: Stack, collected: Runtime, read: dict) -> None:
    stack.start(stack.api())
    # A minute, not httpx's five seconds: a busy machine (load 20) can take that long.
    http = httpx.Client(timeout=60)
    try:
        base = f"http://127.0.0.1:{stack.ports.api}"
        assert http.get(f"{base}/healthz").status_code == 200
        reply = http.get(f"{base}/api/v1/aws/instances", headers=read)
        assert reply.status_code == 200 and reply.json()["items"]
        assert http.get(f"{base}/openapi.json").json()["paths"]["/api/v1/aws/vpcs"]

        # Credentials are masked by where they sit, whatever their value: one this API
        # knows, one it does not, a malformed one; in the query and in the header.
        known = stack.secrets.read_token
        unknown = "an-unknown-token-" + uuid.uuid4().hex
        malformed = "%25bad%20" + uuid.uuid4().hex[:12]
        for token in (known, unknown, malformed):
            http.get(f"{base}/dashboard/?token={token}")
            http.get(f"{base}/api/v1/kinds?token={token}", headers={"Authorization": token})
            http.get(f"{base}/api/v1/kinds", headers={"Authorization": f"Bearer {token}"})
    finally:
        http.close()
        stack.stop("api")
    log = (stack.home / "api.log").read_text()
    assert "/dashboard/?token=*** " in log and "/api/v1/kinds?token=*** " in log
    for secret in (known, unknown, malformed, malformed.replace("%25", "%")):
        assert secret not in log


def test_api_answers_503_not_500_when_redis_is_down(
    settings: Settings, read: dict, admin: dict
) -> None:
    broken = settings.model_copy(
        update={"redis": settings.redis.model_copy(update={"url": "redis://127.0.0.1:1/0"})}
    )
    with TestClient(create_app(broken), raise_server_exceptions=False) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["redis"].startswith("unreachable")
        assert ready.headers["content-type"] == "application/problem+json"
        assert ready.json()["detail"].startswith("not ready: redis unreachable")
        listing = c.get("/api/v1/tasks", headers=read)
        assert listing.status_code == 503 and "Redis is unavailable" in listing.json()["detail"]
        post = c.post("/api/v1/tasks", json={"task": "aws:collect-all"}, headers=admin)
        assert post.status_code == 503
