"""The GraphQL context's loaders: batched per level, dropped with their rows at the end."""

from __future__ import annotations

import asyncio
from typing import Any

from api.graphql import Context
from collectors import CATALOG


class Reader:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], frozenset[str]]] = []

    async def related(
        self, link: Any, from_label: str, uids: list[str], first: int, after: str, fields: Any
    ) -> dict[str, list[dict[str, Any]]]:
        self.calls.append((uids, fields))
        return {uid: [{"uid": f"{uid}-child"}] for uid in uids}


def test_a_level_is_one_read_and_release_drops_the_loaders_and_rows() -> None:
    reader = Reader()
    context = Context(reader, None, "read", 100)  # type: ignore[arg-type]
    link = CATALOG.links[0]

    async def level() -> list[Any]:
        loader = context.loader(link, link.source, 5, "", frozenset({"name"}))
        return await asyncio.gather(loader.load("a"), loader.load("b"))

    assert asyncio.run(level()) == [[{"uid": "a-child"}], [{"uid": "b-child"}]]
    assert reader.calls == [(["a", "b"], frozenset({"name"}))]
    loader = context.loader(link, link.source, 5, "", frozenset({"name"}))
    assert len(loader.cache_map.cache_map) == 2  # the rows, held until the answer is made
    context.release()
    assert len(loader.cache_map.cache_map) == 0
    assert context.loader(link, link.source, 5, "", frozenset({"name"})) is not loader
