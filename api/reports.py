"""REST routes for reports: the list, and the paged rows of one with typed parameters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request

from api import auth, cursors
from graph import reports
from model.times import rfc3339

DEFAULT_LIMIT = 100


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

    @api.get("")
    def list_reports(request: Request) -> list[dict[str, Any]]:
        """Every report: what it finds, its columns and parameters (types, bounds,
        defaults), and how many rows it had when `aux:reports` last ran."""
        return describe_all(request)

    @api.get("/{name}")
    async def run_report(
        request: Request,
        name: str = Path(description="The report's name, as listed."),
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=max_limit, description="Page size."),
        cursor: str | None = cursors.query(),
    ) -> dict[str, Any]:
        """One page of a report's rows.  Its parameters go in the query string
        (`?min_age_days=30`); an unknown or ill-typed one is refused with 422 naming it."""
        report = reports.get(name)
        given = {k: v for k, v in request.query_params.items() if k not in ("limit", "cursor")}
        settings = request.app.state.settings
        args = report.arguments(given, settings.report_defaults())
        after = cursors.decode(cursor) if cursor else ""
        rows, key = await reports.page_async(request.app.state.reader, report, args, after, limit)
        return {
            "items": rows,
            "next_cursor": cursors.encode(key) if key is not None else None,
            "parameters": args,
        }

    return api
