"""What one GraphQL query may ask for: its depth, its aliases, its field selections and
its cost, the number of nodes it could return (each list field multiplies its parent's
count by its page size: ``first`` or ``limit`` as given, else the field's default).

Checked with the query's own variables before GraphQL's own validation rules, so a query
over a limit is refused with a GraphQL error naming the limit before any database work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
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

from app.config import GraphQLLimits

PAGE_ARGS = ("first", "limit")


@dataclass
class Tally:
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: int = 0


def _unwrap(kind: Any) -> tuple[Any, bool]:
    """The named type under NonNull and List wrappers, and whether a List was among them."""
    listed = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        listed = listed or isinstance(kind, GraphQLList)
        kind = kind.of_type
    return kind, listed


class _Walk:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, Any], variables: dict) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
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

    def _page(self, node: FieldNode, definition: Any) -> int:
        for arg in node.arguments or ():
            if arg.name.value in PAGE_ARGS:
                value = arg.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value)
                    if isinstance(given, int):
                        return given
        for name in PAGE_ARGS:
            arg = definition.args.get(name) if definition is not None else None
            if arg is not None and isinstance(arg.default_value, int):
                return arg.default_value
        return 1

    def selection_set(self, parent: Any, selection_set: SelectionSetNode, depth: int, count: int):
        for node in self._selections(selection_set, frozenset()):
            self.tally.fields += 1
            self.tally.aliases += node.alias is not None
            self.tally.depth = max(self.tally.depth, depth)
            definition = parent.fields.get(node.name.value) if hasattr(parent, "fields") else None
            if definition is None:
                continue  # an unknown field: GraphQL's own validation refuses it
            named, listed = _unwrap(definition.type)
            if isinstance(named, GraphQLObjectType):
                here = count * (self._page(node, definition) if listed else 1)
                self.tally.cost += here
                if node.selection_set is not None:
                    self.selection_set(named, node.selection_set, depth + 1, here)


def tally(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict, variables: dict
) -> Tally:
    walk = _Walk(schema, fragments, variables)
    root = schema.get_root_type(operation.operation)
    walk.selection_set(root, operation.selection_set, 1, 1)
    return walk.tally


def refusals(
    limits: GraphQLLimits, schema: GraphQLSchema, document: DocumentNode, variables: dict
) -> list[GraphQLError]:
    """An error for each limit an operation of the document is over."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    errors = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        found = tally(schema, operation, fragments, variables)
        for what, value, most, hint in (
            ("depth", found.depth, limits.max_depth, "nest fewer levels"),
            ("aliases", found.aliases, limits.max_aliases, "send several queries"),
            ("fields", found.fields, limits.max_fields, "select fewer fields"),
            ("cost", found.cost, limits.max_cost, "ask for smaller pages (first/limit)"),
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


# GraphQL's own rules, once per distinct document (with strawberry's ParserCache, per
# query text): the visitors they build were most of a query's garbage.
_validate = lru_cache(maxsize=256)(validate_document)


def extension(limits: GraphQLLimits) -> type[SchemaExtension]:
    class Limits(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            # The limits first: a walk of the document, cheap, so an oversized query never
            # reaches GraphQL's rules (overlapping fields costs the square of the fields).
            context = self.execution_context
            schema, document = context.schema._schema, context.graphql_document
            assert document is not None  # parsed before validation
            errors = refusals(limits, schema, document, context.variables or {})
            context.pre_execution_errors = errors or _validate(
                schema, document, context.validation_rules
            )
            yield

    return Limits
