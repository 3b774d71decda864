"""REST routes for reports: the list, and the paged rows of one with typed parameters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, TypeAdapter, create_model

from api import auth, cursors
from api.kinds import JSON
from api.schemas import Time, value_type
from collectors import CATALOG
from graph import reports
from model.times import rfc3339


def describe_all(request: Request) -> list[dict[str, Any]]:
    """Every report, with its row count when ``aux:reports`` last counted."""
    counted = request.app.state.runtime.report_rows.load()
    return [
        {
            **r.describe(),
            "path": f"/api/v1/reports/{r.name}",
            "rows": counted.get(r.name, {}).get("rows"),
            "rows_counted_at": rfc3339(counted.get(r.name, {}).get("at")),
        }
        for r in reports.catalog().values()
    ]


def router(max_limit: int) -> APIRouter:
    api = APIRouter(prefix="/api/v1/reports", tags=["reports"], dependencies=[Depends(auth.read)])

    @api.get("", operation_id="list_reports")
    def list_reports(request: Request) -> list[ReportInfo]:
        """Every report: what it finds, its columns (with their types) and parameters
        (types, bounds, defaults), and how many rows it had when `aux:reports` last ran."""
        return [ReportInfo(**r) for r in describe_all(request)]

    for report in reports.catalog().values():
        api.add_api_route(
            f"/{report.name}",
            _run_route(report, max_limit),
            methods=["GET"],
            summary=report.title,
            description=report.description,
            operation_id=f"run_report_{report.name.replace('-', '_')}",
            response_model=_page_model(report),
            openapi_extra={"parameters": [_parameter(p) for p in report.params]},
        )

    @api.get("/{name}", include_in_schema=False)
    def unknown(name: str) -> None:
        reports.get(name)  # not one of the above: its 404 names the reports there are

    return api


class ParamInfo(BaseModel):
    name: str
    type: str
    minimum: float | None
    maximum: float | None
    default: Any
    description: str


class ReportInfo(BaseModel):
    """A report: what it finds, and how to ask for it."""

    name: str
    title: str
    description: str
    columns: list[str]
    column_types: dict[str, str] = Field(description="Each column's type: str, int, ...")
    key: str = Field(description="The column rows are in order of, and paged by.")
    parameters: list[ParamInfo]
    path: str = Field(description="Its route.")
    rows: int | None = Field(description="Rows when aux:reports last counted them.")
    rows_counted_at: Time | None


def _camel(name: str) -> str:
    return "".join(word.capitalize() for word in name.split("-"))


def _page_model(report: reports.Report) -> type[BaseModel]:
    """A page of the report's rows, each column typed, and the parameters it ran with."""
    row = create_model(
        f"{_camel(report.name)}Row",
        __doc__=f"A row of {report.name}: {report.title}.",
        **{c: (value_type(report.types[c]) | None, Field(None)) for c in report.columns},  # type: ignore[call-overload]
    )
    params = create_model(
        f"{_camel(report.name)}Parameters",
        **{p.name: (p.type, Field(description=p.doc)) for p in report.params},  # type: ignore[call-overload]
    )
    return create_model(
        f"{_camel(report.name)}Page",
        __doc__=f"A page of {report.name}, in the order of its {report.key}.",
        items=(list[row], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, Field(description="Pass as cursor for the next page.")),
        parameters=(params, ...),
    )


def _parameter(param: reports.Param) -> dict[str, Any]:
    """A report parameter in the OpenAPI document: typed, bounded, its default given."""
    schema: dict[str, Any] = {**TypeAdapter(param.type).json_schema(), "default": param.default}
    if param.is_label:  # a kind's label, or '' for every one: nothing else is taken
        schema["enum"] = ["", *CATALOG.by_label]
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    return {
        "name": param.name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": param.doc,
    }


def _run_route(report: reports.Report, max_limit: int) -> Any:
    async def run_report(
        request: Request,
        limit: int = cursors.limit_query(max_limit),
        cursor: str | None = cursors.query(),
    ) -> JSON:
        # The report's own parser, as GraphQL and the CLI use: one message for a bad value
        # or an unknown parameter everywhere (the OpenAPI document states the same types
        # and bounds).
        given = {k: v for k, v in request.query_params.items() if k not in ("limit", "cursor")}
        settings = request.app.state.settings
        args = report.arguments(given, settings.report_defaults(), CATALOG.by_label)
        after = cursors.decode(cursor) if cursor else ""
        rows, key = await reports.page_async(request.app.state.reader, report, args, after, limit)
        # As read: the rows are plain values already (times in their one text form), so
        # the page model documents them and is not run over them again.
        return JSON(
            {
                "items": rows,
                "next_cursor": cursors.encode(key) if key is not None else None,
                "parameters": args,
            }
        )

    run_report.__doc__ = report.description
    return run_report
