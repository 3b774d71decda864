"""Tag filters (`?tag=key=value`, `?tag=key`; GraphQL `filter: {tag: [...]}`) over the
collected demo graph, on real Neo4j with the full-text index `db migrate` makes."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import cypher
from collectors import CATALOG
from dev.demo import aws as demo
from graph import tags
from graph.reads import projection
from tests.helpers import all_pages, live_instances
from worker.runtime import Runtime

INSTANCES = "/api/v1/aws/instances"


@pytest.fixture(scope="module")
def truth(collected: Runtime, moto_url: str) -> dict[str, set[str]]:
    """Every live instance of the demo estate with its tags as ``key=value``, from moto."""
    return {
        i["InstanceId"]: {f"{t['Key']}={t['Value']}" for t in i.get("Tags", [])}
        for _, _, i in live_instances(moto_url)
    }


def matching(truth: dict[str, set[str]], *asked: str) -> set[str]:
    """The instances carrying every tag asked (``key=value``) or a tag of every key."""

    def has(held: set[str], one: str) -> bool:
        return one in held if "=" in one else any(t.startswith(one + "=") for t in held)

    return {uid for uid, held in truth.items() if all(has(held, a) for a in asked)}


def test_demo_instances_carry_the_tags_these_tests_filter_by(truth: dict) -> None:
    # The cases below need both common and rarer tags to mean anything.
    assert len(truth) >= 24
    assert 0 < len(matching(truth, "env=prod")) < len(truth)
    assert 0 < len(matching(truth, "env=prod", "owner=shop")) < len(matching(truth, "env=prod"))
    assert matching(truth, "owner") == set(truth)


@pytest.mark.parametrize(
    "asked",
    [
        ("env=prod",),  # key=value
        ("env=staging",),
        ("owner",),  # a key, any value
        ("env=prod", "owner=shop"),  # repeated: all must match
        ("env=prod", "owner"),
        ("owner=shop", "env=staging", "Name=shop-staging-app"),
        ("env=nowhere",),  # no match
        ("nokey",),
        ("Env=prod",),  # tags are case-sensitive, as AWS's are
    ],
)
@pytest.mark.parametrize("limit", [1, 5, 1000])
def test_rest_tag_filters_page_through_exactly_the_matching_instances(
    client: TestClient, read: dict, truth: dict, asked: tuple[str, ...], limit: int
) -> None:
    # The page size changes how many matches count as few (cypher/list_tagged.cypher):
    # with 1000 the index answers every case here, with 1 the uid order answers most.
    items = all_pages(client, INSTANCES, read, tag=list(asked), limit=limit)
    uids = [i["uid"] for i in items]
    assert uids == sorted(set(uids)), "in uid order, each once"
    assert set(uids) == matching(truth, *asked)
    for item in items:
        assert matching({item["uid"]: set(item["tags"])}, *asked)


def test_a_tag_filter_goes_with_the_exact_match_filters(
    client: TestClient, read: dict, truth: dict
) -> None:
    shop = all_pages(client, INSTANCES, read, tag="env=prod", account_id=demo.SHOP_ACCOUNT)
    assert {i["uid"] for i in shop} == matching(truth, "env=prod", "owner=shop")
    assert shop and all(i["account_id"] == demo.SHOP_ACCOUNT for i in shop)
    region = demo.REGIONS[1]
    both = all_pages(client, INSTANCES, read, tag=["owner"], region=region, limit=2)
    assert both and {i["region"] for i in both} == {region}


def _profile(rt: Runtime, asked: list[str], limit: int) -> tuple[list[str], int, bool]:
    """The page ``list_tagged`` reads for ``asked``, how many nodes it took from the uid
    order (the scan way), and whether it asked the full-text index."""
    kind = CATALOG.by_label["AWSInstance"]
    f = tags.parse(asked)
    statement = cypher.render(
        "list_tagged",
        label=kind.label,
        filters="",
        tags=f.where(),
        projection=projection("n", kind),
        encode="",
    )
    with rt.driver.session() as s:
        result = s.run("PROFILE " + statement, after="", limit=limit, **f.params(kind))
        page = [n["uid"] for n in result.single(strict=True)["items"]]
        plan = result.consume().profile
    assert plan is not None

    def ops(op: dict) -> Iterator[dict]:
        yield op
        for child in op.get("children", []):
            yield from ops(child)

    seeks = [op for op in ops(plan) if op["operatorType"].startswith("NodeUniqueIndexSeek")]
    # Procedures are not profiled: the rows going in to the call say whether it was made.
    calls = [op for op in ops(plan) if op["operatorType"].startswith("ProcedureCall")]
    assert len(seeks) == len(calls) == 1
    return page, seeks[0]["rows"], calls[0]["children"][0]["rows"] == 1


def test_few_matches_come_from_the_index_many_from_the_uid_order(
    collected: Runtime, truth: dict
) -> None:
    # The index is asked for sqrt((limit + 1) * N / 4) + 1 nodes; fewer back means it gave
    # every match, and the uid order is not read at all.
    n = len(truth)
    common = sorted(matching(truth, "owner"))
    assert len(common) >= int(math.sqrt(2 * n / 4)) + 1  # many, for a page of 1
    page, in_order, indexed = _profile(collected, ["owner"], 1)
    assert page == common[:1] and in_order >= 1 and indexed
    few = sorted(matching(truth, "env=staging", "owner=shop"))
    assert 0 < len(few) < int(math.sqrt(1001 * n / 4)) + 1  # few, for a page of 1000
    page, in_order, indexed = _profile(collected, ["env=staging", "owner=shop"], 1000)
    assert page == few and in_order == 0 and indexed
    page, in_order, indexed = _profile(collected, ["env=nowhere"], 1)
    assert page == [] and in_order == 0 and indexed


def test_the_api_remembers_a_common_filter_and_pages_on_alike(
    client: TestClient, read: dict, truth: dict, reads: list[str]
) -> None:
    reader = client.app.state.reader  # type: ignore[attr-defined]
    key = ("AWSInstance", tags.parse(["owner"]).lucene(), 3)
    reader.common = tags.Common()
    assert key not in reader.common
    first = client.get(INSTANCES, headers=read, params={"tag": "owner", "limit": 3}).json()
    assert key in reader.common  # every instance has an owner: the uid order was read
    assert [i["uid"] for i in first["items"]] == sorted(truth)[:3]
    rest = all_pages(client, INSTANCES, read, tag="owner", limit=3)
    assert [i["uid"] for i in rest] == sorted(truth)
    lists = [r for r in reads if "MATCH (n:AWSInstance)" in r]
    assert len(lists) >= len(rest) // 3  # pages read, not kept by the cache
    assert "db.index.fulltext.queryNodes" in lists[0]
    # The next pages were read in uid order alone, without asking the index.
    for statement in lists[1:]:
        assert "fulltext" not in statement and "STARTS WITH $prefixes[0]" in statement
    rare = ("AWSInstance", tags.parse(["env=nowhere"]).lucene(), 3)
    assert all_pages(client, INSTANCES, read, tag="env=nowhere", limit=3) == []
    assert rare not in reader.common


def test_a_kind_without_tags_refuses_the_filter_naming_its_filters(
    client: TestClient, read: dict
) -> None:
    reply = client.get("/api/v1/aws/accounts?tag=env=prod", headers=read)
    assert reply.status_code == 400
    detail = reply.json()["detail"]
    assert "'tag'" in detail and "account_id" in detail
    kinds = {k["label"]: k for k in client.get("/api/v1/kinds", headers=read).json()}
    assert "tag" in kinds["AWSInstance"]["filters"] and "tag" in kinds["AWSVolume"]["filters"]
    assert "tag" not in kinds["AWSAccount"]["filters"]


@pytest.mark.parametrize(
    "query",
    [
        "tag=",  # nothing
        "tag==prod",  # no key
        "tag=env&tag==",
        "tag=" + "k" * (tags.MAX_LENGTH + 1),
        "&".join(f"tag=k{i}" for i in range(tags.MAX_TAGS + 1)),
    ],
)
def test_malformed_tag_values_are_refused_with_a_4xx(
    client: TestClient, read: dict, query: str
) -> None:
    reply = client.get(f"{INSTANCES}?{query}", headers=read)
    assert reply.status_code == 422, reply.text
    assert "tag" in reply.text


def test_the_openapi_document_states_the_tag_parameter(client: TestClient, read: dict) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"][INSTANCES]["get"]["parameters"]}
    schema = params["tag"]["schema"]  # a plain array: no null beside it (see api/schemas.py)
    assert schema["type"] == "array" and schema["maxItems"] == tags.MAX_TAGS
    assert schema["items"]["pattern"] == "^[^=]"
    accounts = {p["name"] for p in spec["paths"]["/api/v1/aws/accounts"]["get"]["parameters"]}
    assert "tag" not in accounts


def test_any_character_a_tag_may_hold_is_matched_as_itself(
    client: TestClient, read: dict, collected: Runtime
) -> None:
    # Lucene's syntax gives meaning to most punctuation: each must match only itself.
    odd = [
        "team=a b",
        "path=/x/y:z",
        'quote="q" \\ back',
        "ops=+-&&||!(){}[]^~*?",
        "ünï=cödé",
        "emoji=🚀",
        "a=b=c",
        "empty=",
        "AND=OR",
        "ctl=a\tb\x00c",
    ]
    kind = CATALOG.by_label["AWSVolume"]
    scope = {"account_id": "999999999999", "region": "tags-test-1"}
    w = collected.writer
    w.write(kind, [{"uid": "vol-tags-test", "tags": odd}], scope, w.now())
    try:
        for tag in odd:
            key = tag.split("=", 1)[0]
            for asked in (tag, key):
                found = all_pages(client, "/api/v1/aws/volumes", read, tag=asked)
                assert [v["uid"] for v in found] == ["vol-tags-test"], asked
                gql = client.post(
                    "/graphql",
                    json={
                        "query": "query($t: [String!]) { awsVolumes(filter: {tag: $t}) { uid } }",
                        "variables": {"t": [asked]},
                    },
                    headers=read,
                ).json()
                assert gql["data"]["awsVolumes"] == [{"uid": "vol-tags-test"}], (asked, gql)
        # Whole strings and keys only: not a part of one, not another case.
        for asked in ("team=a", "a=b", "tea", "Team=a b", "emoji=", "🚀", "path=/x"):
            assert all_pages(client, "/api/v1/aws/volumes", read, tag=asked) == [], asked
    finally:
        with collected.driver.session() as s:
            s.run("MATCH (n:AWSVolume {uid: 'vol-tags-test'}) DETACH DELETE n").consume()


def gql(client: TestClient, headers: dict, query: str) -> dict:
    reply = client.post("/graphql", json={"query": query}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_graphql_filters_by_tag_as_rest_does(client: TestClient, read: dict, truth: dict) -> None:
    for asked in (["env=prod"], ["owner"], ["env=prod", "owner=shop"], ["env=nowhere"]):
        listed = ", ".join(f'"{a}"' for a in asked)
        body = gql(
            client, read, f"{{ awsInstances(filter: {{tag: [{listed}]}}, limit: 1000) {{ uid }} }}"
        )
        uids = [i["uid"] for i in body["data"]["awsInstances"]]
        assert uids == sorted(matching(truth, *asked)), asked
    # With other filters, and paged with after.
    first = gql(
        client,
        read,
        f'{{ awsInstances(filter: {{tag: ["owner"], accountId: "{demo.SHOP_ACCOUNT}"}}, limit: 2)'
        " { uid accountId } }",
    )["data"]["awsInstances"]
    assert len(first) == 2 and {i["accountId"] for i in first} == {demo.SHOP_ACCOUNT}
    after = first[-1]["uid"]
    more = gql(
        client, read, f'{{ awsInstances(filter: {{tag: ["owner"]}}, after: "{after}") {{ uid }} }}'
    )
    assert [i["uid"] for i in more["data"]["awsInstances"]] == [
        u for u in sorted(truth) if u > after
    ]
    # No tag to match filters nothing.
    every = gql(client, read, "{ awsInstances(filter: {tag: []}, limit: 1000) { uid } }")
    assert len(every["data"]["awsInstances"]) == len(truth)


def test_graphql_refuses_bad_tags_and_kinds_without_tags_have_no_such_filter(
    client: TestClient, read: dict
) -> None:
    bad = gql(client, read, '{ awsInstances(filter: {tag: ["=prod"]}) { uid } }')
    assert bad["data"] is None and "has no key" in bad["errors"][0]["message"]
    none = gql(client, read, '{ awsAccounts(filter: {tag: ["env"]}) { uid } }')
    assert none["data"] is None and "tag" in none["errors"][0]["message"]
    assert "AWSAccountFilter" in none["errors"][0]["message"]
