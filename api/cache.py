"""Conditional requests and kept answers for the GET routes of graph data.

Every answer carries an ``ETag`` made of the graph's version (``graph.version``) and the
request, with ``Cache-Control: private, no-cache``: a client that sends it back in
``If-None-Match`` gets a 304 after a version check, without any graph read, while
nothing was written; after a write, by anyone (the Browser too), the answer is read again
with a new ETag.

Answers are also kept in each API process and given again while the graph is unchanged.

Before a kept answer is given, Neo4j says which version the graph is at
(``graph.version``): a kept answer is given only if nothing was committed since the
version its reads waited for, so it is never older than a fresh read would be.  A hit
skips routing, parameter checks and the graph read; the token is still checked (one that
is missing or unknown goes on to the app, for its 401).  An answer is kept from the second
time it is asked for, once the graph has been seen unchanged for a second: memory goes to
what is asked again, not to pages read once or answers a collection's writes would void.

A request whose answer moves with the clock as well as with the graph (``moving``: a time
given as a span back from now, api.times) is neither tagged nor kept.

The OpenAPI document says so for the GET operations under the same prefixes the layer is
given (``GraphCache.describe``): their ``If-None-Match`` parameter, the ``304`` answer and
the 200's ``ETag``, ``Cache-Control`` and ``Vary`` headers."""

from __future__ import annotations

import copy
import functools
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import auth
from graph.version import READ_AT, Version

if TYPE_CHECKING:
    from fastapi import FastAPI

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
# a collection writes, a kept answer would be voided before it is asked again.
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
        first ask is not kept: memory is for what is asked again."""
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
    """The layer in front of GET requests of graph data (paths under ``prefixes``): every
    200 answer carries an ``ETag`` naming the graph's version and the request, and a
    request whose ``If-None-Match`` names the current one is answered 304 after a version
    check, with no graph read; with ``max_bytes``, answers are also kept and given again
    while the graph is unchanged.  The app's state holds the tokens (``api.auth.Tokens``)
    and the graph's version (``graph.version.GraphVersion``)."""

    def __init__(
        self,
        app: ASGIApp,
        prefixes: tuple[str, ...],
        max_bytes: int,
        moving: Callable[[bytes], bool] = lambda query: False,
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        self.moving = moving
        self.keeping = max_bytes > 0
        self.answers = Answers(max_bytes)
        # The route that answered each request lately: a 304 is counted under it.
        self.routes: OrderedDict[bytes, Any] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(self.prefixes)
            or self.moving(scope["query_string"])
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        # Every route here needs read access, the least there is: any known token will do.
        credentials = await auth.bearer(HTTPConnection(scope))
        if credentials is None or state.tokens.access_of(credentials.credentials) is None:
            await self.app(scope, receive, send)  # for its 401
            return
        key = scope["path"].encode() + b"?" + scope["query_string"]
        asked = _if_none_match(scope)
        kept = self.keeping and key in self.answers
        keep = self.keeping and (kept or self.answers.worth_keeping(key))
        try:
            # From a check that starts now (concurrent requests share one): the read then
            # shows at least this version, so an answer's label is never newer than it.
            # A label taken from an older check would cost a full answer at the next
            # revalidation whenever the graph was written meanwhile.
            version = await state.version.current()
        except Exception:  # Neo4j unreachable: the app's own read says so
            await self.app(scope, receive, send)
            return
        tag = etag(version, key)
        if tag in asked:
            scope["route"] = self.routes.get(key)
            await _send(send, 304, _headers(tag), b"")
            return
        answer = self.answers.get(key, version) if kept else None
        if answer is not None:
            ANSWERS.labels("hit").inc()
            scope["route"] = answer.route
            await _send(send, 200, [*answer.headers, (b"x-cache", b"hit")], answer.body)
            return
        if self.keeping:
            ANSWERS.labels("miss").inc()
        # The reads must show every write the version counts.
        reset = READ_AT.set(version)
        try:
            await self.app(scope, receive, self._labelled(scope, key, version, tag, keep, send))
        finally:
            READ_AT.reset(reset)

    @staticmethod
    def describe(app: FastAPI, prefixes: tuple[str, ...]) -> None:
        """Have ``app``'s OpenAPI document declare the conditional requests of its GET
        operations under ``prefixes`` (those given to the layer): ``If-None-Match``, the
        ``304`` answer and the headers of a 200 (``conditional``).  Made once, then kept: the
        routes do not change once the app is made."""
        generate = app.openapi
        app.openapi = functools.cache(lambda: conditional(generate(), prefixes))  # type: ignore[method-assign]

    def _labelled(
        self, scope: Scope, key: bytes, version: Version, tag: bytes, keep: bool, send: Send
    ) -> Send:
        """``send``, with a 200 answer's ETag and caching headers (and marked as a miss
        when keeping), keeping the answer as it goes by if ``keep``."""
        headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []

        async def labelled(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start":
                extra: list[tuple[bytes, bytes]] = []
                if message["status"] == 200:
                    headers = [*message.get("headers", ()), *_headers(tag)]
                    extra = _headers(tag)
                    self._route(key, scope.get("route"))
                if self.keeping:
                    extra.append((b"x-cache", b"miss"))
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            elif message["type"] == "http.response.body" and headers is not None and keep:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)  # one chunk, as the kinds' routes send: no copy
                    self.answers.put(key, Answer(version, headers, body, scope.get("route")))
            await send(message)

        return labelled

    def _route(self, key: bytes, route: Any) -> None:
        self.routes[key] = route
        self.routes.move_to_end(key)
        if len(self.routes) > ASKED:
            self.routes.popitem(last=False)


# What the layer adds to every GET operation under its prefixes, in the OpenAPI document.
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of an answer held (a list of them, or W/ ones, will do): "
    "while nothing has been written to the graph since, the answer is 304 with no body, "
    "after a version check and no graph read.",
    "schema": {"type": "string"},
}
HEADERS = {
    "ETag": {
        "description": "Names the graph's version and the request (path and query).  Not "
        "sent when a time is a span back from now (since=1h): that answer moves with the "
        "clock.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "private, no-cache: keep the answer, but ask again (If-None-Match) "
        "before using it.",
        "schema": {"type": "string"},
    },
    "Vary": {
        "description": "Authorization: the answer is for a valid token.",
        "schema": {"type": "string"},
    },
}
NOT_MODIFIED = {
    "description": "Not Modified: If-None-Match names this answer's current ETag; nothing "
    "was written to the graph since.  No body.",
    "headers": HEADERS,
}


def conditional(document: dict[str, Any], prefixes: tuple[str, ...]) -> dict[str, Any]:
    """``document`` with each GET operation whose path starts with one of ``prefixes``
    (as the layer matches a request's) declaring ``If-None-Match``, a ``304`` answer and
    the 200's ``ETag``, ``Cache-Control`` and ``Vary`` headers, in place."""
    for path, operations in document.get("paths", {}).items():
        get = operations.get("get")
        if get is None or not path.startswith(prefixes):
            continue
        get.setdefault("parameters", []).append(copy.deepcopy(IF_NONE_MATCH))
        answers = get.setdefault("responses", {})
        answers.setdefault("200", {"description": "Successful Response"})
        answers["200"]["headers"] = copy.deepcopy(HEADERS)
        answers["304"] = copy.deepcopy(NOT_MODIFIED)
        # In status order, as FastAPI writes them.
        get["responses"] = dict(sorted(answers.items()))
    return document


def etag(version: Version, key: bytes) -> bytes:
    """The entity tag of the answer to request ``key`` at ``version``: the same bytes for
    the same request while nothing is written to the graph."""
    digest = hashlib.blake2b(repr(version).encode() + b"\0" + key, digest_size=12)
    return b'"' + digest.hexdigest().encode() + b'"'


def _if_none_match(scope: Scope) -> set[bytes]:
    """The entity tags of the request's If-None-Match (compared weakly, as RFC 9110 asks)."""
    for name, value in scope.get("headers") or ():
        if name == b"if-none-match":
            return {t.strip().removeprefix(b"W/") for t in value.split(b",") if t.strip()}
    return set()


def _headers(tag: bytes) -> list[tuple[bytes, bytes]]:
    # Clients and proxies may keep the answer but must ask again before using it; it
    # depends on the token, which must be valid.
    return [
        (b"etag", tag),
        (b"cache-control", b"private, no-cache"),
        (b"vary", b"Authorization"),
    ]


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
