"""Answers of the kinds' GET routes, kept in each API process and given again while the
graph is unchanged.

Before a kept answer is given, Neo4j says which version the graph is at
(``graph.version``): a kept answer is given only if nothing was committed since the
version its reads waited for, so it is never older than a fresh read would be.  A hit
skips routing, parameter checks and the graph read; the token is still checked (one that
is missing or unknown goes on to the app, for its 401).  An answer is kept from the second
time it is asked for, once the graph has been seen unchanged for a second: a page read
once, or a graph being written, then costs nothing more than without the cache."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import auth
from graph.version import READ_AT, Version

ANSWERS = Counter(
    "inventory_api_cache_total",
    "GET answers of the kinds' routes given from the API's cache (hit) or read (miss)",
    ["result"],
)
# Keys, headers and bookkeeping of one kept answer, roughly, beside its body.
OVERHEAD = 300
# Requests remembered as asked once (about 2 MB of keys).
ASKED = 10_000
# Answers are kept only once the graph has been seen unchanged this long (seconds): while
# a collection writes, keeping would cost a version check per request and never pay.
SETTLE = 1.0


@dataclass(frozen=True, slots=True)
class Answer:
    version: Version
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any  # the route that answered, for the request counter's label

    @property
    def size(self) -> int:
        return len(self.body) + OVERHEAD


class Answers:
    """Answers by request, all of one graph version, and past ``max_bytes`` the least
    recently given go first.  Another version empties them: bookmarks do not say which of
    two is newer, so the one seen last is taken (an older one seen late costs misses,
    never a stale answer: each is given only at its own version)."""

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.version: Version | None = None
        self.clock = clock
        self.changed_at = -SETTLE  # when another version was last seen
        self._kept: OrderedDict[bytes, Answer] = OrderedDict()
        self._asked: OrderedDict[bytes, None] = OrderedDict()  # keys asked once

    def worth_keeping(self, key: bytes) -> bool:
        """Whether to keep the answer to ``key``, not kept now: asked before, with the
        graph unchanged for ``SETTLE`` seconds (as last seen)."""
        return self.asked_before(key) and self.clock() - self.changed_at >= SETTLE

    def asked_before(self, key: bytes) -> bool:
        """Whether ``key`` was asked for before (the last ``ASKED`` keys remembered); a
        first ask is not kept: keeping costs a version check, worth it only for what is
        asked again."""
        if key in self._asked:
            return True
        self._asked[key] = None
        if len(self._asked) > ASKED:
            self._asked.popitem(last=False)
        return False

    def get(self, key: bytes, version: Version) -> Answer | None:
        self._at(version)
        answer = self._kept.get(key)
        if answer is not None:
            self._kept.move_to_end(key)
        return answer

    def put(self, key: bytes, answer: Answer) -> None:
        if answer.size > self.max_bytes // 8:
            return
        self._at(answer.version)
        old = self._kept.pop(key, None)
        if old is not None:
            self.size -= old.size
        self._kept[key] = answer
        self.size += answer.size
        while self.size > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self.size -= dropped.size

    def _at(self, version: Version) -> None:
        if version != self.version:
            self._kept.clear()
            self.size = 0
            if self.version is not None:
                self.changed_at = self.clock()
            self.version = version

    def __contains__(self, key: bytes) -> bool:
        return key in self._kept

    def __len__(self) -> int:
        return len(self._kept)


class GraphCache:
    """The layer that keeps and gives answers of GET requests under ``prefixes``; the
    app's state holds the tokens (``api.auth.Tokens``) and the graph's version
    (``graph.version.GraphVersion``)."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...], max_bytes: int) -> None:
        self.app = app
        self.prefixes = prefixes
        self.answers = Answers(max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        # Every route kept needs read access, the least there is: any known token will do.
        credentials = await auth.bearer(HTTPConnection(scope))
        if credentials is None or state.tokens.access_of(credentials.credentials) is None:
            await self.app(scope, receive, send)  # for its 401
            return
        key = scope["path"].encode() + b"?" + scope["query_string"]
        kept = key in self.answers
        if not kept and not self.answers.worth_keeping(key):
            ANSWERS.labels("miss").inc()
            await self.app(scope, receive, self._keeping(scope, key, None, send))
            return
        try:
            version = await state.version.current()
        except Exception:  # Neo4j unreachable: the app's own read says so
            await self.app(scope, receive, send)
            return
        answer = self.answers.get(key, version) if kept else None
        if answer is not None:
            ANSWERS.labels("hit").inc()
            scope["route"] = answer.route
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*answer.headers, (b"x-cache", b"hit")],
                }
            )
            await send({"type": "http.response.body", "body": answer.body})
            return
        ANSWERS.labels("miss").inc()
        # Kept as of ``version``: the reads must show every write it counts.
        reset = READ_AT.set(version)
        try:
            await self.app(scope, receive, self._keeping(scope, key, version, send))
        finally:
            READ_AT.reset(reset)

    def _keeping(self, scope: Scope, key: bytes, version: Version | None, send: Send) -> Send:
        """``send``, marked as a miss, keeping a 200 answer as it goes by (at ``version``,
        if given)."""
        headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    headers = list(message.get("headers", ()))
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"x-cache", b"miss")],
                }
            elif message["type"] == "http.response.body" and headers is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and version is not None:
                    body = b"".join(chunks)  # one chunk, as the kinds' routes send: no copy
                    self.answers.put(key, Answer(version, headers, body, scope.get("route")))
            await send(message)

        return keep
