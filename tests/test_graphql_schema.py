"""docs/schema.graphql is the schema the API serves, for clients that generate their types
without a running server."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema

from dev import graphql_schema

FILE = Path(__file__).parents[1] / "docs" / "schema.graphql"
REGENERATE = (
    "docs/schema.graphql is out of date with the API's schema: run scripts/graphql-schema.sh"
)


def test_the_schema_file_is_the_served_schema() -> None:
    assert FILE.exists(), REGENERATE
    assert FILE.read_text() == graphql_schema.render(), REGENERATE


def test_the_schema_file_is_valid_sdl_with_every_kind_and_the_tasks() -> None:
    schema = build_schema(FILE.read_text())
    query = schema.query_type
    assert query is not None and schema.mutation_type is not None
    for field in (
        "awsInstances",
        "awsInstance",
        "vsphereVms",
        "vsphereClusters",
        "tasks",
        "report",
    ):
        assert field in query.fields, field
    assert "enqueueTask" in schema.mutation_type.fields
    hosts = schema.get_type("VSphereCluster").fields["hosts"]  # type: ignore[union-attr]
    assert set(hosts.args) == {"first", "after"}
