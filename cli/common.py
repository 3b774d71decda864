"""What every command shares: clear errors instead of tracebacks, and the runtime."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
import dramatiq.errors
import redis.exceptions
from neo4j.exceptions import AuthError, ServiceUnavailable

from app import redisconn
from app.config import ConfigError, load_settings
from app.errors import ActionableError
from app.tasks import BadPayload, UnknownTask
from graph.driver import GraphUnavailable
from graph.reports import ReportError
from worker.queues import TaskConflict, TaskNotFound
from worker.runtime import Runtime, current

# Errors a person can act on: printed as one line, exit status 2, no traceback.
CLEAR_ERRORS = (
    ConfigError,
    GraphUnavailable,
    ActionableError,
    UnknownTask,
    BadPayload,
    TaskNotFound,
    TaskConflict,
    ReportError,
    click.UsageError,
)


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CLEAR_ERRORS as exc:
            fail(str(exc))
        except (redis.exceptions.ConnectionError, dramatiq.errors.BrokerConnectionError) as exc:
            fail(f"Redis is not reachable ({_redis_where()}): {exc}")
        except (ServiceUnavailable, AuthError) as exc:
            fail(f"Neo4j is not reachable: {exc}")


def fail(message: str) -> NoReturn:
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(2)


def _redis_where() -> str:
    try:
        return redisconn.describe(load_settings().redis)
    except ConfigError:
        return "?"


def runtime(check_redis: bool = False) -> Runtime:
    rt = current()
    if check_redis:
        try:
            # A short retry: a person waits for this answer, or a supervisor restarts us.
            redisconn.connect(rt.settings.redis, retry_s=2).ping()
        except redis.exceptions.ConnectionError as exc:
            fail(f"Redis at {redisconn.describe(rt.settings.redis)} is not reachable: {exc}")
    return rt
