"""The GraphQL cost estimate from the graph's statistics (made up here, as the demo's
numbers), and how an API process keeps those statistics: no server."""

from __future__ import annotations

import asyncio
import threading

from graphql import parse

from api import graphql_limits
from api.graphql import schema
from app.config import GraphQLLimits
from collectors import CATALOG
from graph.statistics import Side, Statistics

SCHEMA = schema(CATALOG, 1000, GraphQLLimits())._schema
KNOWN = graphql_limits.reaches(CATALOG)
README = "{ vsphereClusters { name hosts { name vms { name powerState ipAddress datastores { name } } } } }"  # noqa: E501
GROUPS = "query($n: Int!) { awsSecurityGroups(limit: $n) { instances(first: $n) { " \
    "securityGroups(first: $n) { instances(first: $n) { uid } } } } }"  # fmt: skip


def stats(nodes: dict[str, int], sides: dict[tuple[str, str, bool], tuple[int, int]]) -> Statistics:
    """Statistics with ``sides`` as (label, type, outgoing) -> (relationships, largest degree)."""
    out = Statistics(nodes=dict(nodes))
    for (label, type_, outgoing), (links, degree) in sides.items():
        out.links[Side(label, type_, outgoing)] = links
        out.degrees[Side(label, type_, outgoing)] = degree
    return out


# The demo vCenter: 4 clusters of 2 hosts, 2 standalone hosts, 96 VMs (16 on the busiest
# host), each on one datastore of 4.
DEMO = stats(
    {"VSphereCluster": 4, "VSphereHost": 10, "VSphereVM": 96, "VSphereDatastore": 4},
    {
        ("VSphereCluster", "HAS_HOST", True): (8, 2),
        ("VSphereHost", "HAS_HOST", False): (10, 1),
        ("VSphereHost", "RUNS", True): (96, 16),
        ("VSphereVM", "RUNS", False): (96, 1),
        ("VSphereVM", "USES_DATASTORE", True): (96, 1),
        ("VSphereDatastore", "USES_DATASTORE", False): (96, 48),
    },
)


def cost(query: str, known: Statistics | None, **variables: object) -> int:
    (operation,) = parse(query).definitions
    return graphql_limits.tally(SCHEMA, operation, {}, variables, KNOWN, known).cost  # type: ignore[arg-type]


def test_the_readme_query_costs_what_it_can_return_not_its_page_sizes() -> None:
    # Clusters 4, their hosts 4 x 2 = 8, those hosts' VMs at most 8 x 16 but only 96
    # exist (each host's own), each VM's datastore 96 x 1.
    assert cost(README, DEMO) == 4 + 8 + 96 + 96
    # Without statistics, page sizes alone: 100, then 25 per relationship.
    assert cost(README, None) == 100 + 100 * 25 + 100 * 25**2 + 100 * 25**3 == 1_627_600


def test_a_level_below_repeated_parents_is_not_capped_by_the_relationships() -> None:
    # One group of 1,000 instances among 21: its instances' groups repeat it, so the fourth
    # level is every instance of the group again under each of its 1,000 instances.
    fan = stats(
        {"AWSSecurityGroup": 21, "AWSInstance": 1036},
        {
            ("AWSSecurityGroup", "IN_SECURITY_GROUP", False): (1036, 1000),
            ("AWSInstance", "IN_SECURITY_GROUP", True): (1036, 1),
        },
    )
    # 21 groups; their instances min(21 x 1000, 1036); one group each (still distinct
    # instances, but groups shared); then 1036 x 1000.
    assert cost(GROUPS, fan, n=1000) == 21 + 1036 + 1036 + 1_036_000
    assert cost(GROUPS, fan, n=10) == 10 + 100 + 100 + 1000


def test_an_empty_label_costs_nothing_below_it() -> None:
    assert cost(README, stats({}, {})) == 0


def test_pages_over_the_largest_size_are_refused_before_any_read() -> None:
    document = parse("{ awsVpcs(limit: 1) { subnets(first: 5000) { uid } } }")
    (error,) = graphql_limits.refusals(GraphQLLimits(), 1000, SCHEMA, document, {}, KNOWN, DEMO)
    assert error.message == (
        "first must be between 1 and 1000 (api.max_page_size): subnets(first: 5000)"
    )
    assert error.extensions == {"code": "QUERY_TOO_LARGE", "limit": "page"}


def test_statistics_are_read_once_waited_for_then_refreshed_behind_queries() -> None:
    known = graphql_limits.Known(every_s=3600)
    first, second = Statistics(read_at=1), Statistics(read_at=2)
    release = threading.Event()
    calls: list[Statistics] = []

    def read_first() -> Statistics:
        calls.append(first)
        return first

    def read_slowly() -> Statistics:  # a refresh that waits for the test to let it finish
        calls.append(second)
        release.wait(60)
        return second

    async def scenario() -> None:
        assert await known.get(read_first, 60) is first  # the first query waits for it
        assert await known.get(read_first, 60) is first and len(calls) == 1  # not due yet
        known.every_s = 0  # due at once from now on
        # The slow refresh runs while the queries go on with the statistics they have.
        assert await known.get(read_slowly, 60) is first
        assert await known.get(read_slowly, 60) is first and len(calls) == 2  # one at a time
        release.set()
        assert known._reading is not None
        await asyncio.wrap_future(known._reading)
        known.every_s = 3600
        assert await known.get(read_first, 60) is second and len(calls) == 2

    asyncio.run(scenario())


def test_a_first_read_that_fails_is_waited_for_once() -> None:
    known = graphql_limits.Known(every_s=3600)

    def broken() -> Statistics:
        raise OSError("Neo4j is unreachable")

    async def scenario() -> None:
        assert await known.get(broken, 60) is None  # page sizes alone estimate the cost
        assert known._waited

    asyncio.run(scenario())
