"""The ``inventory`` command: the top layer, which may use every other package."""

from __future__ import annotations

import click

from cli import changes, dev, reports, roles, tasks
from cli.common import Group


@click.group(cls=Group)
def main() -> None:
    """Inventory: AWS and vSphere inventory as a graph in Neo4j."""


for command in (
    roles.db,
    roles.worker,
    roles.api,
    roles.scheduler,
    roles.schedule,
    tasks.collect,
    tasks.task,
    reports.report,
    changes.changes,
    dev.dev,
):
    main.add_command(command)
