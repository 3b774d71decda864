"""The API's kept answers and the graph version they are checked against, without servers
(the same against Neo4j: tests/test_api.py)."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest

from api.app import create_app
from api.cache import ASKED, OVERHEAD, SETTLE, Answer, Answers, GraphCache, etag
from app.config import Settings
from collectors import CATALOG
from graph.reads import Reader
from graph.version import READ_AT, GraphVersion, Version

V, V1, V2 = ("v",), ("v1",), ("v2",)


def answer(version: Version, size: int = 100) -> Answer:
    return Answer(version, [(b"content-type", b"application/json")], b"x" * size, None)


def test_answers_are_given_only_at_their_version_and_another_version_empties_them() -> None:
    answers = Answers(max_bytes=1 << 20)
    assert answers.get(b"/a", V1) is None and b"/a" not in answers
    answers.put(b"/a", answer(V1))
    assert b"/a" in answers and answers.get(b"/a", V1) == answer(V1)
    assert answers.get(b"/b", V1) is None
    assert answers.get(b"/a", V2) is None  # written since: read again
    assert len(answers) == 0 and answers.size == 0
    answers.put(b"/b", answer(V2))
    answers.put(b"/a", answer(V1))  # a slow request's, read before the write
    assert answers.get(b"/b", V2) is None  # not given at V2: the V2 answers went
    assert answers.get(b"/a", V2) is None


def test_a_request_is_worth_keeping_from_its_second_ask() -> None:
    answers = Answers(max_bytes=1 << 20)
    assert [answers.asked_before(b"/a") for _ in range(3)] == [False, True, True]
    for n in range(ASKED):
        answers.asked_before(f"/{n}".encode())
    assert not answers.asked_before(b"/a")  # the oldest forgotten: memory stays bounded


def test_past_the_budget_the_least_recently_given_go_first() -> None:
    each = 1000 + OVERHEAD
    answers = Answers(max_bytes=10 * each)
    answers.get(b"", V)
    for n in range(10):
        answers.put(f"/{n}".encode(), answer(V, 1000))
    assert len(answers) == 10 and answers.size == 10 * each
    assert answers.get(b"/0", V) is not None  # now the most recently given
    answers.put(b"/10", answer(V, 1000))
    assert answers.get(b"/1", V) is None  # the least recently given went
    assert answers.get(b"/0", V) is not None and answers.get(b"/10", V) is not None
    answers.put(b"/10", answer(V, 1000))  # again: replaced, not counted twice
    assert answers.size == 10 * each
    answers.put(b"/big", answer(V, 2 * each))  # over an eighth of the budget
    assert answers.get(b"/big", V) is None and answers.size == 10 * each


class Counting(GraphVersion):
    """A version that moves on with every check; a check waits for ``go``."""

    def __init__(self) -> None:
        super().__init__(None, "neo4j")  # type: ignore[arg-type]
        self.checks = 0
        self.go = threading.Event()
        self.started = threading.Event()

    def _check(self) -> str:
        self.checks += 1
        self.started.set()
        assert self.go.wait(10)
        return (f"v{self.checks}",)


def test_callers_share_checks_and_each_gets_one_started_after_it_asked() -> None:
    async def scenario() -> None:
        version = Counting()
        first = asyncio.create_task(version.current())
        await asyncio.to_thread(version.started.wait, 10)  # check 1 is under way
        # Asked during check 1: its answer may predate them, so they share check 2.
        later = [asyncio.create_task(version.current()) for _ in range(50)]
        await asyncio.sleep(0.05)
        version.go.set()
        assert await first == ("v1",)
        assert set(await asyncio.gather(*later)) == {("v2",)}
        assert version.checks == 2
        assert await version.current() == ("v3",)  # asked after both: a check of its own

    asyncio.run(scenario())


def test_a_failed_check_fails_its_callers_and_the_next_check_runs() -> None:
    class Failing(Counting):
        def _check(self) -> str:
            self.checks += 1
            if self.checks == 1:
                raise ConnectionError("Neo4j is down")
            return ("up",)

    async def scenario() -> None:
        version = Failing()
        with pytest.raises(ConnectionError):
            await version.current()
        assert await version.current() == ("up",)

    asyncio.run(scenario())


class Fixed:
    """A graph at one version, moved on by hand."""

    def __init__(self) -> None:
        self.version = V1

    async def current(self) -> Version:
        return self.version


def test_answers_are_kept_from_the_second_ask_once_the_graph_is_settled() -> None:
    reads: list[Version | None] = []  # the version each request's read was to show
    graph = Fixed()

    async def app(scope: dict, receive: object, send: object) -> None:
        reads.append(READ_AT.get())
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": f"{len(reads)}".encode()})  # type: ignore[operator]

    state = SimpleNamespace(tokens=SimpleNamespace(access_of=lambda t: "read"), version=graph)
    cache = GraphCache(app, prefixes=("/api/v1/aws/",), max_bytes=1 << 20)
    now = [100.0]
    cache.answers.clock = lambda: now[0]

    async def get(path: str, token: bytes = b"Bearer t") -> tuple[bytes, bytes | None]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": b"",
            "headers": [(b"authorization", token)],
            "app": SimpleNamespace(state=state),
        }
        await cache(scope, None, send)  # type: ignore[arg-type]
        return sent[1]["body"], dict(sent[0]["headers"]).get(b"x-cache")

    async def scenario() -> None:
        vpcs, subnets = "/api/v1/aws/vpcs", "/api/v1/aws/subnets"
        assert await get(vpcs) == (b"1", b"miss")  # asked once: read, not kept
        assert await get(vpcs) == (b"2", b"miss")  # again: read at V1, kept
        assert reads == [V1, V1] and READ_AT.get() is None  # reset after the request
        assert await get(vpcs) == (b"2", b"hit")
        # No bearer token, as FastAPI's HTTPBearer reads it: on to the app (for its 401).
        assert await get(vpcs, b"Basic dA==") == (b"3", None)
        assert await get(vpcs, b"Bearer") == (b"4", None)
        assert await get("/healthz") == (b"5", None)  # not under the prefixes
        graph.version = V2
        assert await get(vpcs) == (b"6", b"miss")  # kept at V1, checked at V2
        assert await get(vpcs) == (b"6", b"hit")
        assert reads[-1] == V2
        # The graph changed just now: a second ask is read as any other, until it settles.
        assert [await get(subnets) for _ in range(2)] == [(b"7", b"miss"), (b"8", b"miss")]
        assert reads[-2:] == [V2, V2]
        now[0] += SETTLE
        assert await get(subnets) == (b"9", b"miss")
        assert await get(subnets) == (b"9", b"hit")

    asyncio.run(scenario())


def test_a_reader_waits_for_the_version_its_request_reads_at() -> None:
    sessions: list[dict] = []

    class Driver:
        def session(self, **kwargs: object) -> MagicMock:
            sessions.append(kwargs)
            session = MagicMock()
            session.__enter__.return_value.run.return_value = iter([{"n": 1}])
            return session

    reader = Reader(Driver(), "neo4j", CATALOG)  # type: ignore[arg-type]

    async def scenario() -> None:
        await reader.run("RETURN 1")
        READ_AT.set(("FB:abc",))
        await reader.run("RETURN 1")

    asyncio.run(scenario())
    assert sessions[0]["bookmarks"] is None
    assert sessions[1]["bookmarks"].raw_values == frozenset({"FB:abc"})


def test_an_etag_names_version_and_request_and_if_none_match_gets_304_unread() -> None:
    reads: list[Version | None] = []
    graph = Fixed()

    async def app(scope: dict, receive: object, send: object) -> None:
        reads.append(READ_AT.get())
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"page"})  # type: ignore[operator]

    state = SimpleNamespace(tokens=SimpleNamespace(access_of=lambda t: "read"), version=graph)
    layer = GraphCache(app, prefixes=("/api/v1/aws/",), max_bytes=0)  # no keeping

    async def get(path: str, *tags: bytes) -> tuple[int, dict[bytes, bytes]]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        headers = [(b"authorization", b"Bearer t")]
        if tags:
            headers.append((b"if-none-match", b", ".join(tags)))
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": b"limit=5",
            "headers": headers,
            "app": SimpleNamespace(state=state),
        }
        await layer(scope, None, send)  # type: ignore[arg-type]
        return sent[0]["status"], dict(sent[0]["headers"])

    async def scenario() -> None:
        status, headers = await get("/api/v1/aws/vpcs")
        tag = headers[b"etag"]
        assert status == 200 and tag == etag(V1, b"/api/v1/aws/vpcs?limit=5")
        assert headers[b"cache-control"] == b"private, no-cache" and b"x-cache" not in headers
        assert etag(V1, b"/api/v1/aws/subnets?limit=5") != tag  # the request counts
        read = len(reads)
        assert (await get("/api/v1/aws/vpcs", b'"other"', tag))[0] == 304
        assert (await get("/api/v1/aws/vpcs", b"W/" + tag))[0] == 304  # weak comparison
        assert len(reads) == read  # answered without the app, so without a graph read
        assert (await get("/api/v1/aws/vpcs", b'"other"'))[0] == 200
        graph.version = V2  # someone wrote
        status, headers = await get("/api/v1/aws/vpcs", tag)
        assert status == 200 and headers[b"etag"] == etag(V2, b"/api/v1/aws/vpcs?limit=5")
        assert reads[-1] == V2  # read at the version it is labelled with

    asyncio.run(scenario())


def test_the_openapi_document_declares_conditional_requests_where_the_layer_serves_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INVENTORY_CONFIG", raising=False)
    app = create_app(Settings())
    string = {"type": "string"}
    document = app.openapi()
    assert app.openapi() is document  # asked again: the same document, declared once
    kind = CATALOG.by_label["AWSInstance"]
    for path in (kind.path, f"{kind.path}/{{uid}}"):  # a kind's list and its item
        get = document["paths"][path]["get"]
        (asked,) = [p for p in get["parameters"] if p["name"] == "If-None-Match"]
        assert (asked["in"], asked["required"], asked["schema"]) == ("header", False, string)
        assert "content" not in get["responses"]["304"]  # no body
        for answer in ("200", "304"):
            headers = get["responses"][answer]["headers"]
            assert headers["ETag"]["schema"] == headers["Cache-Control"]["schema"] == string
    for path in ("/api/v1/tasks", "/healthz"):  # not served by the layer
        get = document["paths"][path]["get"]
        assert "If-None-Match" not in [p["name"] for p in get.get("parameters", [])]
        assert "304" not in get["responses"]
        assert "headers" not in get["responses"]["200"]
    # Exactly the GET operations under the prefixes the layer is given, no list of its own.
    (layer,) = [m for m in app.user_middleware if m.cls is GraphCache]
    declared = {
        p
        for p, ops in document["paths"].items()
        if "304" in ops.get("get", {}).get("responses", {})
    }
    served = {
        p
        for p, ops in document["paths"].items()
        if "get" in ops and p.startswith(layer.kwargs["prefixes"])
    }
    assert declared == served and len(served) > 100
