"""REST routes for every kind, derived from the catalog: list, get, and the kinds index."""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from api import auth, cursors, schemas
from api.times import When
from graph import history, tags
from graph.reads import Reader
from model import Catalog, Kind, Link
from model.times import rfc3339


class JSON(Response):
    """Pages encoded by orjson straight from the reader's plain values, with no
    validation pass: the rows were typed when they were written."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def refuse_unknown(request: Request, known: set[str]) -> None:
    """A 400 for a query parameter the route does not take (FastAPI would ignore it, and
    a misspelt filter would then match everything)."""
    unknown = set(request.query_params) - known
    if unknown:
        raise HTTPException(400, f"unknown parameter(s) {sorted(unknown)}; known: {sorted(known)}")


def reader(request: Request) -> Reader:
    return request.app.state.reader


# A tag filter's value as the OpenAPI document states it: a key first (graph.tags.parse).
_Tag = Annotated[str, StringConstraints(min_length=1, max_length=tags.MAX_LENGTH, pattern="^[^=]")]


def filter_names(kind: Kind) -> list[str]:
    """The kind's filters as query parameters: its exact-match fields, and ``tag`` if it
    has tags."""
    return [f.name for f in kind.filters] + ([tags.PARAM] if tags.tagged(kind) else [])


def _list_parameters(kind: Kind, max_limit: int) -> list[inspect.Parameter]:
    """A list route's parameters, as FastAPI reads them: the page's, then the filters."""
    query = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter(
            "limit",
            query,
            annotation=int,
            default=cursors.limit_query(max_limit),
        ),
        inspect.Parameter(
            "cursor",
            query,
            annotation=str | None,
            default=cursors.query(),
        ),
    ] + [
        inspect.Parameter(
            f.name,
            query,
            annotation=schemas.parameter_type(f.type) | None,
            default=Query(None, description=f"Exact match on {f.name}."),
        )
        for f in kind.filters
    ]
    if tags.tagged(kind):
        params.append(
            inspect.Parameter(
                tags.PARAM,
                query,
                # A list with no null beside it: in a query string, nothing else can be.
                annotation=list[_Tag],
                default=Query(
                    [],
                    description="A tag the node must carry: `key=value`, or `key` for any "
                    "value of that key. Repeatable: every one must match.",
                    max_length=tags.MAX_TAGS,
                ),
            )
        )
    return params


def _list_route(kind: Kind, max_limit: int) -> Any:
    names = filter_names(kind)

    async def list_items(request: Request, **params: Any) -> Response:
        refuse_unknown(request, {"limit", "cursor", *names})
        limit, cursor = params.pop("limit"), params.pop("cursor")
        chosen = {k: v for k, v in params.items() if v is not None and v != []}
        if tags.PARAM in chosen:
            try:
                tags.parse(chosen[tags.PARAM])
            except ValueError as exc:
                raise HTTPException(400, str(exc)) from None
        after = cursors.decode(cursor) if cursor else ""
        items, last = await request.app.state.reader.page_json(kind, chosen, after, limit)
        next_cursor = orjson.dumps(cursors.encode(last) if last is not None else None)
        return Response(
            b'{"items":' + items + b',"next_cursor":' + next_cursor + b"}",
            media_type="application/json",
        )

    params = _list_parameters(kind, max_limit)
    list_items.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    list_items.__name__ = f"list_{kind.provider}_{kind.name.replace('-', '_')}"
    return list_items


def _get_route(kind: Kind, catalog: Catalog) -> Any:
    paths = {k.label: k.path for k in catalog.kinds}

    async def get_item(
        request: Request,
        uid: str = Path(description=f"The {kind.label}'s uid."),
        at: When | None = Query(
            None,
            description="As it was at this time (RFC 3339, or back from now: `1h`, `7d`): "
            "rebuilt from its changes; 404 if it did not exist then.",
        ),
    ) -> JSON:
        if at is not None:
            return await _as_of(request, kind, uid, at, paths)
        found = await request.app.state.reader.item(kind, uid)
        if found is None:
            raise HTTPException(404, f"no {kind.label} with uid {uid!r}")
        item, links = found
        return JSON({"item": item, "relationships": _with_paths(links, paths)})

    get_item.__name__ = f"get_{kind.provider}_{kind.name.replace('-', '_').removesuffix('s')}"
    return get_item


def _with_paths(links: list[dict[str, Any]], paths: dict[str, str]) -> list[dict[str, Any]]:
    for link in links:
        if link["label"] in paths:
            link["path"] = f"{paths[link['label']]}/{link['uid']}"
    return links


async def _as_of(
    request: Request, kind: Kind, uid: str, at: datetime, paths: dict[str, str]
) -> JSON:
    past = await history.as_of(request.app.state.reader, kind, uid, at)
    if past is None:
        raise HTTPException(404, f"no {kind.label} with uid {uid!r} at {rfc3339(at)}")
    reconstruction = {
        "at": rfc3339(at),
        "start": past.start,
        "changes_undone": past.undone,
        "untracked": list(past.untracked),
    }
    links = _with_paths(past.links, paths)
    return JSON({"item": past.item, "relationships": links, "reconstruction": reconstruction})


def _related_route(kind: Kind, link: Link, name: str, max_limit: int) -> Any:
    other = link.other(kind.label)

    async def related(
        request: Request,
        uid: str = Path(description=f"The {kind.label}'s uid."),
        limit: int = cursors.limit_query(max_limit),
        cursor: str | None = cursors.query(),
    ) -> JSON:
        r: Reader = request.app.state.reader
        if uid not in await r.get_many(kind, [uid]):
            raise HTTPException(404, f"no {kind.label} with uid {uid!r}")
        after = cursors.decode(cursor) if cursor else ""
        found = await r.related(link, kind.label, [uid], limit + 1, after)
        items = found.get(uid, [])
        more = len(items) > limit
        items = items[:limit]
        return JSON(
            {"items": items, "next_cursor": cursors.encode(items[-1]["uid"]) if more else None}
        )

    related.__name__ = f"{kind.provider}_{kind.name.replace('-', '_')}_{name}"
    related.__doc__ = (
        f"A page of the {other} nodes related to one {kind.label} through {link.type}, "
        "in uid order."
    )
    return related


def segment(name: str) -> str:
    """A relationship field's name as a path segment: kebab-case, like the kinds' paths
    (``security_groups`` -> ``security-groups``)."""
    return name.replace("_", "-")


def relationships(catalog: Catalog, kind: Kind) -> dict[str, Link]:
    """The kind's relationship fields (the links' ``forward``/``backward`` names)."""
    out = {}
    for link in catalog.links_of(kind.label):
        if link.source == kind.label:
            out[link.forward] = link
        if link.target == kind.label:
            out[link.backward] = link
    return out


def router(catalog: Catalog, max_limit: int) -> APIRouter:
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(auth.read)])

    @api.get("/kinds", tags=["kinds"], operation_id="list_kinds")
    async def kinds(request: Request) -> list[KindInfo]:
        """Every kind with its label, node count, REST path and GraphQL field."""
        r: Reader = request.app.state.reader
        return [
            KindInfo(
                provider=k.provider,
                name=k.name,
                label=k.label,
                count=await r.count(k),
                path=k.path,
                graphql=k.graphql_list,
                filters=filter_names(k),
                description=k.description,
            )
            for k in catalog.kinds
        ]

    for kind in catalog.kinds:
        route = kind.path.removeprefix("/api/v1")
        tag = f"{kind.provider}"
        related = relationships(catalog, kind)
        api.add_api_route(
            route,
            _list_route(kind, max_limit),
            methods=["GET"],
            tags=[tag],
            summary=f"List {kind.label} nodes",
            operation_id=schemas.operation(kind),
            response_model=schemas.page(kind),
            responses={200: {"links": schemas.list_links(kind, related)}},
        )
        # Before the item route: a uid (an ARN) may hold slashes.
        for name, link in related.items():
            api.add_api_route(
                route + "/{uid:path}/" + segment(name),
                _related_route(kind, link, name, max_limit),
                methods=["GET"],
                tags=[tag],
                summary=f"{kind.label} {name} ({link.type})",
                operation_id=schemas.operation(kind, "related", name),
                response_model=schemas.page(catalog.by_label[link.other(kind.label)]),
                responses={200: {"links": schemas.related_links(catalog, kind, link)}},
            )
        api.add_api_route(
            route + "/{uid:path}",
            _get_route(kind, catalog),
            methods=["GET"],
            tags=[tag],
            summary=f"One {kind.label} with its relationships",
            operation_id=schemas.operation(kind, "get"),
            response_model=schemas.item(kind),
            responses={200: {"links": schemas.item_links(kind, related)}},
        )
    return api


class KindInfo(BaseModel):
    """A kind of node: where to list it, and how many there are."""

    provider: str
    name: str = Field(description="Plural, as in paths and task names: instances.")
    label: str = Field(description="The graph label: AWSInstance.")
    count: int = Field(description="Nodes of the kind in the graph now.")
    path: str = Field(description="Its list route.")
    graphql: str = Field(description="Its GraphQL list field.")
    filters: list[str] = Field(description="The list route's filter parameters.")
    description: str
