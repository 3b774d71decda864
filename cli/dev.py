"""The local stack (`inventory dev up|down|status`): the dev tooling, found beside a
checkout; production installs (the wheel, the image) leave it out."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import click

from cli.common import Group, fail


@click.group(cls=Group)
def dev() -> None:
    """The local stack: Neo4j, Redis, moto, workers and the API on this machine."""


def _dev() -> ModuleType:
    """``dev.up`` from the checkout this command runs from (an editable install); the
    wheel does not package ``dev``, since the service never imports it."""
    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "dev" / "up.py").is_file():
        fail("the dev tooling is not installed here; run `make run` in a checkout instead")
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    return importlib.import_module("dev.up")


@dev.command("up")
@click.option("--detach", is_flag=True, help="Leave the stack running (supervised) and return.")
@click.option(
    "--with-prometheus",
    is_flag=True,
    help="Also run Prometheus (Debian's), scraping the stack with the alert rules loaded.",
)
def dev_up(detach: bool, with_prometheus: bool) -> None:
    """Start everything, run a first collection and print where to look; then restart
    what exits or stops answering, until Ctrl-C (or `dev down`)."""
    _dev().up(detach, click.echo, with_prometheus)


@dev.command("down")
def dev_down() -> None:
    """Stop a stack started with --detach."""
    _dev().down(click.echo)


@dev.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def dev_status(as_json: bool) -> None:
    """URLs, credentials and process states of the local stack: which process is down
    or restarting, if any."""
    devstack = _dev()
    status = devstack.status()
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    devstack.print_status(status, click.echo)
