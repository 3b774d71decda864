"""GraphQL for reports: ``reports`` (what each finds, its columns and parameters) and
``report(name:, params:, first:, after:)`` (one page of its rows).  A report that does not
exist or a parameter that does not fit comes back as a GraphQL error naming it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api import cursors
from graph import reports
from model.times import utc


@strawberry.type(description="A parameter of a report: its type, bounds and default.")
class ReportParameter:
    name: str
    type: str
    minimum: float | None
    maximum: float | None
    default: JSON
    description: str


@strawberry.type(description="A report: a named, documented query over the graph.")
class ReportInfo:
    name: str
    title: str
    description: str
    columns: list[str]
    key: str
    parameters: list[ReportParameter]
    rows: int | None = strawberry.field(description="Rows when aux:reports last counted.")
    rows_counted_at: datetime | None = strawberry.field(description="When it counted them.")


@strawberry.type(description="One page of a report: rows as objects of its columns.")
class ReportPage:
    name: str
    columns: list[str]
    rows: list[JSON]
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    parameters: JSON


def _info(report: reports.Report, counted: dict[str, dict[str, Any]]) -> ReportInfo:
    d = report.describe()
    return ReportInfo(
        name=d["name"],
        title=d["title"],
        description=d["description"],
        columns=d["columns"],
        key=d["key"],
        parameters=[ReportParameter(**p) for p in d["parameters"]],
        rows=counted.get(report.name, {}).get("rows"),
        rows_counted_at=utc(at) if (at := counted.get(report.name, {}).get("at")) else None,
    )


@strawberry.type
class ReportQuery:
    @strawberry.field(description="Every report.")
    def reports(self, info: strawberry.Info) -> list[ReportInfo]:
        counted = info.context.runtime.report_rows.load()
        return [_info(r, counted) for r in reports.catalog().values()]

    @strawberry.field(description="One page of a report's rows, after the cursor `after`.")
    async def report(
        self,
        info: strawberry.Info,
        name: str,
        params: JSON | None = None,
        first: int = cursors.DEFAULT_LIMIT,
        after: str | None = None,
    ) -> ReportPage:
        cursors.page_size("first", first, info.context.max_limit)
        if params is not None and not isinstance(params, dict):
            raise ValueError("params must be an object of parameter names and values")
        report = reports.get(name)
        settings = info.context.runtime.settings
        labels = info.context.runtime.catalog.by_label
        args = report.arguments(params or {}, settings.report_defaults(), labels)
        rows, key = await reports.page_async(info.context.reader, report, args, after or "", first)
        return ReportPage(
            name=name, columns=list(report.columns), rows=rows, next_cursor=key, parameters=args
        )
