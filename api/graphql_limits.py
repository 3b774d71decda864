"""What one GraphQL query may ask for: its depth, its aliases, its field selections, its
page sizes and its cost, the most nodes it could return from the graph as it is.

The cost is an upper bound, level by level down the nesting, from the graph's own
statistics (``graph.statistics``: nodes per label from Neo4j's count store, and per
relationship type and direction from a label, the relationship count, also from the count
store, and the largest degree any one node has):

- a kind's list field (``awsVpcs``) returns at most ``min(limit, nodes of the label)``
  distinct nodes; an item field (``awsVpc(uid:)``) at most one;
- a relationship field (``subnets``) returns, for each row of its parent level, at most
  ``min(first, largest degree)`` nodes (1 for a field naming one node): the parent's rows
  times that;
- when the parent's rows are distinct nodes, each row below is a distinct relationship,
  so there are also no more than the relationships of that type and direction (the
  average fan-out times the parents, at most); the rows below are distinct nodes again
  when no node has more than one relationship of that type back (a VM has one host);
- any other list field (``tasks``) multiplies its parent's rows by its page size.

The sum over every level is the cost.  On the demo vCenter, the README's
``{ vsphereClusters { name hosts { name vms { ... datastores { name } } } } }`` costs
4 + 8 + 96 + 96 = 204, what it returns at most, where page sizes alone (100, then 25 per
relationship) said 1,627,600.  A query whose real fan-out is large still costs what it
could return: security groups, their instances, those instances' groups and the groups'
instances, with one group of 1,000 instances, costs over a million and is refused.

Page sizes alone also bound the cost (each statistic only lowers a level's rows), so a
query within the limit by its pages needs no statistics, and one over a limit of depth,
aliases, fields or page size is refused without them.  Only a query over the cost by its
pages alone is estimated from them.  A statistic is never a guess: largest degrees that
could not be read in time are taken as the relationship counts, and without any
statistics (Neo4j unreachable) the cost is the pages' product.

Each API process starts reading the statistics at its first GraphQL query, without
waiting; the first query that needs them waits for that read, once (up to
``api.query_timeout_s``; about a second the first time the server plans the two
statements, milliseconds after).  They are read again behind the queries at most every
``api.graphql.statistics_s`` seconds, queries meanwhile using the last ones: a graph that
grew since is estimated by its size at the last read.

Checked with the query's own variables before GraphQL's own validation rules, so a query
over a limit is refused with a GraphQL error naming the limit before any read of the
graph's data (the statistics are counts, not data).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.utils.str_converters import to_camel_case

from app.config import GraphQLLimits
from graph import statistics
from graph.statistics import Side, Statistics
from model import Catalog

log = logging.getLogger(__name__)

PAGE_ARGS = ("first", "limit")


@dataclass(frozen=True)
class Reach:
    """Where a kind's field leads: the label of the nodes it gives, through which side of
    a relationship (None for a root field), and whether it gives a list."""

    label: str
    side: Side | None
    many: bool


def reaches(catalog: Catalog) -> dict[tuple[str, str], Reach]:
    """Each kind field by (its type's name, its GraphQL name); root fields under ``""``."""
    out: dict[tuple[str, str], Reach] = {}
    for kind in catalog.kinds:
        out["", kind.graphql_list] = Reach(kind.label, None, True)
        out["", kind.graphql_item] = Reach(kind.label, None, False)
    for link in catalog.links:
        forward = Reach(link.target, Side(link.source, link.type, True), link.forward_many)
        backward = Reach(link.source, Side(link.target, link.type, False), link.backward_many)
        out[link.source, to_camel_case(link.forward)] = forward
        out[link.target, to_camel_case(link.backward)] = backward
    return out


@dataclass(frozen=True)
class Level:
    """The most rows one level of a query can have, and whether they are distinct nodes."""

    rows: int
    distinct: bool


@dataclass
class Tally:
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: int = 0
    # Page arguments of kind fields outside 1..max page size: (field, argument, value).
    pages: list[tuple[str, str, int]] = field(default_factory=list)


def _unwrap(kind: Any) -> tuple[Any, bool]:
    """The named type under NonNull and List wrappers, and whether a List was among them."""
    listed = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        listed = listed or isinstance(kind, GraphQLList)
        kind = kind.of_type
    return kind, listed


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, Any],
        variables: dict,
        known: dict[tuple[str, str], Reach],
        stats: Statistics | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.known = known
        self.stats = stats
        self.tally = Tally()

    def _selections(self, selection_set: SelectionSetNode, seen: frozenset[str]) -> Iterator:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self._selections(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # cycles are GraphQL's to refuse
                    yield from self._selections(fragment.selection_set, seen | {name})

    def _page(self, node: FieldNode, definition: Any) -> tuple[str, int]:
        """The field's page argument and its size: as given, else its default (1 if none)."""
        for arg in node.arguments or ():
            if arg.name.value in PAGE_ARGS:
                value = arg.value
                if isinstance(value, IntValueNode):
                    return arg.name.value, int(value.value)
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value)
                    if isinstance(given, int):
                        return arg.name.value, given
        for name in PAGE_ARGS:
            arg = definition.args.get(name) if definition is not None else None
            if arg is not None and isinstance(arg.default_value, int):
                return name, arg.default_value
        return "", 1

    def _level(self, parent: Level, reach: Reach | None, page: int) -> Level:
        stats = self.stats
        if reach is None or stats is None:  # not a kind, or no statistics: pages alone
            return Level(parent.rows * page, False)
        if reach.side is None:  # a root field: distinct nodes of its label
            return Level(min(page, stats.nodes.get(reach.label, 0)), True)
        side = reach.side
        rows = parent.rows * min(page, stats.degrees.get(side, 0))
        if parent.distinct:  # each row a distinct relationship
            rows = min(rows, stats.links.get(side, 0))
        back = stats.degrees.get(side.seen_from(reach.label), 0)
        return Level(rows, parent.distinct and back <= 1)

    def selection_set(
        self, parent: Any, root: bool, selection_set: SelectionSetNode, depth: int, level: Level
    ) -> None:
        for node in self._selections(selection_set, frozenset()):
            self.tally.fields += 1
            self.tally.aliases += node.alias is not None
            self.tally.depth = max(self.tally.depth, depth)
            definition = parent.fields.get(node.name.value) if hasattr(parent, "fields") else None
            if definition is None:
                continue  # an unknown field: GraphQL's own validation refuses it
            named, listed = _unwrap(definition.type)
            if not isinstance(named, GraphQLObjectType):
                continue
            reach = self.known.get(("" if root else parent.name, node.name.value))
            arg, page = self._page(node, definition)
            if reach is not None and reach.many and arg:
                self.tally.pages.append((node.name.value, arg, page))
            here = self._level(level, reach, page if listed else 1)
            self.tally.cost += here.rows
            if node.selection_set is not None:
                self.selection_set(named, False, node.selection_set, depth + 1, here)


def tally(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict,
    variables: dict,
    known: dict[tuple[str, str], Reach],
    stats: Statistics | None,
) -> Tally:
    walk = _Walk(schema, fragments, variables, known, stats)
    root = schema.get_root_type(operation.operation)
    walk.selection_set(root, True, operation.selection_set, 1, Level(1, True))
    return walk.tally


def refusals(
    limits: GraphQLLimits,
    max_page: int,
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict,
    known: dict[tuple[str, str], Reach],
    stats: Statistics | None,
) -> list[GraphQLError]:
    """An error for each limit an operation of the document is over."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    errors = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        found = tally(schema, operation, fragments, variables, known, stats)
        for name, arg, page in found.pages:
            if not 1 <= page <= max_page:
                errors.append(
                    GraphQLError(
                        f"{arg} must be between 1 and {max_page} (api.max_page_size): "
                        f"{name}({arg}: {page})",
                        operation,
                        extensions={"code": "QUERY_TOO_LARGE", "limit": "page"},
                    )
                )
        for what, value, most, hint in (
            ("depth", found.depth, limits.max_depth, "nest fewer levels"),
            ("aliases", found.aliases, limits.max_aliases, "send several queries"),
            ("fields", found.fields, limits.max_fields, "select fewer fields"),
            (
                "cost",
                found.cost,
                limits.max_cost,
                "ask for smaller pages (first/limit) or fewer levels",
            ),
        ):
            if value > most:
                errors.append(
                    GraphQLError(
                        f"query {what} {value} is over the limit of {most}: {hint}",
                        operation,
                        extensions={"code": "QUERY_TOO_LARGE", "limit": what},
                    )
                )
    return errors


class Known:
    """The graph's statistics as one API process knows them: read when the first query
    needs them, then again in the background at most every ``every_s`` seconds.  Only
    the first read is ever waited for; later queries take the last statistics read."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self.stats: Statistics | None = None
        self._reading: Future[Statistics] | None = None
        self._started = float("-inf")
        self._waited = False
        self._lock = threading.Lock()

    def refresh(self, read: Callable[[], Statistics]) -> Future[Statistics] | None:
        """Start ``read()`` in a thread of its own if one is due and none runs: the read
        under way, if any."""
        with self._lock:
            now = time.monotonic()
            running = self._reading is not None and not self._reading.done()
            if not running and now - self._started >= self.every_s:
                self._started = now
                self._reading = Future()
                threading.Thread(
                    target=self._run,
                    args=(read, self._reading),
                    name="graph-statistics",
                    daemon=True,
                ).start()
            return self._reading

    def _run(self, read: Callable[[], Statistics], future: Future[Statistics]) -> None:
        future.set_running_or_notify_cancel()
        try:
            stats = read()
        except Exception as exc:  # the next read is due after every_s anyway
            log.warning("graph statistics not read (%s): the last ones serve", exc)
            future.set_exception(exc)
            return
        self.stats = stats
        future.set_result(stats)

    async def get(self, read: Callable[[], Statistics], wait_s: float) -> Statistics | None:
        """The statistics to estimate with; on the first query, after waiting up to
        ``wait_s`` for the first read (None if it failed or took longer)."""
        reading = self.refresh(read)
        if self.stats is None and not self._waited and reading is not None:
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(reading)), wait_s)
            except Exception as exc:  # estimated from page sizes until a read succeeds
                log.warning("first graph statistics not read in time (%r)", exc)
            finally:
                self._waited = True
        return self.stats


# GraphQL's own rules, once per distinct document (with strawberry's ParserCache, per
# query text): the visitors they build were most of a query's garbage.
_validate = lru_cache(maxsize=256)(validate_document)


def extension(limits: GraphQLLimits, catalog: Catalog, max_page: int) -> type[SchemaExtension]:
    known_fields = reaches(catalog)
    known = Known(limits.statistics_s)

    class Limits(SchemaExtension):
        async def on_validate(self) -> AsyncIterator[None]:
            # The limits first: a walk of the document, cheap, so an oversized query never
            # reaches GraphQL's rules (overlapping fields costs the square of the fields).
            context = self.execution_context
            schema, document = context.schema._schema, context.graphql_document
            assert document is not None  # parsed before validation
            variables = context.variables or {}
            errors = refusals(limits, max_page, schema, document, variables, known_fields, None)
            others = [e for e in errors if (e.extensions or {}).get("limit") != "cost"]
            reader = getattr(context.context, "reader", None)
            read: Callable[[], Statistics] | None = None
            timeout = 10.0
            if reader is not None:  # None: no graph behind this execution
                timeout = reader.timeout or timeout
                db, driver = reader.database, reader.driver
                read = partial(statistics.read, driver, db, catalog, timeout)
                known.refresh(read)  # kept fresh behind the queries, never waited for here
            if errors and not others and read is not None:
                # Over the cost by page sizes alone: by what the graph can really give?
                stats = await known.get(read, timeout)
                if stats is not None:
                    errors = refusals(
                        limits, max_page, schema, document, variables, known_fields, stats
                    )
            elif others:  # refused anyway: no cost without the statistics
                errors = others
            context.pre_execution_errors = errors or _validate(
                schema, document, context.validation_rules
            )
            yield

    return Limits
