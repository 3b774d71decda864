"""Every error as RFC 9457 problem details (``application/problem+json``): ``type``,
``title``, ``status``, ``detail``, and for a request that does not validate, ``errors``
naming each parameter or field and what is wrong with it.  One shape from every route,
whatever raised it; documented on every operation of the OpenAPI document."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import cache
from http import HTTPStatus
from typing import Any

import redis.exceptions
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from graph.reads import QueryTimeout
from graph.reports import ReportError
from worker.queues import TaskConflict, TaskNotFound

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """What went wrong, and what to do about it (RFC 9457)."""

    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str = Field(description="The HTTP status's phrase.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong here, and what to do about it.")


class Invalid(BaseModel):
    """One parameter or body field that does not validate."""

    loc: list[str | int] = Field(description='Where: ("query", "limit"), ("body", "task").')
    message: str
    type: str = Field(description="The kind of error (pydantic's error type).")


class ValidationProblem(Problem):
    """A request whose parameters or body do not validate: each one named in ``errors``."""

    errors: list[Invalid]


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def problem(
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if status == 422 and "errors" not in extra:  # every 422 names what is invalid
        extra["errors"] = [{"loc": [], "message": detail, "type": "invalid"}]
    return ProblemResponse({**body, "detail": detail, **extra}, status, headers=headers)


# The answers any route may give besides its own, for the OpenAPI document.
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": model, "description": text}
    for code, model, text in (
        (400, Problem, "A parameter is malformed (a cursor not passed back as given, say)."),
        (401, Problem, "No token, or one that is not valid."),
        (403, Problem, "The token's access is not enough (admin needed)."),
        (404, Problem, "No such item, task or report."),
        (409, Problem, "The task's state does not allow it."),
        (413, Problem, "The request body is too large."),
        (422, ValidationProblem, "A parameter or the body does not validate."),
        (503, Problem, "Neo4j or Redis is unavailable: try again later."),
        (504, Problem, "The graph query ran past its time limit: ask for less."),
    )
}


Handler = Callable[[Request, Exception], Awaitable[ProblemResponse]]


def answering(status: int, detail: Callable[[Exception], str] = str) -> Handler:
    """A handler answering ``status`` with what ``detail`` says of the exception."""

    async def handler(request: Request, exc: Exception) -> ProblemResponse:
        if status >= 500:
            log.warning("%s on %s: %s", HTTPStatus(status).phrase, request.url.path, exc)
        return problem(status, detail(exc))

    return handler


async def _http(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed(request))
    return problem(exc.status_code, str(exc.detail), headers)


def _allowed(request: Request) -> list[str]:
    """The methods of the path as the OpenAPI document has it (Starlette's 405 names only
    the first route's, though GET and POST of one path are two routes): those of the most
    literal path template it fits (/tasks/stats before /tasks/{task_id})."""
    paths = request.app.openapi()["paths"]
    fits = [t for t in paths if _template(t).fullmatch(request.url.path)]
    if not fits:
        return []
    best = max(fits, key=lambda t: len(re.sub(r"\{[^}]+\}", "", t)))
    return sorted(m.upper() for m in paths[best])


@cache
def _template(path: str) -> re.Pattern[str]:
    # A uid may hold slashes ({uid:path} in the routes): any placeholder takes them.
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join(".+" if p.startswith("{") else re.escape(p) for p in parts))


async def _invalid(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
    first = errors[0] if errors else {"loc": [], "message": "invalid request"}
    where = ".".join(str(part) for part in first["loc"][1:]) or "the request"
    return problem(422, f"{where}: {first['message']}", errors=errors)


def _unavailable(exc: Exception) -> str:
    what = "Redis" if isinstance(exc, redis.exceptions.RedisError) else "Neo4j"
    return f"{what} is unavailable; try again later"


async def _report(request: Request, exc: Exception) -> ProblemResponse:
    # An unknown report is not there (404); an unknown or ill-typed parameter, 422, whose
    # message starts with the parameter's name.
    detail = str(exc)
    if detail.startswith("no report"):
        return problem(404, detail)
    name, _, message = detail.partition(": ")
    return problem(
        422, detail, errors=[{"loc": ["query", name], "message": message, "type": "invalid"}]
    )


def install(app: FastAPI) -> None:
    """Answer every error the routes raise as a problem."""
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    for unavailable in (
        ServiceUnavailable,
        SessionExpired,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    ):
        app.add_exception_handler(unavailable, answering(503, _unavailable))
    app.add_exception_handler(QueryTimeout, answering(504))
    app.add_exception_handler(Neo4jError, answering(503, lambda _: "the graph query failed"))
    app.add_exception_handler(ValueError, answering(400))
    app.add_exception_handler(ReportError, _report)
    # A task operation refused: the id is unknown, or the task's state does not allow it.
    app.add_exception_handler(TaskNotFound, answering(404))
    app.add_exception_handler(TaskConflict, answering(409))


def openapi(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every error answer's body under ``application/problem+json``, the
    media type the API sends them in (FastAPI files each model under the route's own media
    type: application/json, or text/plain for /metrics)."""
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if status[0] in "45" and content and MEDIA_TYPE not in content:
                    schema = next(iter(content.values())).get("schema", {})
                    answer["content"] = {MEDIA_TYPE: {"schema": schema}}
    return document
