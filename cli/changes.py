"""What changed in the graph: `inventory changes`, newest first (graph.history)."""

from __future__ import annotations

import json
from typing import Any

import click

from app.config import load_settings
from cli.common import fail
from graph.changes import CHANGES, LINK_CHANGES
from model.times import MOMENT_HELP, named_moment


def _when(name: str, text: str | None) -> Any:
    try:
        return named_moment(name, text)
    except ValueError as exc:
        fail(f"--{exc}")


def _value(value: Any) -> str:
    return "-" if value is None else ",".join(value) if isinstance(value, list) else str(value)


def what(change: dict[str, Any]) -> str:
    """A change in a line: its relationship, or each field's values before and after."""
    if change["change"] in LINK_CHANGES:
        return f"-[{change['type']}]-> {change['target_label']} {change['target_uid']}"
    return "; ".join(
        f"{f['field']}: {_value(f['before'])} -> {_value(f['after'])}"
        if change["change"] == "updated"
        else f"{f['field']}={_value(f['before'] if change['change'] == 'deleted' else f['after'])}"
        for f in change["fields"]
    )


@click.command()
@click.option("--since", help=f"From this time on: {MOMENT_HELP}.")
@click.option("--until", help="Up to this time, as --since.")
@click.option("--label", "labels", multiple=True, help="Of nodes of this label (repeatable).")
@click.option("--uid", help="About this node (either end of a relationship).")
@click.option(
    "--change",
    "kinds",
    multiple=True,
    type=click.Choice(CHANGES),
    help="Of this kind (repeatable).",
)
@click.option("--scope", help="In this scope (111111111111/eu-west-1, vc-a) or under it.")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable: a JSON list.")
def changes(
    since: str | None,
    until: str | None,
    labels: tuple[str, ...],
    uid: str | None,
    kinds: tuple[str, ...],
    scope: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """What changed in the graph, newest first: nodes created, updated and deleted,
    relationships linked and unlinked (kept graph.change_retention_days)."""
    from collectors import CATALOG
    from graph import history
    from graph.driver import connect

    unknown = sorted(set(labels) - set(CATALOG.by_label))
    if unknown:
        fail(f"--label {unknown[0]}: no such label; labels: {', '.join(CATALOG.by_label)}")
    asked = history.Asked(_when("since", since), _when("until", until), labels, uid, kinds, scope)
    settings = load_settings()
    driver = connect(settings.neo4j)
    found: list[dict[str, Any]] = []
    after: history.Position | None = None
    try:
        while len(found) < limit:
            page, after = history.page(
                driver, settings.neo4j.database, asked, after, min(1000, limit - len(found))
            )
            found += page
            if after is None:
                break
    finally:
        driver.close()
    _print(found, as_json)


def _print(found: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for c in found:
        click.echo(f"{c['at']}  {c['change']:<8}  {c['label']:<20}  {c['uid']}  {what(c)}")
    click.echo(f"({len(found)} change{'s' if len(found) != 1 else ''})")
