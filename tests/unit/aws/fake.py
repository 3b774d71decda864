"""Recorded AWS answers played back to the collectors: no server, no SDK call.

Recordings live in ``recorded/<service>.<operation>.json`` as lists of
``{"params": {...}, "response": {...}}``; a time is written ``{"$time": "<ISO 8601>"}``,
as botocore would parse it.  ``record.py`` makes them from a moto server.  A test may
also hand a session its answers inline, in the same shape, or an ``"error"`` (a code and
message) to be raised as botocore's ClientError.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError

from collectors.aws.session import concurrently, describe
from collectors.base import Session

RECORDED = Path(__file__).parent / "recorded"


def _times(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$time"}:
            return datetime.fromisoformat(value["$time"])
        return {k: _times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_times(v) for v in value]
    return value


def _camel(operation: str) -> str:
    return "".join(word.capitalize() for word in operation.split("_"))


def recording(service: str, operation: str) -> list[dict[str, Any]]:
    return _times(json.loads((RECORDED / f"{service}.{operation}.json").read_text()))


class Paginator:
    def __init__(self, client: FakeClient, operation: str) -> None:
        self.client = client
        self.operation = operation

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        # One page: the page size asked for is kept apart, not matched with the recording.
        self.client.page_sizes[self.operation] = params.pop("PaginationConfig", {}).get("PageSize")
        yield self.client.answer(self.operation, params)


class FakeClient:
    """Answers each operation with the recorded response whose params match the call's."""

    def __init__(self, service: str, answers: dict[str, list[dict[str, Any]]]) -> None:
        self.service = service
        self.answers = answers  # inline answers per operation, before the recorded ones
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.page_sizes: dict[str, int | None] = {}  # per paginated operation

    def answer(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        inline = _times(self.answers.get(operation, []))
        recorded = [] if inline else recording(self.service, operation)
        for entry in inline or recorded:
            if entry["params"] == params:
                if "error" in entry:  # as botocore raises an error answer
                    raise ClientError({"Error": entry["error"]}, _camel(operation))
                return entry["response"]
        raise LookupError(f"no recorded {self.service}.{operation} for {params}")

    def get_paginator(self, operation: str) -> Paginator:
        return Paginator(self, operation)

    def __getattr__(self, operation: str) -> Any:
        return lambda **params: self.answer(operation, params)


class FakeSession(Session):
    """What the AWS collectors use of a session, answering from recordings."""

    def __init__(
        self,
        account_id: str,
        region: str,
        account_name: str = "demo-main",
        answers: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        super().__init__()
        self.account_id = account_id
        self.region = region
        self.account = SimpleNamespace(name=account_name)
        # Inline answers by "service.operation".
        self.answers = answers or {}
        self.clients: dict[str, FakeClient] = {}
        # Detail calls at once, on the pool AwsSession uses: answers and warnings in order.
        self.bound = (threading.BoundedSemaphore(4), 4)

    def client(self, service: str) -> FakeClient:
        if service not in self.clients:
            mine = {
                name.split(".", 1)[1]: entries
                for name, entries in self.answers.items()
                if name.startswith(f"{service}.")
            }
            self.clients[service] = FakeClient(service, mine)
        return self.clients[service]

    def regions(self) -> list[str]:
        return [self.region]

    def each(self, items: Iterable[Any], call: Callable[[Any], Any]) -> Iterator[Any]:
        return concurrently(self, self.bound, items, call)

    @property
    def scope(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "region": self.region}

    def describe(self, exc: BaseException) -> str:
        return describe(exc)


def rows(collector: Any, session: FakeSession) -> list[dict[str, Any]]:
    """Every row the collector yields, mapped and type-checked as the writer would."""
    kind = collector.kind
    return [kind.check(kind.row(record)) for page in collector.collect(session) for record in page]
