"""Schemathesis over every operation of /openapi.json, with a read token and with an admin
token: no response is a 5xx, and every response fits the schema (status documented,
body of the documented shape).  A bounded number of generated examples per operation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from api.app import create_app
from app.config import Settings
from dev.stack import Stack
from worker.runtime import Runtime

EXAMPLES = 8
# No server error, and every answer as the schema documents it: its status, content type,
# headers and body.  (Whether a schema-valid request must be accepted is not asked: a
# cursor is a string to the schema and must still be one the API gave.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def app(migrated: Runtime, settings: Settings) -> Iterator[FastAPI]:
    # A Redis database no worker reads: what admin cases enqueue is never run.
    url = settings.redis.url.rsplit("/", 1)[0] + "/4"
    app = create_app(
        settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": url})})
    )
    with TestClient(app):  # runs the lifespan: the drivers the routes read through
        yield app


def _every_operation(app: FastAPI, token: str) -> dict[str, str]:
    """Each operation checked with generated cases; what failed, by operation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # the failures are told together
            failures[operation.label] = str(exc)[:2000]
    return failures


@pytest.mark.parametrize("access", ["read", "admin"])
def test_no_operation_fails_or_answers_outside_its_schema(
    app: FastAPI, stack: Stack, access: str
) -> None:
    failures = _every_operation(app, getattr(stack.secrets, f"{access}_token"))
    assert not failures, "\n\n".join(f"{op}:\n{why}" for op, why in failures.items())
