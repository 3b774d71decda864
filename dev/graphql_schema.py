"""Writes docs/schema.graphql, the GraphQL schema the API serves, as SDL, so that clients
can generate their types without a running server:

    scripts/graphql-schema.sh        (or make schema)

(tests/test_graphql_schema.py fails when the file and the schema drift apart.)"""

from __future__ import annotations

from strawberry.printer import print_schema

from api import graphql
from app.config import ApiConfig
from collectors import CATALOG

HEADER = """\
# The GraphQL schema of the Inventory API (/graphql), made from the running schema by
# scripts/graphql-schema.sh: do not edit by hand.
"""


def render() -> str:
    api = ApiConfig()  # the schema's shape does not depend on the config's values
    schema = graphql.schema(CATALOG, api.max_page_size, api.graphql)
    return HEADER + "\n" + print_schema(schema) + "\n"


if __name__ == "__main__":
    print(render(), end="")
