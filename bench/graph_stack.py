"""A scratch Neo4j for the benches that measure the graph alone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

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


def instance_row(i: int, subnets: int = 250, changed: bool = False) -> dict[str, Any]:
    """The ``i``-th made-up instance row both graph benches write (``changed``: its type
    and a tag differ, as a resize and a retag would)."""
    return {
        "uid": f"i-{i:08x}",
        "instance_id": f"i-{i:08x}",
        "subnet_id": f"subnet-{i % subnets:05d}",
        "instance_type": "t3.large" if changed else "t3.micro",
        "state": "running",
        "image_id": "ami-1",
        "vpc_id": "vpc-1",
        "private_ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
        "architecture": "x86_64",
        "platform": "Linux/UNIX",
        "tags": [f"Name=app-{i}", "env=prod" if changed else "env=bench"],
        "name": f"app-{i}",
    }
