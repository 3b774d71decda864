"""REST routes of the change records (graph.history): ``GET /api/v1/changes`` and each
kind's ``…/{uid}/history``, newest first, with their times (api.times) and cursors (a
position: api.cursors).  ``since`` and ``until`` both include their time; ``until``
before ``since`` is an empty page.  Registered before the kinds' routes: a history route
must be tried before the item route, whose uid may hold slashes."""

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from api import auth, cursors, schemas
from api.kinds import JSON, refuse_unknown
from api.schemas import ChangeKind
from api.times import When
from graph import history
from graph.history import Asked
from model import Catalog, Kind

SINCE = Query(None, description="From this time on (included): RFC 3339, or back from now.")
UNTIL = Query(None, description="Up to this time (included): RFC 3339, or back from now.")
CHANGES = Query([], description="Of this kind of change. Repeatable.")


def _page(items: list[dict[str, Any]], last: history.Position | None) -> JSON:
    return JSON({"items": items, "next_cursor": cursors.encode_position(last)})


def router(catalog: Catalog, max_limit: int) -> APIRouter:
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(auth.read)])
    Label = Literal[tuple(k.label for k in catalog.kinds)]  # type: ignore[valid-type]

    @api.get(
        "/changes",
        tags=["changes"],
        operation_id="list_changes",
        response_model=schemas.ChangePage,
    )
    async def list_changes(
        request: Request,
        limit: int = cursors.limit_query(max_limit),
        cursor: str | None = cursors.position_query(),
        since: When | None = SINCE,
        until: When | None = UNTIL,
        label: list[Label] = Query(  # type: ignore[valid-type]
            [], description="Of a node of this label (either end of a relationship). Repeatable."
        ),
        uid: str | None = Query(None, description="About this node (either end)."),
        change: list[ChangeKind] = CHANGES,
        scope: str | None = Query(
            None,
            description="In this scope (`111111111111/eu-west-1`, `vc-a`) or under it "
            "(`111111111111`: every region of the account).",
        ),
    ) -> JSON:
        """Changes of the graph, newest first: nodes created, updated (each field before
        and after) and deleted, relationships linked and unlinked, as collections, link
        tasks and the housekeeper recorded them (kept graph.change_retention_days)."""
        refuse_unknown(
            request, {"limit", "cursor", "since", "until", "label", "uid", "change", "scope"}
        )
        asked = Asked(since, until, tuple(label), uid, tuple(change), scope)
        after = cursors.decode_position(cursor)
        return _page(*await history.page_async(request.app.state.reader, asked, after, limit))

    for kind in catalog.kinds:
        api.add_api_route(
            kind.path.removeprefix("/api/v1") + "/{uid:path}/history",
            _history_route(kind, max_limit),
            methods=["GET"],
            tags=[kind.provider],
            summary=f"The changes of one {kind.label}",
            operation_id=schemas.operation(kind, "history"),
            response_model=schemas.ChangePage,
        )
    return api


def _history_route(kind: Kind, max_limit: int) -> Any:
    async def history_of(
        request: Request,
        uid: str = Path(description=f"The {kind.label}'s uid."),
        limit: int = cursors.limit_query(max_limit),
        cursor: str | None = cursors.position_query(),
        since: When | None = SINCE,
        until: When | None = UNTIL,
        change: list[ChangeKind] = CHANGES,
    ) -> JSON:
        refuse_unknown(request, {"limit", "cursor", "since", "until", "change"})
        asked = Asked(since, until, uid=uid, changes=tuple(change))
        reader = request.app.state.reader
        after = cursors.decode_position(cursor)
        items, last = await history.page_async(reader, asked, after, limit, kind.label)
        if not items and not await history.known(reader, kind.label, uid):
            raise HTTPException(404, f"nothing is known of a {kind.label} with uid {uid!r}")
        return _page(items, last)

    history_of.__name__ = schemas.operation(kind, "history")
    history_of.__doc__ = (
        f"The changes of one {kind.label}, newest first: its own and those of its "
        "relationships. A deleted one's stay for the retention "
        "(graph.change_retention_days); 404 only when neither the node nor any change of "
        "it is known."
    )
    return history_of
