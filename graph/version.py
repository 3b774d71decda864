"""Which state the graph is in: Neo4j's bookmark of its last committed transaction.

A read transaction's bookmark names the last transaction committed when it ended, so two
reads that give the same bookmark saw the same graph, whoever wrote to it (the workers, or
someone in the Browser).  An answer kept from the first read is the second's answer.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread
from neo4j import Driver

import cypher


class GraphVersion:
    """``current()`` gives the version from a check that started after it was called;
    concurrent callers share one check, so under load a check costs each request a
    fraction of one Neo4j round trip."""

    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database
        self._waiting: asyncio.Future[str] | None = None  # callers for the next check
        self._checking: asyncio.Task[None] | None = None

    async def current(self) -> str:
        if self._waiting is None:
            self._waiting = asyncio.get_running_loop().create_future()
        waiting = self._waiting
        if self._checking is None:
            self._checking = asyncio.create_task(self._check_while_asked())
        return await asyncio.shield(waiting)

    async def _check_while_asked(self) -> None:
        try:
            while self._waiting is not None:
                # Everyone waiting asked before this check starts.
                answer, self._waiting = self._waiting, None
                try:
                    answer.set_result(await anyio.to_thread.run_sync(self._check))
                except Exception as exc:
                    answer.set_exception(exc)
                    answer.exception()  # retrieved: callers that left need not see it
        finally:
            self._checking = None

    def _check(self) -> str:
        with self.driver.session(database=self.database, default_access_mode="READ") as s:
            s.run(cypher.source("graph_version")).consume()
            return ",".join(sorted(s.last_bookmarks().raw_values))
