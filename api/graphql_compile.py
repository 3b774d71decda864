"""GraphQL in one query: a query made only of kind fields — lists with their filters and
pages, items, relationship fields to any depth with their pages, fragments, aliases,
``@skip``/``@include``, ``__typename`` — becomes one Cypher statement, whose answer Neo4j
writes as JSON text where it has APOC, turned into the response's data in one pass.

Strawberry still parses and validates the query and applies the limits
(api.graphql_limits); only the execution changes: resolving each field in Python cost
~55 ms of CPU for a query of 1,000 leaves, most of the API's time.  Each node comes as the
list of its selected values in selection order (Cypher maps keep no order, a GraphQL
answer does), which ``Shape`` zips with the response keys.

A query with anything else (tasks, reports, changes, ``history``, ``reconstruction``,
``at``, tag filters, introspection) runs through the resolvers, as does an argument the
resolvers would refuse, so that their error is the answer; the answers are the same
either way (tests/test_graphql_compile.py compares them field by field).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution import ExecutionResult, get_argument_values, get_directive_values
from graphql.execution.values import VariableValues, get_variable_values
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.utils.str_converters import to_camel_case

import cypher
from api.graphql_limits import Reach, reaches
from graph import tags
from graph.reads import Reader, value
from model import Catalog, Kind


class NotCompiled(Exception):
    """A query the resolvers answer."""


@dataclass(frozen=True)
class Shape:
    """How one node's list of values becomes its response object: the response keys in
    selection order, and which values are relationship fields (a list of nodes, or one
    node or null) with their own shapes."""

    keys: tuple[str, ...]
    nested: tuple[tuple[int, bool, Shape], ...] = ()

    def build(self, row: list[Any]) -> dict[str, Any]:
        out = dict(zip(self.keys, row, strict=True))
        for i, many, shape in self.nested:
            value = row[i]
            if many:
                out[self.keys[i]] = [shape.build(r) for r in value]
            elif value is not None:
                out[self.keys[i]] = shape.build(value)
        return out


@dataclass(frozen=True)
class Compiled:
    statement: str
    params: dict[str, Any]
    shape: Shape  # of the root: one value per root field

    async def run(self, reader: Reader) -> dict[str, Any]:
        encode = await reader.encodes_json()
        statement = self.statement.replace("{{encode}}", "apoc.convert.toJson" if encode else "")
        records = await reader.run(statement, **self.params)
        data = records[0]["data"]
        return self.shape.build(orjson.loads(data) if encode else data)


class _Statement:
    """The parameters of one statement being compiled, named in turn."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return name


class Compiler:
    def __init__(self, catalog: Catalog, schema: GraphQLSchema, max_page: int) -> None:
        self.catalog = catalog
        self.schema = schema
        self.max_page = max_page
        # Where each kind field leads (root fields under ""), as the limits walk them.
        self.reaches = reaches(catalog)
        self.fields = {
            kind.label: {to_camel_case(f.name): f for f in kind.all_fields}
            for kind in catalog.kinds
        }

    def compile(
        self, document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
    ) -> Compiled:
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            raise NotCompiled("not a query")
        values = get_variable_values(self.schema, operation.variable_definitions or (), variables)
        if not isinstance(values, VariableValues):
            raise NotCompiled("variables the resolvers refuse")
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        walk = _Walk(self, fragments, values, _Statement())
        return walk.root(operation.selection_set)


class _Walk:
    def __init__(
        self,
        compiler: Compiler,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        statement: _Statement,
    ) -> None:
        self.c = compiler
        self.fragments = fragments
        self.variables = variables
        self.s = statement

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (skip and skip["if"]) and (include is None or include["if"])

    def _collect(
        self, selection_set: SelectionSetNode | None, seen: frozenset[str], out: dict
    ) -> None:
        """The fields of a selection by response key, fragments spread (kind types are
        object types, so every fragment GraphQL accepts applies)."""
        for selection in selection_set.selections if selection_set else ():
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                out.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, seen, out)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen:
                    self._collect(self.fragments[name].selection_set, seen | {name}, out)

    def _fields(self, nodes: list[FieldNode]) -> Iterator[tuple[str, list[FieldNode]]]:
        """The fields selected under ``nodes`` (one field asked for under one response key,
        maybe several times: their selections merge)."""
        out: dict[str, list[FieldNode]] = {}
        for node in nodes:
            self._collect(node.selection_set, frozenset(), out)
        return iter(out.items())

    def _args(self, parent: GraphQLObjectType, node: FieldNode) -> dict[str, Any]:
        return get_argument_values(parent.fields[node.name.value], node, self.variables)

    def _page(self, value: Any) -> int:
        if not isinstance(value, int) or not 1 <= value <= self.c.max_page:
            raise NotCompiled("a page size the resolvers refuse")
        return value

    def root(self, selection_set: SelectionSetNode) -> Compiled:
        query = self.c.schema.query_type
        assert query is not None
        fields: dict[str, list[FieldNode]] = {}
        self._collect(selection_set, frozenset(), fields)
        calls, outs, keys, nested = [], [], [], []
        for i, (key, nodes) in enumerate(fields.items()):
            name = nodes[0].name.value
            keys.append(key)
            if name == "__typename":
                outs.append(f"'{query.name}'")
                continue
            reach = self.c.reaches.get(("", name))
            if reach is None:
                raise NotCompiled(f"root field {name}")
            kind, many = self.c.catalog.by_label[reach.label], reach.many
            args = self._args(query, nodes[0])
            row, shape = self._node(kind, "n0", nodes, 1)
            out = f"f{i}"
            if many:
                calls.append(self._list(kind, args, row, out))
            else:
                if args.get("at") is not None:
                    raise NotCompiled("a resource as it was")
                uid = self.s.param(args["uid"])
                calls.append(
                    cypher.render(
                        "graphql_item", var="n0", label=kind.label, uid=uid, row=row, out=out
                    )
                )
            outs.append(out)
            nested.append((i, many, shape))
        statement = cypher.render(
            "graphql_query", calls="\n".join(calls), outs=", ".join(outs), encode="{{encode}}"
        )
        return Compiled(statement, self.s.params, Shape(tuple(keys), tuple(nested)))

    def _list(self, kind: Kind, args: dict[str, Any], row: str, out: str) -> str:
        # By GraphQL's names: {"instanceType": "t3.micro", "tag": None, ...}.
        given = {k: v for k, v in (args.get("filter") or {}).items() if v is not None}
        if given.get(tags.PARAM) == []:
            del given[tags.PARAM]  # no tag to match: every node does (as the resolver)
        if tags.PARAM in given:
            raise NotCompiled("tag filters (read through their full-text index)")
        names = {to_camel_case(f.name): f.name for f in kind.filters}
        filters = "".join(
            f" AND n0.{names[key]} = ${self.s.param(value)}" for key, value in sorted(given.items())
        )
        return cypher.render(
            "graphql_list",
            var="n0",
            label=kind.label,
            after=self.s.param(args.get("after") or ""),
            filters=filters,
            limit=self.s.param(self._page(args.get("limit"))),
            row=row,
            out=out,
        )

    def _node(self, kind: Kind, var: str, nodes: list[FieldNode], depth: int) -> tuple[str, Shape]:
        """The list of a node's selected values (Cypher over ``var``) and its shape."""
        parent = self.c.schema.get_type(kind.label)
        assert isinstance(parent, GraphQLObjectType)
        scalars = self.c.fields[kind.label]
        values, keys, nested = [], [], []
        for i, (key, under) in enumerate(self._fields(nodes)):
            name = under[0].name.value
            keys.append(key)
            if name == "__typename":
                values.append(f"'{kind.label}'")
            elif name == "uid":
                values.append(f"{var}.uid")
            elif name in scalars:
                values.append(value(var, scalars[name]))
            elif (reach := self.c.reaches.get((kind.label, name))) is not None:
                args = self._args(parent, under[0])
                found, shape = self._related(reach, var, args, under, depth)
                values.append(found)
                nested.append((i, reach.many, shape))
            else:
                raise NotCompiled(f"{kind.label}.{name}")
        return f"[{', '.join(values)}]", Shape(tuple(keys), tuple(nested))

    def _related(
        self, reach: Reach, parent: str, args: dict[str, Any], nodes: list[FieldNode], depth: int
    ) -> tuple[str, Shape]:
        """A relationship field: its Cypher (a list of nodes' values, or one node's or
        null) and the shape of each node."""
        assert reach.side is not None  # not a root field
        other = self.c.catalog.by_label[reach.label]
        var = f"n{depth}"
        row, shape = self._node(other, var, nodes, depth + 1)
        # A field naming one node reads the first in uid order, as its resolver does.
        first, after = (
            (self._page(args["first"]), args.get("after") or "") if reach.many else (1, "")
        )
        expression = cypher.render(
            "graphql_related",
            parent=parent,
            arrow=reach.side.arrow,
            var=var,
            other=other.label,
            after=self.s.param(after),
            first=self.s.param(first),
            row=row,
        )
        return (expression if reach.many else f"head({expression})"), shape


# Compiled queries kept, by query text, operation and variables.
CACHE_SIZE = 256


def extension(catalog: Catalog, max_page: int) -> type[SchemaExtension]:
    compilers: list[Compiler] = []  # the schema's, made at its first query
    # By text, not by document: a document's hash walks its whole tree.
    known: dict[tuple[str, str | None, str], Compiled | None] = {}

    def compiled(
        schema: GraphQLSchema, query: str, document: DocumentNode, name: str | None, variables: str
    ) -> Compiled | None:
        key = (query, name, variables)
        if key not in known:
            if not compilers:
                compilers.append(Compiler(catalog, schema, max_page))
            try:
                found: Compiled | None = compilers[0].compile(document, name, json.loads(variables))
            except NotCompiled:
                found = None
            if len(known) >= CACHE_SIZE:
                del known[next(iter(known))]  # the oldest
            known[key] = found
        return known[key]

    class OneQuery(SchemaExtension):
        async def on_execute(self) -> AsyncIterator[None]:
            context = self.execution_context
            reader = getattr(context.context, "reader", None)
            document, query = context.graphql_document, context.query
            if reader is not None and document is not None and query is not None:
                variables = json.dumps(context.variables or {}, sort_keys=True, default=str)
                found = compiled(
                    context.schema._schema, query, document, context.operation_name, variables
                )
                if found is not None:
                    # A failure (a timeout) is the answer's error, as a resolver's would be.
                    context.result = ExecutionResult(data=await found.run(reader))
            yield

    return OneQuery
