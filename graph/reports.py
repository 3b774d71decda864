"""Reports: named, documented Cypher files in ``cypher/reports/``, run with typed
parameters and paged by a key column.

A report file opens with a comment header: its title on the first line, then what it
finds and why it matters, then ``columns:``, ``key:`` (the column rows are ordered and
paged by), any ``param NAME: TYPE [>= MIN] [<= MAX] = DEFAULT -- what it does`` lines and
any ``index: Label(property)`` it needs.  TYPE is int, float, str, bool or label (text
naming a kind's label, or empty for every label); a DEFAULT of ``''`` is empty text.  The
query takes ``$after`` (the key to start after, '' for the first page) and ``$limit``, and
runs as is in the Neo4j Browser after the ``:param`` lines of ``Report.browser``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from neo4j import Driver

import cypher
from graph.reads import Reader, plain_value

FOLDER = Path(cypher.__file__).resolve().parent / "reports"
TYPES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool, "label": str}
# What a column may hold (str unless its header entry says ``name: type``).
COLUMN_TYPES: dict[str, type] = {**TYPES, "datetime": datetime, "list": list}
_PARAM = re.compile(
    r"^param (\w+): (int|float|str|bool|label)(?: >= (\S+))?(?: <= (\S+))? = (\S+)(?: -- (.*))?$"
)
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"^index: ([A-Za-z_]\w*)\((\w+)\)$")
# Counting runs the page query with this as its limit.
EVERYTHING = 2**62


class ReportError(ValueError):
    """A report asked for that does not exist, or a parameter that does not fit."""


@dataclass(frozen=True)
class Param:
    name: str
    type: type
    minimum: float | None
    maximum: float | None
    default: Any
    doc: str
    is_label: bool = False  # text naming a label ('' for every label)

    def parse(self, raw: Any, labels: Collection[str] | None = None) -> Any:
        """``raw`` (text from a URL or a CLI, or a JSON value) as this parameter's type; a
        label must be one of ``labels`` (when given) or at least look like one."""
        value = raw
        try:
            if self.type is bool and isinstance(raw, str):
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = raw.lower() in ("true", "1", "yes")
            elif self.type in (int, float) and isinstance(raw, str):
                value = self.type(raw)
            elif self.type is float and isinstance(raw, int) and not isinstance(raw, bool):
                value = float(raw)
            if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
                raise ValueError
        except ValueError:
            raise ReportError(f"{self.name}: expected {self.type.__name__}, got {raw!r}") from None
        if self.minimum is not None and value < self.minimum:
            raise ReportError(f"{self.name}: must be at least {self.minimum:g}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ReportError(f"{self.name}: must be at most {self.maximum:g}, got {value}")
        if self.is_label and value:
            _check_label(self.name, value, labels)
        return value

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": "label" if self.is_label else self.type.__name__,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "default": self.default,
            "description": self.doc,
        }


def _check_label(name: str, value: str, labels: Collection[str] | None) -> None:
    if labels is not None and value not in labels:
        raise ReportError(f"{name}: no kind has the label {value!r} (labels: {', '.join(labels)})")
    if not _LABEL.fullmatch(value):
        raise ReportError(f"{name}: {value!r} is not a label")


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    columns: tuple[str, ...]
    types: dict[str, type]  # every column's
    key: str
    params: tuple[Param, ...]
    indexes: tuple[tuple[str, str], ...]
    query: str

    def arguments(
        self,
        given: Mapping[str, Any],
        defaults: Mapping[str, Any] | None = None,
        labels: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """The parameters to run with: ``given`` ones parsed and checked (a label against
        ``labels``, the catalog's), the rest their defaults (``defaults`` overriding the
        file's, e.g. from the config)."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise ReportError(f"{unknown[0]}: {self.name} has no such parameter (it has: {names})")
        out = {}
        for name, param in known.items():
            if name in given:
                out[name] = param.parse(given[name], labels)
            else:
                out[name] = (defaults or {}).get(name, param.default)
        return out

    def browser(self, args: Mapping[str, Any] | None = None) -> str:
        """The ``:param`` lines that make the query run as is in the Neo4j Browser."""
        values = {p.name: p.default for p in self.params} | dict(args or {})
        lines = [f":param {name} => {_literal(value)}" for name, value in values.items()]
        return "\n".join([*lines, ":param after => ''", ":param limit => 100"])

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "columns": list(self.columns),
            "column_types": {c: self.types[c].__name__ for c in self.columns},
            "key": self.key,
            "parameters": [p.describe() for p in self.params],
        }


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def _number(text: str | None, kind: type) -> Any:
    return None if text is None else kind(text) if kind in (int, float) else text


def parse(name: str, text: str) -> Report:
    """A report from the text of its file (ValueError naming what is wrong in it)."""
    header = [line[2:].strip() for line in text.splitlines() if line.startswith("//")]
    fields: dict[str, str] = {}
    params, indexes, prose = [], [], []
    for line in header[1:]:
        if found := _PARAM.match(line):
            pname, ptype, low, high, default, doc = found.groups()
            kind, is_label = TYPES[ptype], ptype == "label"
            value = Param(pname, kind, None, None, None, "", is_label).parse(
                "" if default == "''" else default
            )
            low_, high_ = _number(low, float), _number(high, float)
            params.append(Param(pname, kind, low_, high_, value, doc or "", is_label))
        elif found := _INDEX.match(line):
            indexes.append((found.group(1), found.group(2)))
        elif re.match(r"^(columns|key):", line):
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        elif fields.get("columns", "").endswith(",") and "key" not in fields:
            fields["columns"] += " " + line  # the list goes on, on the next line
        elif not fields:
            prose.append(line)
    if not header or "columns" not in fields or "key" not in fields:
        raise ValueError(f"report {name}: the header needs a title, columns: and key:")
    types = {}
    for entry in fields["columns"].split(","):
        column, _, kind = (part.strip() for part in entry.partition(":"))
        if kind and kind not in COLUMN_TYPES:
            raise ValueError(f"report {name}: column {column}: no type {kind!r}")
        types[column] = COLUMN_TYPES[kind or "str"]
    columns = tuple(types)
    if fields["key"] not in columns:
        raise ValueError(f"report {name}: key {fields['key']} is not one of its columns")
    for needed in ("$after", "$limit"):
        if needed not in text:
            raise ValueError(f"report {name}: the query must use {needed} to be paged")
    description = " ".join(" ".join(prose).split())
    return Report(
        name,
        header[0],
        description,
        columns,
        types,
        fields["key"],
        tuple(params),
        tuple(indexes),
        text,
    )


@cache
def catalog() -> dict[str, Report]:
    """Every report of ``cypher/reports/``, by name."""
    return {p.stem: parse(p.stem, p.read_text()) for p in sorted(FOLDER.glob("*.cypher"))}


def get(name: str) -> Report:
    found = catalog().get(name)
    if found is None:
        raise ReportError(f"no report {name!r}; reports: {', '.join(catalog())}")
    return found


def _rows(report: Report, records: list[Any]) -> list[dict[str, Any]]:
    return [{c: plain_value(r.get(c)) for c in report.columns} for r in records]


def _page(report: Report, rows: list[dict[str, Any]], limit: int) -> tuple[list, str | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1][report.key]) if more else None)


def page(
    driver: Driver, database: str, report: Report, args: Mapping[str, Any], after: str, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` rows after the key ``after``, and the key to go on from (or None)."""
    records, _, _ = driver.execute_query(
        report.query, {**args, "after": after, "limit": limit + 1}, database_=database, routing_="r"
    )
    return _page(report, _rows(report, records), limit)


async def page_async(
    reader: Reader, report: Report, args: Mapping[str, Any], after: str, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """``page`` for the APIs, through their reader (and its time limit)."""
    records = await reader.run(report.query, **args, after=after, limit=limit + 1)
    return _page(report, _rows(report, records), limit)


def count(driver: Driver, database: str, report: Report, args: Mapping[str, Any]) -> int:
    """How many rows the report has in all."""
    statement = f"CALL () {{\n{report.query}\n}}\nRETURN count(*) AS rows"
    records, _, _ = driver.execute_query(
        statement, {**args, "after": "", "limit": EVERYTHING}, database_=database, routing_="r"
    )
    return records[0]["rows"]
