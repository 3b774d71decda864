"""Tag filters: ``key=value`` (that tag) or ``key`` (the key with any value), every one of
them to match.

Tags are stored as a list of ``key=value`` strings in ``tags`` (AWS tags, vSphere's
``category=tag``).  Each kind that has them gets a full-text index over that list with
Lucene's keyword analyzer: each string is one term, case kept, so the index answers a
whole ``key=value`` and, as a prefix ``key=``, a key.  ``cypher/list_tagged.cypher`` says
how a page is read with it.

A value holding more than one ``=`` is matched as the whole stored string (``a=b=c`` is
the tag ``a`` with value ``b=c``, or ``a=b`` with value ``c``: stored alike).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from model import Kind

FIELD = "tags"  # the property holding the list
PARAM = "tag"  # the filter's name, on REST and GraphQL
MAX_TAGS = 20
MAX_LENGTH = 1000  # characters in one filter value; AWS allows 128 + 1 + 256

# Lucene's query syntax gives meaning to most punctuation and to whitespace; escaping
# every character that is not a letter or digit is always allowed and leaves none.
_SPECIAL = re.compile(r"(\W)")


def tagged(kind: Kind) -> bool:
    """Whether ``kind`` stores tags (and so has their index and filter)."""
    return any(f.name == FIELD and f.type is list for f in kind.all_fields)


def index_name(kind: Kind) -> str:
    return f"{kind.label}_{FIELD}_fulltext"


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class TagFilter:
    """What the ``tag`` values ask for: whole ``key=value`` strings and keys."""

    exact: tuple[str, ...]
    keys: tuple[str, ...]

    def lucene(self) -> str:
        """The full-text query for nodes carrying every tag and a tag of every key."""
        terms = [f"+{FIELD}:{_escape(t)}" for t in self.exact]
        terms += [f"+{FIELD}:{_escape(k + '=')}*" for k in self.keys]
        return " ".join(terms)

    def where(self, var: str = "n") -> str:
        """The same filter checked on each node (``AND ...``, values as ``$tags`` and
        ``$prefixes``): one membership test per tag, the cheapest form Cypher has."""
        parts = [f" AND $tags[{i}] IN {var}.{FIELD}" for i in range(len(self.exact))]
        parts += [
            f" AND any(t IN {var}.{FIELD} WHERE t STARTS WITH $prefixes[{i}])"
            for i in range(len(self.keys))
        ]
        return "".join(parts)

    def params(self, kind: Kind) -> dict[str, Any]:
        """The parameters of ``list_tagged.cypher``."""
        return {
            "index": index_name(kind),
            "lucene": self.lucene(),
            "tags": list(self.exact),
            "prefixes": [k + "=" for k in self.keys],
        }


def parse(values: Iterable[str]) -> TagFilter:
    """The filter the ``tag`` values ask for; ValueError saying what is wrong with one."""
    values = list(values)
    if not values:
        raise ValueError("tag: give at least one key=value or key")
    if len(values) > MAX_TAGS:
        raise ValueError(f"tag: at most {MAX_TAGS} values, got {len(values)}")
    exact: list[str] = []
    keys: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"tag: {value!r} is not text")
        if len(value) > MAX_LENGTH:
            raise ValueError(f"tag: a value is {len(value)} characters, over {MAX_LENGTH}")
        key, eq, _ = value.partition("=")
        if not key:
            raise ValueError(f"tag: {value!r} has no key; give key=value or key")
        (exact if eq else keys).append(value)
    # Sorted and without repeats: the same filter reads (and is kept) the same way.
    return TagFilter(tuple(sorted(set(exact))), tuple(sorted(set(keys))))


class Common:
    """Tag filters, with a page size, that the index last found to match many nodes
    (``list_tagged.cypher`` then reads the uid order): their next pages go straight to
    the uid order, without asking the index again, until the entry is ``ttl_s`` old.  A
    tag's share changes slowly, and either way gives the same page."""

    def __init__(self, ttl_s: float = 60.0, size: int = 4096) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._until: dict[tuple[str, str, int], float] = {}

    def __contains__(self, key: tuple[str, str, int]) -> bool:
        until = self._until.get(key)
        if until is not None and until <= time.monotonic():
            del self._until[key]
            return False
        return until is not None

    def note(self, key: tuple[str, str, int]) -> None:
        if len(self._until) >= self.size:
            self._until.clear()  # bounded; forgetting costs one probe each
        self._until[key] = time.monotonic() + self.ttl_s
