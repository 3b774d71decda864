"""The GraphQL schema, built from the catalog: a type per kind with relationship fields
both ways and its ``history``, a list field (filter, ``after`` cursor, ``limit``) and an
item field per kind (``at``: as it was then); the task queries and mutations of
api.graphql_tasks, the reports of api.graphql_reports and ``changes`` of
api.graphql_changes.

A query of kind fields only runs as one Cypher statement (api.graphql_compile).  The
resolvers answer the rest: their relationship fields go through one DataLoader per
relationship and direction, so a nested query costs one database round trip per level,
not one per parent row.
"""

from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import strawberry
from fastapi import Request
from fastapi.responses import HTMLResponse
from strawberry.dataloader import DataLoader
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.tools import create_type, merge_types
from strawberry.types.nodes import SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from api import auth, cursors, graphql_changes, graphql_compile, graphql_limits, graphql_scalars
from api.graphql_changes import ChangeQuery
from api.graphql_reports import ReportQuery
from api.graphql_tasks import Mutation, TaskQuery
from api.schemas import value_type
from app.config import GraphQLLimits
from graph import tags
from graph.reads import Reader
from model import Catalog, Field, Kind, Link
from worker.runtime import Runtime

# Smaller for relationship lists, so three levels at their defaults stay in the cost limit.
RELATED_LIMIT = 25


def _scalar(declared: type) -> Any:
    """A field's GraphQL type: REST's, but times as the DateTime scalar and whole numbers
    as Long (api.graphql_scalars)."""
    return graphql_scalars.Long if declared is int else value_type(declared, time=datetime)


class Context(BaseContext):
    def __init__(
        self, reader: Reader, runtime: Runtime, access: str | None, max_limit: int
    ) -> None:
        super().__init__()
        self.reader = reader
        self.max_limit = max_limit
        self.runtime = runtime
        self.access = access  # the token's: read or admin (None only for the GraphiQL page)
        self._loaders: dict[tuple[Any, ...], DataLoader[str, Any]] = {}
        self._selections: dict[tuple[Any, ...], frozenset[str]] = {}

    def selected(self, info: strawberry.Info, cls: type) -> frozenset[str]:
        """``_selected``, once per level of the query: a relationship field resolves once
        per parent row, and every row of a level selects the same fields."""
        level = (cls, *(key for key in info.path.as_list() if isinstance(key, str)))
        if level not in self._selections:
            self._selections[level] = _selected(info, cls)
        return self._selections[level]

    def loader(
        self, link: Link, from_label: str, first: int, after: str, fields: frozenset[str]
    ) -> DataLoader[str, list[dict[str, Any]]]:
        """One loader per relationship, direction, page and selection: all the parents a
        level of a query resolves are read in one query."""
        key = (link.source, link.type, link.target, from_label, first, after, fields)
        reader = self.reader  # not self: a loader held by its context is a cycle

        async def load(uids: list[str]) -> list[list[dict[str, Any]]]:
            found = await reader.related(link, from_label, list(uids), first, after, fields)
            return [found.get(uid, []) for uid in uids]

        return self.batched(key, load)

    def batched(
        self, key: tuple[Any, ...], load: Callable[[list[str]], Awaitable[list[Any]]]
    ) -> DataLoader[str, Any]:
        """The loader of ``key`` (made with ``load`` if it is the first asked for): the
        uids a level of a query loads through one key are read in one ``load``."""
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def release(self) -> None:
        """Drops the loaders and the rows they hold once the answer is made: the loaders'
        futures and batches refer to each other, so only a full collection would free
        them, and a nested query's thousand rows with them."""
        for loader in self._loaders.values():
            loader.clear_all()
        self._loaders.clear()


class Release(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            context.release()


@cache
def _scalars(cls: type) -> dict[str, str]:
    """The type's plain fields by their GraphQL names."""
    return {to_camel_case(name): name for name in cls.__annotations__}


def _selected(info: strawberry.Info, cls: type) -> frozenset[str]:
    """The plain fields of ``cls`` the query selects under this field (fragments
    included): the reads project only those."""
    names = _scalars(cls)

    def walk(selections: Iterable[Selection]) -> Iterator[str]:
        for selection in selections:
            if isinstance(selection, SelectedField):
                if selection.name in names:
                    yield names[selection.name]
            else:  # a fragment
                yield from walk(selection.selections)

    return frozenset(walk(s for field in info.selected_fields for s in field.selections))


def _make(cls: type, row: dict[str, Any]) -> Any:
    names = cls.__annotations__  # plain fields only; relationship fields are resolvers
    return cls(**{k: row.get(k) for k in names})


def _relationship(
    link: Link, from_label: str, many: bool, types: dict[str, type], catalog: Catalog, most: int
) -> Any:
    other = types[link.other(from_label)]
    other_kind = catalog.by_label[link.other(from_label)]

    async def rows_of(root: Any, info: strawberry.Info, first: int, after: str) -> list[Any]:
        fields = info.context.selected(info, other)
        # An item asked for `at` a time: the nodes related to it then (api.graphql_changes).
        then = await graphql_changes.related_then(
            info, root, link, other_kind, first, after, fields
        )
        if then is not None:
            return then
        return await info.context.loader(link, from_label, first, after, fields).load(root.uid)

    if not many:

        async def resolve_one(root: Any, info: strawberry.Info) -> Any:
            rows = await rows_of(root, info, 1, "")
            return _make(other, rows[0]) if rows else None

        return strawberry.field(
            resolver=resolve_one, graphql_type=other | None, description=f"Through {link.type}."
        )

    async def resolve(
        root: Any, info: strawberry.Info, first: int = RELATED_LIMIT, after: str | None = None
    ) -> Any:
        cursors.page_size("first", first, most)
        return [_make(other, r) for r in await rows_of(root, info, first, after or "")]

    return strawberry.field(
        resolver=resolve,
        graphql_type=list[other],
        description=f"Through {link.type}, in uid order: `first` of them after the uid `after`.",
    )


def _node_types(catalog: Catalog, max_limit: int) -> dict[str, type]:
    # Plain classes first, so that relationship fields can name each other.
    types: dict[str, type] = {}
    for kind in catalog.kinds:
        annotations: dict[str, Any] = {f.name: _scalar(f.type) | None for f in kind.all_fields}
        annotations["uid"] = str  # every node has one
        types[kind.label] = type(
            kind.label, (), {"__annotations__": annotations, **dict.fromkeys(annotations)}
        )
    for kind in catalog.kinds:
        cls = types[kind.label]
        for link in catalog.links_of(kind.label):
            if link.source == kind.label:
                setattr(
                    cls,
                    link.forward,
                    _relationship(link, kind.label, link.forward_many, types, catalog, max_limit),
                )
            if link.target == kind.label:
                setattr(
                    cls,
                    link.backward,
                    _relationship(link, kind.label, link.backward_many, types, catalog, max_limit),
                )
        cls.history = graphql_changes.history_field(kind)  # type: ignore[attr-defined]
        cls.reconstruction = graphql_changes.reconstruction_field()  # type: ignore[attr-defined]
        strawberry.type(cls, description=kind.description or kind.label)
    return types


def _filter_input(kind: Kind) -> type:
    fields: list[Field] = list(kind.filters)
    annotations = {f.name: _scalar(f.type) | None for f in fields}
    defaults: dict[str, Any] = dict.fromkeys(annotations)
    if tags.tagged(kind):  # as REST's repeatable ?tag=
        annotations[tags.PARAM] = list[str] | None
        defaults[tags.PARAM] = strawberry.field(
            default=None,
            description="Tags the node must carry, every one: `key=value`, or `key` for "
            "any value of that key (REST's `tag`).",
        )
    cls = type(f"{kind.label}Filter", (), {"__annotations__": annotations, **defaults})
    return strawberry.input(cls, description=f"Filters on {kind.label}: all must match.")


def _list_field(kind: Kind, cls: type, max_limit: int) -> Any:
    filter_cls = _filter_input(kind)

    async def resolve(
        info: strawberry.Info,
        filter: filter_cls | None = None,  # type: ignore[valid-type]
        after: str | None = None,
        limit: int = cursors.DEFAULT_LIMIT,
    ) -> list[cls]:  # type: ignore[valid-type]
        cursors.page_size("limit", limit, max_limit)
        chosen = {k: v for k, v in vars(filter).items() if v is not None} if filter else {}
        if chosen.get(tags.PARAM) == []:
            del chosen[tags.PARAM]  # no tag to match: every node does
        elif tags.PARAM in chosen:
            tags.parse(chosen[tags.PARAM])  # a bad value is this field's error, before a read
        rows = await info.context.reader.page(
            kind, chosen, after or "", limit, info.context.selected(info, cls)
        )
        return [_make(cls, r) for r in rows]

    return strawberry.field(
        resolver=resolve,
        description=f"{kind.label} nodes in uid order; pass the last uid as `after` for more.",
    )


def _item_field(kind: Kind, cls: type) -> Any:
    async def resolve(info: strawberry.Info, uid: str, at: str | None = None) -> cls | None:  # type: ignore[valid-type]
        if at is not None:
            then = await graphql_changes.as_of(info, kind, uid, at)
            if then is None:
                return None
            item = _make(cls, then.past.item)
            item._as_of = then  # its reconstruction, and its relationships then
            return item
        found = await info.context.reader.get_many(kind, [uid], info.context.selected(info, cls))
        return _make(cls, found[uid]) if uid in found else None

    return strawberry.field(
        resolver=resolve,
        description=f"One {kind.label} by uid; with `at` (RFC 3339, or back from now: "
        "`1h`, `7d`), as it was then, rebuilt from its changes (see `reconstruction`), "
        "null if it did not exist then.",
    )


def schema(
    catalog: Catalog, max_limit: int, limits: GraphQLLimits, compiled: bool = True
) -> strawberry.Schema:
    """The schema; ``compiled``: queries of kind fields only run as one Cypher statement
    (api.graphql_compile), the rest through the resolvers (all of them, without it)."""
    types = _node_types(catalog, max_limit)
    fields = []
    for kind in catalog.kinds:
        cls = types[kind.label]
        list_field = _list_field(kind, cls, max_limit)
        list_field.name = kind.graphql_list
        item_field = _item_field(kind, cls)
        item_field.name = kind.graphql_item
        fields += [list_field, item_field]
    query = merge_types(
        "Query", (create_type("KindQuery", fields), TaskQuery, ReportQuery, ChangeQuery)
    )
    return strawberry.Schema(
        query=query,
        mutation=Mutation,
        config=graphql_scalars.config(),
        extensions=[
            lambda: ParserCache(maxsize=256),
            graphql_limits.extension(limits, catalog, max_limit),
            Release,
            *([graphql_compile.extension(catalog, max_limit)] if compiled else []),
        ],
    )


def router(catalog: Catalog, max_limit: int, limits: GraphQLLimits) -> GraphQLRouter:
    async def context(request: Request) -> Context:
        # The GraphiQL page itself holds no data; every query needs a token (set it in
        # GraphiQL's headers tab as {"Authorization": "Bearer <token>"}).
        ide = (
            request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )
        access = None if ide else auth.token_access(request, await auth.bearer(request))
        return Context(request.app.state.reader, request.app.state.runtime, access, max_limit)

    return Router(
        schema(catalog, max_limit, limits, limits.compile),
        context_getter=context,
        graphql_ide="graphiql",
    )


GRAPHIQL = (Path(__file__).parent / "static" / "graphiql.html").read_text()


class Router(GraphQLRouter):
    """The GraphQL router, whose GraphiQL page loads its assets from this server."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(GRAPHIQL)

    def encode_json(self, data: object) -> bytes:
        # A thousand nodes' answer: orjson writes it in a tenth of json's time.
        return orjson.dumps(data)
