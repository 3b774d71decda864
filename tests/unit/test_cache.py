"""The API's kept answers and the graph version they are checked against, without servers
(the same against Neo4j: tests/test_api.py)."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest

from api.cache import OVERHEAD, Answer, Answers, GraphCache, bearer
from collectors import CATALOG
from graph.reads import Reader
from graph.version import READ_AT, GraphVersion, Version

V, V1, V2 = ("v",), ("v1",), ("v2",)


def answer(version: Version, size: int = 100) -> Answer:
    return Answer(version, [(b"content-type", b"application/json")], b"x" * size, None)


def test_answers_are_given_only_at_their_version_and_a_new_version_empties_them() -> None:
    answers = Answers(max_bytes=1 << 20)
    assert answers.get(b"/a", V1) is None
    answers.put(b"/a", answer(V1))
    assert answers.get(b"/a", V1) == answer(V1)
    assert answers.get(b"/b", V1) is None
    assert answers.get(b"/a", V2) is None  # written since: read again
    assert len(answers) == 0 and answers.size == 0
    answers.put(b"/a", answer(V1))  # read before the write, kept after it: not kept
    assert answers.get(b"/a", V2) is None and len(answers) == 0


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


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (b"Bearer abc", "abc"),
        (b"bearer  abc ", "abc"),
        (b"Basic abc", None),
        (b"Bearer ", None),
        (b"", None),
    ],
)
def test_the_token_is_read_as_fastapi_reads_it(header: bytes, token: str | None) -> None:
    assert bearer({"headers": [(b"authorization", header)] if header else []}) == token


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


def test_a_miss_reads_at_the_version_it_is_kept_under_and_a_hit_reads_nothing() -> None:
    seen: list[Version | None] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        seen.append(READ_AT.get())
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": f"{len(seen)}".encode()})  # type: ignore[operator]

    graph = Fixed()
    state = SimpleNamespace(tokens=SimpleNamespace(access_of=lambda t: "read"), version=graph)
    cache = GraphCache(app, prefixes=("/api/v1/aws/",), max_bytes=1 << 20)

    async def get(path: str) -> tuple[bytes, dict[bytes, bytes]]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": b"",
            "headers": [(b"authorization", b"Bearer t")],
            "app": SimpleNamespace(state=state),
        }
        await cache(scope, None, send)  # type: ignore[arg-type]
        return sent[1]["body"], dict(sent[0]["headers"])

    async def scenario() -> None:
        assert await get("/api/v1/aws/vpcs") == (b"1", {b"x-cache": b"miss"})
        assert seen == [V1] and READ_AT.get() is None  # reset after the request
        assert await get("/api/v1/aws/vpcs") == (b"1", {b"x-cache": b"hit"})
        assert await get("/healthz") == (b"2", {})  # not under the prefixes: not kept
        graph.version = V2
        assert await get("/api/v1/aws/vpcs") == (b"3", {b"x-cache": b"miss"})
        assert seen == [V1, None, V2]

    asyncio.run(scenario())


def test_a_reader_waits_for_the_version_its_request_reads_at() -> None:
    sessions: list[dict] = []

    class Driver:
        def session(self, **kwargs: object) -> MagicMock:
            sessions.append(kwargs)
            session = MagicMock()
            session.__enter__.return_value.run.return_value = iter([{"found": 1}])
            return session

    reader = Reader(Driver(), "neo4j", CATALOG)  # type: ignore[arg-type]

    async def scenario() -> None:
        await reader.run("RETURN 1")
        READ_AT.set(("FB:abc",))
        await reader.run("RETURN 1")

    asyncio.run(scenario())
    assert sessions[0]["bookmarks"] is None
    assert sessions[1]["bookmarks"].raw_values == frozenset({"FB:abc"})
