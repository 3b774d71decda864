"""A scratch Neo4j for the benches that measure the graph alone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from neo4j import Driver

from app.config import Neo4jConfig
from collectors import CATALOG
from dev.stack import Ports, Stack
from graph import schema
from graph.driver import connect


@contextlib.contextmanager
def neo4j_stack(ports: Ports, batch_size: int) -> Iterator[tuple[Stack, Driver]]:
    """A scratch stack running Neo4j alone (on ``ports``), the catalog's schema migrated:
    the stack and a driver to it, closed (and the stack's folder deleted) on the way out."""
    stack = Stack.scratch("inventory-bench-", ports)
    try:
        print("starting Neo4j …", flush=True)
        stack.start(stack.neo4j())
        config = Neo4jConfig(
            uri=f"bolt://127.0.0.1:{stack.ports.bolt}",
            password=stack.secrets.neo4j_password,
            batch_size=batch_size,
        )
        driver = connect(config)
        try:
            schema.migrate(driver, CATALOG, "neo4j")
            yield stack, driver
        finally:
            driver.close()
    finally:
        stack.discard()
