"""GraphQL in one query (api/graphql_compile.py), against the collected demo in Neo4j: each
query's answer from its one compiled statement equals, field by field and in order, the
answer of the resolvers alone; a query the compiler leaves to the resolvers is answered by
them, the same as before; errors stay GraphQL's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.graphql import Context, schema
from app.config import GraphQLLimits
from collectors import CATALOG
from graph.reads import Reader
from worker.runtime import Runtime

MAX_PAGE = 1000

NESTED = """{ awsVpcs(limit: 50) { uid name cidrBlock isDefault tags firstSeen
  subnets(first: 3) { uid availableIpCount defaultForAz vpc { uid }
    instances { __typename uid instanceType launchTime securityGroupIds
      securityGroups(first: 2) { uid name } subnet { uid } } } } }"""

FRAGMENTS = """query Q($skip: Boolean!, $page: Int!, $after: String) {
  __typename
  first: awsInstances(limit: $page, after: $after) { ...Instance }
  again: awsInstances(limit: 2) { uid ... on AWSInstance { state } name @skip(if: $skip) }
  awsSecurityGroups(limit: 5) { uid ...Group instances(first: 4) { ...Instance } }
}
fragment Instance on AWSInstance { uid name state subnet { ...Subnet } }
fragment Subnet on AWSSubnet { uid cidrBlock availabilityZone subnetId @include(if: $skip) }
fragment Group on AWSSecurityGroup { groupName groupId ingressRules vpc { uid name } }"""

ITEM = """query I($uid: String!) {
  awsInstance(uid: $uid) { uid name launchTime subnet { uid vpc { uid name } }
    volumes { uid sizeGib createTime } }
  nothing: awsInstance(uid: "i-none") { uid }
  awsRegions(limit: 3) { uid name vpcs(first: 2) { uid } }
}"""

FILTERED = """{ awsInstances(filter: {state: "running"}, limit: 7) { uid state
  interfaces { uid } }
  awsSubnets(filter: {availabilityZone: "us-east-1a"}, after: "subnet-0") {
    uid availabilityZone instances(first: 1, after: "i-0") { uid } } }"""

TAGGED = """{ awsInstances(filter: {tag: ["owner"]}, limit: 5) { uid tags } }"""
HISTORY = """{ awsVpcs(limit: 2) { uid history(first: 2) { change } } }"""


@pytest.fixture(scope="module")
def answer(collected: Runtime) -> Any:
    settings = collected.settings
    compiled = schema(CATALOG, MAX_PAGE, GraphQLLimits())
    resolvers = schema(CATALOG, MAX_PAGE, GraphQLLimits(), compiled=False)
    reader = Reader(collected.driver, settings.neo4j.database, CATALOG, 30.0)
    statements: list[str] = []
    run = reader.run

    async def counted(statement: str, **params: Any) -> list[Any]:
        statements.append(statement)
        return await run(statement, **params)

    reader.run = counted  # type: ignore[method-assign]

    def ask(query: str, variables: dict | None = None, one: bool = True) -> tuple[Any, list]:
        """Both answers (data, errors), after checking that the compiled schema read the
        graph in one compiled statement (``one``) or through its resolvers."""
        out = []
        for chosen in (compiled, resolvers):
            statements.clear()
            context = Context(reader, collected, "read", MAX_PAGE)
            result = asyncio.run(
                chosen.execute(query, variable_values=variables, context_value=context)
            )
            errors = [e.message for e in result.errors or ()]
            out.append((result.data, errors))
            if chosen is compiled:
                reads = [s for s in statements if "SHOW FUNCTIONS" not in s]
                whole = [s for s in reads if "A whole GraphQL query" in s]
                assert (reads == whole and len(whole) == 1) if one else not whole, reads
        return out

    return ask


def same(compiled: Any, resolved: Any, path: str = "") -> None:
    """Equal, and in the same key order (a GraphQL answer follows its selection)."""
    assert type(compiled) is type(resolved), path
    if isinstance(resolved, dict):
        assert list(compiled) == list(resolved), path
        for key in resolved:
            same(compiled[key], resolved[key], f"{path}.{key}")
    elif isinstance(resolved, list):
        assert len(compiled) == len(resolved), path
        for i, (a, b) in enumerate(zip(compiled, resolved, strict=True)):
            same(a, b, f"{path}[{i}]")
    else:
        assert compiled == resolved, path


def leaves(data: Any) -> int:
    if isinstance(data, dict):
        return sum(leaves(v) for v in data.values())
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return sum(leaves(v) for v in data)
    return 1


def test_nested_relationships_both_ways_with_pages(answer: Any) -> None:
    (data, errors), (want, want_errors) = answer(NESTED)
    assert errors == want_errors == []
    same(data, want)
    assert leaves(want) > 200
    instances = [i for v in want["awsVpcs"] for s in v["subnets"] for i in s["instances"]]
    assert instances and all(i["__typename"] == "AWSInstance" for i in instances)
    assert all(i["launchTime"].endswith("Z") for i in instances)


def test_fragments_aliases_directives_and_variables(answer: Any) -> None:
    first, _ = answer(FRAGMENTS, {"skip": False, "page": 3})
    data, errors = first
    assert errors == [] and len(data["first"]) == 3
    for variables in (
        {"skip": False, "page": 3},
        {"skip": True, "page": 4, "after": data["first"][0]["uid"]},
    ):
        (data, errors), (want, want_errors) = answer(FRAGMENTS, variables)
        assert errors == want_errors == []
        same(data, want)
        assert ("name" in want["again"][0]) is not variables["skip"]
        assert ("subnetId" in want["first"][0]["subnet"]) is variables["skip"]
    assert want["first"][0]["uid"] > variables["after"]
    assert want["__typename"] == "Query"


def test_items_present_and_absent(answer: Any, collected: Runtime) -> None:
    records, _, _ = collected.driver.execute_query(
        "MATCH (i:AWSInstance)-[:HAS_VOLUME]-(:AWSVolume) RETURN i.uid AS uid LIMIT 1"
    )
    (data, errors), (want, want_errors) = answer(ITEM, {"uid": records[0]["uid"]})
    assert errors == want_errors == []
    same(data, want)
    assert want["awsInstance"]["volumes"] and want["nothing"] is None


def test_filters_and_cursors(answer: Any) -> None:
    (data, errors), (want, want_errors) = answer(FILTERED)
    assert errors == want_errors == []
    same(data, want)
    assert want["awsInstances"] and all(i["state"] == "running" for i in want["awsInstances"])
    assert want["awsSubnets"]


def test_what_the_compiler_leaves_is_answered_by_the_resolvers(answer: Any) -> None:
    for query in (TAGGED, HISTORY):
        (data, errors), (want, want_errors) = answer(query, one=False)
        assert errors == want_errors == []
        same(data, want)
    assert data["awsVpcs"]


def test_errors_are_graphql_errors_either_way(answer: Any) -> None:
    # Refused before any execution (validation, page sizes), and a bad variable.
    for query, variables in (
        ("{ awsVpcs { nope } }", None),
        ("{ awsVpcs(limit: 5000) { uid } }", None),
        ("query($n: Int!) { awsVpcs(limit: $n) { uid } }", {"n": "x"}),
    ):
        (data, errors), (want, want_errors) = answer(query, variables, one=False)
        assert data == want and errors == want_errors and errors, query
