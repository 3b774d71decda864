"""Which state the graph is in: Neo4j's bookmark of its last committed transaction.

A read transaction's bookmark names the last transaction committed in the database when
it ended, whoever wrote it (the workers, or someone in the Browser): two checks that give
the same bookmark saw no write between them.  A transaction is counted committed a moment
before its writes are in the store, so a read that must show a version waits for it (the
session's bookmark): ``READ_AT``.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

import anyio.to_thread
from neo4j import Driver

import cypher

Version = tuple[str, ...]


# The version the graph reads of the current request are to show (as the session's
# bookmark, waited for), if any.
READ_AT: ContextVar[Version | None] = ContextVar("read_at", default=None)


class GraphVersion:
    """``current()`` gives the version from a check that started after it was called;
    concurrent callers share one check, so under load a check costs each request a
    fraction of one Neo4j round trip."""

    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database
        self._waiting: asyncio.Future[Version] | None = None  # callers for the next check
        self._checking: asyncio.Task[None] | None = None

    async def current(self) -> Version:
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

    def _check(self) -> Version:
        with self.driver.session(database=self.database, default_access_mode="READ") as s:
            s.run(cypher.text("graph_version")).consume()
            return tuple(sorted(s.last_bookmarks().raw_values))
