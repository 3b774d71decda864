"""What a Cypher statement names: its labels, relationship types, the hops between them
and the properties it reads or writes, each resolved to the labels or types bound to its
variable; and the check of those names against a schema.

No maintained Python parser reads the Cypher the reports are written in (Neo4j 5's
``COUNT { }`` and ``EXISTS { }`` subqueries, a parameter named ``$limit``): graphglot 0.14,
antlr4-cypher 0.1 (openCypher 9) and cypher-guard 3.0 each refuse most report files, and
libcypher-parser stops at Neo4j 3.0.  So this is a tokenizer (strings, comments, backtick
names and parameters are single tokens, never read as names) with enough of Cypher's
structure to bind variables: node and relationship patterns and label expressions,
WITH/RETURN projections and their aliases, UNWIND/YIELD, subqueries (``EXISTS``,
``COUNT``, ``COLLECT``, ``CALL``) and comprehensions with scopes of their own, pattern
maps, map projections, map literals (whose keys are not properties) and SET items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

NODE, REL, VALUE = "node", "rel", "value"
NAMES = ("name", "quoted")
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<comment>//[^\n]*|/\*.*?\*/)"
    r"|(?P<string>'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\")"
    r"|(?P<quoted>`(?:``|[^`])*`)"
    r"|(?P<param>\$(?:[A-Za-z_]\w*|\d+|`(?:``|[^`])*`))"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>->|<-|<>|<=|>=|=~|\+=|\.\.|::|[-+*/%^=<>(){}\[\].,:;|&!?])",
    re.S,
)
# Words after which "(" opens a pattern or an expression, not a function's arguments.
KEYWORDS = frozenset({
    "MATCH", "OPTIONAL", "MERGE", "CREATE", "WHERE", "AND", "OR", "XOR", "NOT", "RETURN",
    "WITH", "DISTINCT", "IN", "WHEN", "THEN", "ELSE", "CASE", "END", "IS", "AS", "BY", "SET",
    "DELETE", "DETACH", "REMOVE", "UNWIND", "YIELD", "STARTS", "ENDS", "CONTAINS", "UNION",
    "ON", "ORDER", "SKIP", "LIMIT", "ASC", "DESC", "ASCENDING", "DESCENDING", "NULL", "TRUE",
    "FALSE",
})  # fmt: skip
# Words that end a projection's or a SET's list of items.
ENDS = frozenset({
    "WHERE", "ORDER", "SKIP", "LIMIT", "MATCH", "OPTIONAL", "WITH", "RETURN", "UNWIND", "CALL",
    "MERGE", "CREATE", "SET", "DELETE", "DETACH", "REMOVE", "UNION", "FOREACH", "ON", "YIELD",
})  # fmt: skip
SUBQUERIES = frozenset({"EXISTS", "COUNT", "COLLECT"})


class CypherError(ValueError):
    """Text this reader cannot take apart: an unclosed string or bracket, a stray character."""


@dataclass(frozen=True)
class Token:
    kind: str  # name, quoted (a `backtick` name), param, string, number, op or end
    text: str  # a quoted name without its backticks
    line: int


@dataclass(frozen=True)
class Binding:
    """What a variable holds: a node of some labels, a relationship of some types (none
    known: any), or some other value."""

    what: str  # NODE, REL or VALUE
    names: frozenset[str] = frozenset()


ANY_VALUE = Binding(VALUE)
Scope = dict[str, Binding]


@dataclass(frozen=True)
class Use:
    what: str  # "label", "type" or "property"
    name: str
    line: int
    on: Binding | None = None  # for a property: what it is read on
    var: str = ""  # and through which variable ("" for an anonymous pattern)


@dataclass(frozen=True)
class Hop:
    """One relationship of a pattern: ``(left)-[:types]->(right)`` or ``<-`` or ``-``."""

    left: frozenset[str]
    types: frozenset[str]
    right: frozenset[str]
    direction: str
    line: int


@dataclass
class Names:
    uses: list[Use] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    writes: list[tuple[Binding, str]] = field(default_factory=list)  # SET and MERGE keys


def tokenize(text: str) -> list[Token]:
    out, line, at = [], 1, 0
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None:
            raise CypherError(f"line {line}: cannot read {text[at : at + 20]!r}")
        kind, value = found.lastgroup or "", found.group()
        if kind == "quoted":
            out.append(Token(kind, value[1:-1].replace("``", "`"), line))
        elif kind not in ("space", "comment"):
            out.append(Token(kind, value, line))
        line += value.count("\n")
        at = found.end()
    return out


def _pairs(tokens: list[Token]) -> dict[int, int]:
    """Where each bracket that opens is closed."""
    out: dict[int, int] = {}
    stack: list[int] = []
    for i, t in enumerate(tokens):
        if t.kind == "op" and t.text in ("(", "[", "{"):
            stack.append(i)
        elif t.kind == "op" and t.text in (")", "]", "}"):
            if not stack or tokens[stack[-1]].text + t.text not in ("()", "[]", "{}"):
                raise CypherError(f"line {t.line}: {t.text!r} closes nothing")
            out[stack.pop()] = i
    if stack:
        raise CypherError(f"line {tokens[stack[-1]].line}: {tokens[stack[-1]].text!r} unclosed")
    return out


def read(text: str, params: Mapping[str, Any] | None = None) -> Names:
    """The names ``text`` uses; ``params`` (the statement's parameters, if known) give the
    keys that ``SET n += $map`` writes."""
    return _Reader(text, params or {}).read()


class _Reader:
    def __init__(self, text: str, params: Mapping[str, Any]) -> None:
        self.tokens = tokenize(text)
        self.pairs = _pairs(self.tokens)
        self.params = params
        self.names = Names()
        self.clause = ""  # the clause being read: patterns of MERGE and CREATE write

    def read(self) -> Names:
        self.query(0, len(self.tokens), {})
        return self.names

    # Tokens.

    def at(self, i: int) -> Token:
        if 0 <= i < len(self.tokens):
            return self.tokens[i]
        return Token("end", "", self.tokens[-1].line if self.tokens else 1)

    def op(self, i: int, *texts: str) -> bool:
        return self.at(i).kind == "op" and self.at(i).text in texts

    def word(self, i: int) -> str:
        """The keyword at ``i`` in capitals ('' for anything else, or a property key)."""
        if self.at(i).kind != "name" or self.op(i - 1, "."):
            return ""
        return self.at(i).text.upper()

    def clause_end(self, i: int, end: int) -> int:
        while i < end and self.word(i) not in ENDS:
            i = self.pairs.get(i, i) + 1
        return i

    def items(self, i: int, end: int) -> Iterator[tuple[int, int]]:
        """The comma-separated items from ``i`` to ``end``, as (start, end)."""
        start = i
        while i < end:
            if self.op(i, ","):
                yield start, i
                start = i + 1
            i = self.pairs.get(i, i) + 1
        if start < end:
            yield start, end

    # Clauses.

    def query(self, i: int, end: int, scope: Scope) -> Scope:
        """Read the clauses from ``i`` to ``end``; the variables the last RETURN gives."""
        base, returned = dict(scope), {}
        while i < end:
            word = self.word(i)
            if word in ENDS:
                self.clause = word
            if word in ("WITH", "RETURN"):
                i, projected = self.projection(i + 1, end, scope)
                scope = projected if word == "WITH" else {**scope, **projected}
                returned = projected if word == "RETURN" else returned
            elif word == "UNION":
                scope, i = dict(base), i + 1
            elif word == "CALL":
                i = self.call(i, scope)
            elif word == "SET":
                i = self.set_items(i + 1, end, scope)
            elif word == "AS" and self.at(i + 1).kind in NAMES:  # UNWIND ... AS x
                scope[self.at(i + 1).text] = ANY_VALUE
                i += 2
            elif word == "YIELD":
                i = self.yield_items(i + 1, scope)
            else:
                i = self.step(i, scope)
        return returned

    def projection(self, i: int, end: int, scope: Scope) -> tuple[int, Scope]:
        """The items of a WITH or RETURN: each expression read, aliases bound."""
        i += self.word(i) == "DISTINCT"
        stop = self.clause_end(i, end)
        projected: Scope = {}
        for start, stop_item in self.items(i, stop):
            if self.op(start, "*") and stop_item == start + 1:
                projected.update(scope)
                continue
            expr_end, alias = stop_item, ""
            if stop_item - start >= 3 and self.word(stop_item - 2) == "AS":
                expr_end, alias = stop_item - 2, self.at(stop_item - 1).text
            self.expr(start, expr_end, scope)
            single = self.at(start).text if expr_end == start + 1 else ""
            carried = scope.get(single, ANY_VALUE) if self.at(start).kind in NAMES else ANY_VALUE
            if alias or single in scope:
                projected[alias or single] = carried
        return stop, projected

    def call(self, i: int, scope: Scope) -> int:
        """``CALL (vars) { ... }`` or ``CALL { ... }``: what its RETURN gives joins the
        scope.  A procedure's call is read on as an expression."""
        j = i + 1
        if self.op(j, "(") and self.op(self.pairs[j] + 1, "{"):
            inner: Scope = {}
            for start, _ in self.items(j + 1, self.pairs[j]):
                name = self.at(start).text
                inner.update(scope if name == "*" else {name: scope.get(name, ANY_VALUE)})
            j = self.pairs[j] + 1
        elif self.op(j, "{"):
            inner = dict(scope)
        else:
            return j
        scope.update(self.subquery(j + 1, self.pairs[j], inner))
        return self.pairs[j] + 1

    def subquery(self, i: int, end: int, scope: Scope) -> Scope:
        clause = self.clause
        returned = self.query(i, end, scope)
        self.clause = clause
        return returned

    def yield_items(self, i: int, scope: Scope) -> int:
        while self.at(i).kind in NAMES:
            name, i = self.at(i).text, i + 1
            if self.word(i) == "AS":
                name, i = self.at(i + 1).text, i + 2
            scope[name] = ANY_VALUE
            if not self.op(i, ","):
                break
            i += 1
        return i

    def set_items(self, i: int, end: int, scope: Scope) -> int:
        """``n.p = ...`` writes p; ``n += $map`` (or ``=``) writes the map's keys."""
        stop = self.clause_end(i, end)
        for start, item_end in self.items(i, stop):
            target = scope.get(self.at(start).text) if self.at(start).kind in NAMES else None
            if target and self.op(start + 1, ".") and self.op(start + 3, "="):
                self.names.writes.append((target, self.at(start + 2).text))
                self.expr(start + 4, item_end, scope)
            elif target and self.op(start + 1, "+=", "="):
                for key in self.param_keys(start + 2, item_end):
                    self.names.writes.append((target, key))
                self.expr(start + 2, item_end, scope)
            else:
                self.expr(start, item_end, scope)
        return stop

    def param_keys(self, i: int, end: int) -> list[str]:
        """The keys of the map ``$p.key...`` from ``i`` to ``end`` holds, if it is one."""
        if self.at(i).kind != "param":
            return []
        value: Any = self.params.get(self.at(i).text[1:])
        i += 1
        while i < end and self.op(i, ".") and isinstance(value, Mapping):
            value, i = value.get(self.at(i + 1).text), i + 2
        return list(value) if i == end and isinstance(value, Mapping) else []

    # Expressions.

    def expr(self, i: int, end: int, scope: Scope) -> None:
        while i < end:
            i = self.step(i, scope)

    def step(self, i: int, scope: Scope) -> int:
        """Read what starts at ``i``; where the next thing starts."""
        if self.op(i, "("):
            return self.paren(i, scope)
        if self.op(i, "["):
            close = self.pairs[i]
            local = dict(scope)
            if self.at(i + 1).kind in NAMES and self.word(i + 2) == "IN":  # [x IN list ...]
                local[self.at(i + 1).text] = ANY_VALUE
            self.expr(i + 1, close, local)
            return close + 1
        if self.op(i, "{"):
            return self.brace(i, scope)
        if self.at(i).kind in NAMES and self.word(i) not in KEYWORDS and not self.op(i - 1, "."):
            return self.name(i, scope)
        return i + 1

    def name(self, i: int, scope: Scope) -> int:
        """A variable: ``v.prop`` is read on what ``v`` holds; ``v:Label`` tests labels."""
        var, bound = self.at(i).text, scope.get(self.at(i).text)
        if self.op(i + 1, ".") and self.at(i + 2).kind in NAMES and not self.op(i + 3, "("):
            if bound is not None and bound.what != VALUE:
                prop = self.at(i + 2)
                self.names.uses.append(Use("property", prop.text, prop.line, bound, var))
            return i + 3
        if self.op(i + 1, ":") and self.at(i + 2).kind in NAMES:
            what = REL if bound is not None and bound.what == REL else NODE
            labels, j = self.label_expression(i + 1)
            self.bind(var if bound else None, what, labels, scope)
            return j
        return i + 1

    def paren(self, i: int, scope: Scope) -> int:
        close = self.pairs[i]
        if self.at(i - 1).kind in NAMES and self.word(i - 1) not in KEYWORDS:  # f(...)
            local = dict(scope)
            for start, _ in self.items(i + 1, close):  # any(x IN ...), reduce(s = 0, ...)
                if self.at(start).kind in NAMES and (
                    self.word(start + 1) == "IN" or self.op(start + 1, "=")
                ):
                    local[self.at(start).text] = ANY_VALUE
            self.expr(i + 1, close, local)
            return close + 1
        found = self.node(i, scope)
        if found is not None:
            return self.chain(*found, scope)
        self.expr(i + 1, close, scope)
        return close + 1

    def brace(self, i: int, scope: Scope) -> int:
        close = self.pairs[i]
        if self.word(i - 1) in SUBQUERIES:
            self.subquery(i + 1, close, dict(scope))
        elif self.at(i - 1).kind in NAMES and self.word(i - 1) not in KEYWORDS:
            var = self.at(i - 1).text  # a map projection: v {.name, key: expr}
            self.map(i, scope, var, scope.get(var), projection=True)
        else:
            self.map(i, scope, "", None)  # a map literal: its keys are no properties
        return close + 1

    def map(
        self, i: int, scope: Scope, var: str, on: Binding | None, projection: bool = False
    ) -> None:
        """A map's entries: keys are properties of ``on`` if given (a pattern's map, or a
        map projection's ``.key``); values are read as expressions."""
        for start, stop in self.items(i + 1, self.pairs[i]):
            key = self.at(start + 1) if projection and self.op(start, ".") else None
            if key is None and self.at(start).kind in NAMES and self.op(start + 1, ":"):
                key = self.at(start) if not projection else None
                self.expr(start + 2, stop, scope)
            elif key is None:
                self.expr(start, stop, scope)
            if key is not None and key.kind in NAMES and on is not None and on.what != VALUE:
                self.names.uses.append(Use("property", key.text, key.line, on, var))
                if self.clause in ("MERGE", "CREATE"):
                    self.names.writes.append((on, key.text))

    # Patterns.

    def label_expression(self, i: int) -> tuple[list[Token], int]:
        """The names of ``:A:B``, ``:A|B``, ``:A&!B``, ``:A|:B`` from ``i``."""
        found: list[Token] = []
        while self.op(i, ":", "|", "&"):
            i += 1
            while self.op(i, "!", ":"):
                i += 1
            if self.at(i).kind not in NAMES:
                break
            found.append(self.at(i))
            i += 1
        return found, i

    def bind(self, var: str | None, what: str, names: list[Token], scope: Scope) -> Binding:
        for t in names:
            self.names.uses.append(Use("label" if what == NODE else "type", t.text, t.line))
        binding = Binding(what, frozenset(t.text for t in names))
        old = scope.get(var) if var else None
        if old is not None and old.what == what:
            binding = Binding(what, old.names | binding.names)
        if var:
            scope[var] = binding
        return binding

    def node(self, i: int, scope: Scope) -> tuple[int, Binding] | None:
        """``(v:Label {key: ...} WHERE ...)`` at ``i``: where it ends and what it binds;
        None if the parenthesis is no node pattern."""
        close, j, var = self.pairs[i], i + 1, None
        if (
            self.at(j).kind in NAMES
            and self.word(j) not in KEYWORDS
            and (self.op(j + 1, ":", "{", ")") or self.at(j + 1).kind == "param")
        ) or (self.word(j + 1) == "WHERE" and self.at(j).kind in NAMES):
            var, j = self.at(j).text, j + 1
        labels, j = self.label_expression(j)
        map_at = j if self.op(j, "{") else None
        j = self.pairs[j] + 1 if map_at is not None else j + (self.at(j).kind == "param")
        where = j if self.word(j) == "WHERE" else None
        if where is None and j != close:
            return None
        binding = self.bind(var, NODE, labels, scope)
        if map_at is not None:
            self.map(map_at, scope, var or "", binding)
        if where is not None:
            self.expr(where + 1, close, scope)
        return close + 1, binding

    def chain(self, i: int, left: Binding, scope: Scope) -> int:
        """The relationships and nodes that follow a node pattern ending before ``i``."""
        while self.op(i, "-", "<-"):
            j = self.pairs[i + 1] + 1 if self.op(i + 1, "[") else i + 1
            if not (self.op(j, "->", "-") and self.op(j + 1, "(")):
                break
            rel = Binding(REL)
            if j != i + 1:
                rel = self.relationship(i + 2, j - 1, scope)
            found = self.node(j + 1, scope)
            if found is None:
                break
            into, out = self.op(i, "<-"), self.op(j, "->")
            direction = "<-" if into and not out else "->" if out and not into else "-"
            hop = Hop(left.names, rel.names, found[1].names, direction, self.at(i).line)
            self.names.hops.append(hop)
            i, left = found
        return i

    def relationship(self, i: int, end: int, scope: Scope) -> Binding:
        """``[r:TYPE|OTHER *1..3 {key: ...} WHERE ...]`` between ``i`` and ``end``."""
        var = None
        if self.at(i).kind in NAMES and self.word(i) != "WHERE":
            var, i = self.at(i).text, i + 1
        types, i = self.label_expression(i)
        while i < end and (self.op(i, "*", "..") or self.at(i).kind == "number"):
            i += 1
        binding = self.bind(var, REL, types, scope)
        if self.op(i, "{"):
            self.map(i, scope, var or "", binding)
            i = self.pairs[i] + 1
        if self.word(i) == "WHERE":
            self.expr(i + 1, end, scope)
        return binding


@dataclass(frozen=True)
class Schema:
    """What a graph holds: each label's and relationship type's properties, and the
    links as (source label, type, target label)."""

    nodes: Mapping[str, frozenset[str]]
    rels: Mapping[str, frozenset[str]]
    links: frozenset[tuple[str, str, str]]

    def problems(self, names: Names) -> list[str]:
        """Each name in ``names`` that this schema lacks, as ``line N: what is missing``."""
        out = []
        for use in names.uses:
            if use.what == "label" and use.name not in self.nodes:
                out.append(f"line {use.line}: no label {use.name}")
            elif use.what == "type" and use.name not in self.rels:
                out.append(f"line {use.line}: no relationship type {use.name}")
            elif use.what == "property" and (problem := self._property(use)):
                out.append(f"line {use.line}: {problem}")
        for hop in names.hops:
            if problem := self._hop(hop):
                out.append(f"line {hop.line}: {problem}")
        return out

    def _property(self, use: Use) -> str:
        assert use.on is not None
        table = self.nodes if use.on.what == NODE else self.rels
        owners = [n for n in use.on.names if n in table] if use.on.names else list(table)
        if not owners or any(use.name in table[o] for o in owners):
            return ""  # an unknown label or type is a problem of its own
        var = f"{use.var or '(anonymous)'}.{use.name}"
        if use.on.names:
            return f"{var}: {'|'.join(sorted(use.on.names))} has no property {use.name!r}"
        return f"{var}: no {'label' if use.on.what == NODE else 'type'} has {use.name!r}"

    def _hop(self, hop: Hop) -> str:
        types = hop.types & set(self.rels)
        if not types:
            return ""  # untyped, or types that are problems of their own

        def fits(names: frozenset[str], label: str) -> bool:
            return not names or label in names

        for source, type_, target in self.links:
            if type_ not in types:
                continue
            if hop.direction != "<-" and fits(hop.left, source) and fits(hop.right, target):
                return ""
            if hop.direction != "->" and fits(hop.right, source) and fits(hop.left, target):
                return ""
        left, right = ("|".join(sorted(n)) for n in (hop.left, hop.right))
        arrow = {"->": ("-", "->"), "<-": ("<-", "-"), "-": ("-", "-")}[hop.direction]
        rel = f"[:{'|'.join(sorted(hop.types))}]"
        return f"no link ({left}){arrow[0]}{rel}{arrow[1]}({right}) in the catalog"
