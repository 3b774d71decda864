"""Named reports over the graph: `inventory report list|run`."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from app.config import load_settings
from cli.common import Group, fail


@click.group(cls=Group)
def report() -> None:
    """Named reports over the graph: leaks, orphans, risks, stale data, failing scopes."""


@report.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable.")
def report_list(as_json: bool) -> None:
    """Every report with its parameters (types, bounds, defaults)."""
    from graph import reports

    found = [r.describe() for r in reports.catalog().values()]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for r in found:
        params = ", ".join(f"{p['name']}: {p['type']} = {p['default']}" for p in r["parameters"])
        click.echo(f"{r['name']:<30} {r['title']}" + (f"  [{params}]" if params else ""))


@report.command("run")
@click.argument("name")
@click.option("--param", "params", multiple=True, help="A parameter, as name=value (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many rows.")
def report_run(name: str, params: tuple[str, ...], fmt: str, limit: int | None) -> None:
    """Run report NAME and print its rows."""
    from collectors import CATALOG
    from graph import reports
    from graph.driver import connect

    found = reports.get(name)
    given = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--param {item!r}: give it as name=value")
        given[key] = value
    settings = load_settings()
    args = found.arguments(given, settings.report_defaults(), CATALOG.by_label)
    driver = connect(settings.neo4j)
    rows: list[dict[str, Any]] = []
    after: str | None = ""
    try:
        while after is not None and (limit is None or len(rows) < limit):
            size = 1000 if limit is None else min(1000, limit - len(rows))
            page, after = reports.page(driver, settings.neo4j.database, found, args, after, size)
            rows += page
    finally:
        driver.close()
    _print_rows(found.columns, rows, fmt)


def _print_rows(columns: tuple[str, ...], rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        text = [[("" if r[c] is None else str(r[c])) for c in columns] for r in rows]
        widths = [max([len(c), *(len(t[i]) for t in text)]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for t in text:
            click.echo("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)))
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
