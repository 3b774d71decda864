"""The Cypher the project runs, one parameterised file per statement.

Values always travel as parameters.  Labels, relationship types and property names
cannot be parameters in Cypher, so files name them as ``{{placeholder}}`` and
``graph/`` fills them in from the kind descriptions (never from input).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Statement:
    """A statement and its parameters, for another part to run in its own transaction."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)


@cache
def text(file: str) -> str:
    """The statement in ``<file>.cypher``, as written."""
    return (Path(__file__).parent / f"{file}.cypher").read_text()


# The same few statements, rendered on every request and write; bounded, as GraphQL
# projections vary with the fields a query selects.
@lru_cache(maxsize=1024)
def render(file: str, **parts: str) -> str:
    """The statement in ``<file>.cypher`` with its placeholders filled from ``parts``."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in parts:
            raise KeyError(f"{file}.cypher needs {key!r}")
        return parts[key]

    return _PLACEHOLDER.sub(fill, text(file))


def where(var: str, props: Iterable[str], param: str = "scope") -> str:
    """The fragment keeping ``var`` inside one scope: ``n.account_id = $scope.account_id
    AND ...`` (``true`` for no properties); property names come from kind descriptions."""
    return " AND ".join(f"{var}.{p} = ${param}.{p}" for p in props) or "true"


def same(a: str, b: str, props: Iterable[str]) -> str:
    """The fragment matching ``a`` and ``b`` on each property: ``a.p = b.p AND ...``."""
    return " AND ".join(f"{a}.{p} = {b}.{p}" for p in props) or "true"


def rfc3339(expr: str) -> str:
    """Cypher for the time ``expr`` as RFC 3339 text in UTC with milliseconds and ``Z``,
    the form ``model.times.rfc3339`` gives (null stays null).

    ``toString`` alone shows a zone id where the value has one (``Z[UTC]``) and as many
    fraction digits as it needs (none, ``.34``).  So the time is made again in UTC from its
    epoch milliseconds, plus one nanosecond so that its text always has nine fraction
    digits, and cut after the third.  ``expr`` is a property (names come from kind
    descriptions, as ever); ``fromepochmillis`` refuses null, hence the CASE.
    """
    return (
        f"CASE WHEN {expr} IS NOT NULL THEN left(toString(datetime.fromepochmillis("
        f"{expr}.epochMillis) + duration({{nanoseconds: 1}})), 23) + 'Z' END"
    )
