"""The FastAPI application: REST under /api/v1, GraphQL at /graphql, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, Field

from api import (
    auth,
    changes,
    dashboard,
    graphql,
    kinds,
    problems,
    reports,
    schedules,
    tasks,
    times,
)
from api.cache import GraphCache
from api.layers import BodyLimit, Counted, FreezeHeap, RequestId
from app import metrics as gauges
from app import redisconn
from app.config import Settings, load_settings
from collectors import CATALOG
from graph import status
from graph.driver import connect
from graph.reads import Reader
from graph.version import GraphVersion
from worker.runtime import Runtime

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "inventory_api_requests_total", "API requests by route and status", ["route", "status"]
)
DURATIONS = Histogram(
    "inventory_api_request_duration_seconds",
    "How long the API took to answer, by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# A request waits this long for Redis at most (a failover), then gets a 503 to retry on.
REDIS_RETRY_S = 3


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = _application(settings)
    _routes(app, settings)
    _pages(app)
    _health(app)
    problems.install(app)
    _layers(app, settings)
    return app


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The connections a running app holds: Neo4j, Redis, the task runtime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        driver = connect(settings.neo4j, verify=False)
        app.state.reader = Reader(
            driver, settings.neo4j.database, CATALOG, settings.api.query_timeout_s
        )
        app.state.version = GraphVersion(driver, settings.neo4j.database)
        app.state.redis = redisconn.connect_async(settings.redis, REDIS_RETRY_S, socket_timeout=5)
        app.state.runtime = Runtime(settings, redis_retry_s=REDIS_RETRY_S)
        try:
            yield
        finally:
            driver.close()
            await app.state.redis.aclose()
            app.state.runtime.close()

    return lifespan


def _application(settings: Settings) -> FastAPI:
    """The bare app: its OpenAPI description (problems included), settings and tokens."""
    app = FastAPI(
        title="Inventory",
        version="0.1.0",
        description="AWS and vSphere inventory as a graph. Every route but /healthz and "
        "/readyz needs `Authorization: Bearer <token>` (read, or admin to change things).",
        lifespan=_lifespan(settings),
        docs_url=None,  # served below, from assets of our own
        redoc_url=None,
        responses=problems.RESPONSES,
    )
    generate = app.openapi
    app.openapi = lambda: problems.openapi(generate())  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.tokens = auth.Tokens(settings.api)
    return app


def _routes(app: FastAPI, settings: Settings) -> None:
    """REST under /api/v1, GraphQL at /graphql and the dashboard."""
    # Before the kinds' routes: ``…/{uid}/history`` before ``…/{uid}``, whose uid may hold
    # slashes.
    app.include_router(changes.router(CATALOG, settings.api.max_page_size))
    app.include_router(kinds.router(CATALOG, settings.api.max_page_size))
    app.include_router(tasks.router(settings))
    app.include_router(schedules.router())
    app.include_router(reports.router(settings.api.max_page_size))
    # GraphQL describes itself (introspection, GraphiQL at /graphql), not in OpenAPI.
    app.include_router(
        graphql.router(CATALOG, settings.api.max_page_size, settings.api.graphql),
        prefix="/graphql",
        include_in_schema=False,
    )
    app.mount(dashboard.PREFIX, dashboard.Dashboard())


def _layers(app: FastAPI, settings: Settings) -> None:
    """The middleware. Outermost last: each request gets its id first, then its body is
    limited."""
    # The GET routes of graph data: ETags everywhere, kept answers unless cache_mb is 0.
    paths = (
        *(k.path for k in CATALOG.kinds),
        "/api/v1/kinds",
        "/api/v1/reports/",
        "/api/v1/changes",
    )
    app.add_middleware(
        GraphCache,
        prefixes=paths,
        max_bytes=settings.api.cache_mb << 20,
        moving=times.relative,
    )
    GraphCache.describe(app, paths)  # the same routes' If-None-Match and 304, in the OpenAPI
    app.add_middleware(Counted, counter=REQUESTS, durations=DURATIONS)
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    app.add_middleware(RequestId)
    app.add_middleware(FreezeHeap)


STATIC = Path(__file__).parent / "static"
VENDOR = "/static/vendor"


def _pages(app: FastAPI) -> None:
    """Swagger UI and ReDoc from assets this server holds (``make install`` fetches them
    from the npm registry): no page loads anything from another host."""
    if not (STATIC / "vendor" / ".versions").exists():
        log.warning("the web pages' assets are missing: run scripts/fetch-assets.sh")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    page = {"openapi_url": "/openapi.json", "title": "Inventory API"}
    icon = f"{VENDOR}/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        js, css = f"{VENDOR}/swagger-ui-bundle.js", f"{VENDOR}/swagger-ui.css"
        return get_swagger_ui_html(
            **page, swagger_js_url=js, swagger_css_url=css, swagger_favicon_url=icon
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        js = f"{VENDOR}/redoc.standalone.js"
        return get_redoc_html(
            **page, redoc_js_url=js, redoc_favicon_url=icon, with_google_fonts=False
        )


class Alive(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    ready: bool
    neo4j: str = Field(description='"ok", or why it cannot be reached.')
    redis: str = Field(description='"ok", or why it cannot be reached.')


class NotReady(problems.Problem):
    """Neo4j or Redis cannot be reached: each one's state beside the problem."""

    ready: bool
    neo4j: str
    redis: str


def _health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"], operation_id="healthz")
    async def healthz() -> Alive:
        """The process is up."""
        return Alive(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        operation_id="readyz",
        response_model=Ready,
        responses={503: {"model": NotReady}},
    )
    async def readyz(request: Request) -> Response:
        """Neo4j and Redis are reachable."""
        checks: dict[str, str] = {}
        try:
            await request.app.state.reader.ping()
            checks["neo4j"] = "ok"
        except Exception as exc:
            checks["neo4j"] = f"unreachable: {type(exc).__name__}"
        try:
            await request.app.state.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"ready": True, **checks})
        down = ", ".join(f"{name} {state}" for name, state in checks.items() if state != "ok")
        return problems.problem(503, f"not ready: {down}", ready=False, **checks)

    @app.get(
        "/metrics",
        tags=["health"],
        dependencies=[Depends(auth.read)],
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    def metrics(request: Request) -> Response:
        """Prometheus metrics: the API's own, the depth of every queue, the rows of every
        report and the state of every kind's collection in every scope."""
        state = request.app.state
        reader = state.reader
        now = CollectorRegistry()
        now.register(gauges.queue_depth(state.runtime.queues.stats))
        now.register(gauges.report_rows(state.runtime.report_rows.load))
        now.register(gauges.collections(lambda: status.overview(reader.driver, reader.database)))
        body = generate_latest() + generate_latest(now)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
