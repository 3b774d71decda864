"""Read queries for the APIs: pages, items with their relationships, batches."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import anyio.to_thread
import orjson
from neo4j import Bookmarks, Driver, Query
from neo4j.exceptions import ClientError, Neo4jError
from neo4j.time import Date, DateTime, Duration, Time

import cypher
from graph import tags
from graph.version import READ_AT
from model import Catalog, Field, Kind, Link
from model.times import rfc3339

Node = dict[str, Any]


def plain_value(value: Any) -> Any:
    """A value as JSON holds it: times as RFC 3339 text (UTC, milliseconds, Z), other
    temporal values as ISO 8601 text."""
    if isinstance(value, DateTime):
        return rfc3339(value.to_native())
    if isinstance(value, Date | Time | Duration):
        return value.iso_format()
    return value


def value(var: str, field: Field) -> str:
    """The Cypher of a property as the APIs give it: times as RFC 3339 text
    (``cypher.rfc3339``), floats as floats (an int stored in a float field)."""
    ref = f"{var}.{field.name}"
    if field.type is datetime:
        return cypher.rfc3339(ref)
    return f"toFloat({ref})" if field.type is float else ref


def projection(var: str, kind: Kind, fields: Collection[str] | None = None) -> str:
    """The Cypher map of a kind's declared properties in declared order (absent ones as
    null), times as RFC 3339 text (``cypher.rfc3339``): rows as JSON holds them, and the
    driver has no temporal values to build, which costs more than the rest of a page.
    Given ``fields``, only those and the uid: a GraphQL query reads what it selects, not
    every property."""
    parts = [
        f".{f.name}" if f.type not in (datetime, float) else f"{f.name}: {value(var, f)}"
        for f in kind.all_fields
        if fields is None or f.name == "uid" or f.name in fields
    ]
    return f"{var} {{{', '.join(parts)}}}"


def _where(kind: Kind, filters: dict[str, Any]) -> str:
    """The filters' Cypher (values as ``$filters``), after checking they are the kind's."""
    unknown = set(filters) - {f.name for f in kind.filters}
    if unknown:
        raise ValueError(f"not filterable: {sorted(unknown)}")
    return "".join(f" AND n.{name} = $filters.{name}" for name in sorted(filters))


class QueryTimeout(Exception):
    """A read ran past its time limit; the message says what to do."""


def timed_out(exc: Neo4jError) -> bool:
    return "TransactionTimedOut" in (exc.code or "")


class Reader:
    """Reads for the APIs, each stopped by the server after ``timeout`` seconds.

    The driver is the blocking one, called from a worker thread: the asyncio driver
    costs twice the time per query in Python (a page of 100: 28 ms against 13 ms).
    """

    def __init__(
        self,
        driver: Driver,
        database: str,
        catalog: Catalog,
        timeout: float | None = None,
    ) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout
        self.catalog = catalog
        self.apoc: bool | None = None  # whether the server has APOC; asked at first need
        self.common = tags.Common()  # tag filters read in uid order (list_tagged.cypher)

    async def run(self, statement: str, **params: Any) -> list[Any]:
        return await anyio.to_thread.run_sync(self._run, statement, params)

    def _run(self, statement: str, params: dict[str, Any]) -> list[Any]:
        try:
            at = READ_AT.get()
            with self.driver.session(
                database=self.database,
                default_access_mode="READ",
                bookmarks=Bookmarks.from_raw_values(at) if at else None,
            ) as s:
                records = list(s.run(Query(statement, timeout=self.timeout), params))  # type: ignore[arg-type]
        except Neo4jError as exc:
            if timed_out(exc):
                raise QueryTimeout(
                    f"the query ran past {self.timeout:g}s (api.query_timeout_s); "
                    "ask for less: a smaller page, filters, fewer levels"
                ) from None
            raise
        return records

    async def ping(self) -> None:
        await anyio.to_thread.run_sync(self.driver.verify_connectivity)

    async def page(
        self,
        kind: Kind,
        filters: dict[str, Any],
        after: str,
        limit: int,
        fields: Collection[str] | None = None,
    ) -> list[Node]:
        """Up to ``limit`` nodes with uid > ``after``, in uid order, matching ``filters``
        (of ``fields`` only, if given: see ``projection``)."""
        items, _ = await self._page(kind, filters, after, limit, fields, "")
        return items

    async def encodes_json(self) -> bool:
        """Whether the server can write JSON text (APOC's ``apoc.convert.toJson``), asked
        once."""
        if self.apoc is None:
            try:
                found = await self.run(cypher.text("has_function"), name="apoc.convert.toJson")
                self.apoc = found[0]["found"] > 0
            except ClientError:  # a user who may not list functions: do without
                self.apoc = False
        return self.apoc

    async def page_json(
        self, kind: Kind, filters: dict[str, Any], after: str, limit: int
    ) -> tuple[bytes, str | None]:
        """``page`` as JSON text, and the last uid on it if more follow.  Neo4j writes the
        text where it has APOC: unpacking a page of 100 nodes into dicts, then encoding
        them, was a third of the API's CPU per page."""
        if await self.encodes_json():
            text, last = await self._page(kind, filters, after, limit, None, "apoc.convert.toJson")
            return text.encode(), last
        items, last = await self._page(kind, filters, after, limit, None, "")
        return orjson.dumps(items), last

    async def _page(
        self,
        kind: Kind,
        filters: dict[str, Any],
        after: str,
        limit: int,
        fields: Collection[str] | None,
        encode: str,
    ) -> tuple[Any, str | None]:
        exact = {k: v for k, v in filters.items() if k != tags.PARAM}
        where = _where(kind, exact)
        parts = {"label": kind.label, "projection": projection("n", kind, fields), "encode": encode}
        if tags.PARAM not in filters:
            statement = cypher.render("list_nodes", filters=where, **parts)
            records = await self.run(statement, after=after, limit=limit, filters=exact)
            return records[0]["items"], records[0]["last"]
        if not tags.tagged(kind):
            raise ValueError(f"not filterable: {[tags.PARAM]}")
        asked = tags.parse(filters[tags.PARAM])
        params = asked.params(kind)
        common = (kind.label, params["lucene"], limit)
        if common in self.common:
            # Found to match many (list_tagged.cypher): the uid order alone, as any filter.
            statement = cypher.render("list_nodes", filters=where + asked.where(), **parts)
        else:
            statement = cypher.render("list_tagged", filters=where, tags=asked.where(), **parts)
        records = await self.run(statement, after=after, limit=limit, filters=exact, **params)
        if records[0].get("scan"):
            self.common.note(common)
        return records[0]["items"], records[0]["last"]

    async def get_many(
        self, kind: Kind, uids: list[str], fields: Collection[str] | None = None
    ) -> dict[str, Node]:
        statement = cypher.render(
            "get_nodes", label=kind.label, projection=projection("n", kind, fields)
        )
        records = await self.run(statement, uids=uids)
        return {item["uid"]: item for item in records[0]["items"]}

    async def count(self, kind: Kind) -> int:
        records = await self.run(cypher.render("count_nodes", label=kind.label))
        return records[0]["count"]

    async def item(self, kind: Kind, uid: str, limit: int = 1000) -> tuple[Node, list[Node]] | None:
        """A node and its first ``limit`` relationships (type, direction ``in`` or ``out``
        and the other end's label, uid and name), in one query; None if there is none."""
        statement = cypher.render("get_item", label=kind.label, projection=projection("n", kind))
        records = await self.run(statement, uid=uid, limit=limit)
        return (records[0]["n"], records[0]["links"]) if records else None

    async def related(
        self,
        link: Link,
        from_label: str,
        uids: list[str],
        first: int,
        after: str = "",
        fields: Collection[str] | None = None,
    ) -> dict[str, list[Node]]:
        """For each uid of ``from_label``, the first ``first`` nodes at the other end of
        ``link`` with a uid after ``after``, in uid order (of ``fields`` only, if given)."""
        outgoing = from_label == link.source
        other = link.other(from_label)
        statement = cypher.render(
            "related_out" if outgoing else "related_in",
            label=from_label,
            type=link.type,
            other=other,
            projection=projection("m", self.catalog.by_label[other], fields),
        )
        records = await self.run(statement, uids=uids, first=first, after=after)
        return {r["uid"]: r["items"] for r in records}
