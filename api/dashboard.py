"""The Dramatiq dashboard (``dramatiq-dashboard``, a WSGI app) under /dashboard, admin only.

A browser cannot send a bearer header, so the dashboard has a login form of its own: the
admin token is posted in the form's body (never in a URL, so never in an access log) and
starts a session: a random id in an HttpOnly, SameSite=Strict cookie, whose SHA-256 digest
is a key in Redis that expires after ``api.dashboard_session_s``.  Logging out deletes
it.  Scripts may send ``Authorization: Bearer <admin token>`` instead.

``dramatiq-dashboard`` is installed by a step of its own (scripts/install-app.sh: it
declares ``dramatiq<2``), so it is imported when first served: an install that skipped
that step still runs the API, and the dashboard says what is missing.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from typing import Any
from urllib.parse import parse_qs

from a2wsgi import WSGIMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

PREFIX = "/dashboard"
MISSING = (
    "the dashboard is not installed here: install it as scripts/install-app.sh does "
    "(pip install --no-deps dramatiq-dashboard==0.4.0)"
)
COOKIE = "inventory_dashboard"
LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inventory dashboard: log in</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:4em auto}}input{{width:100%;
padding:.4em;margin:.4em 0}}.error{{color:#a00}}</style></head>
<body><h1>Inventory dashboard</h1><p class="error">{error}</p>
<form method="post" action="{prefix}/login">
<label>Admin token <input type="password" name="token" autocomplete="current-password"
autofocus required></label><input type="submit" value="Log in"></form></body></html>
"""


def _key(request: Request, session: str) -> str:
    ns = request.app.state.settings.redis.namespace
    return f"{ns}:dashboard:session:{hashlib.sha256(session.encode()).hexdigest()}"


class Dashboard:
    """The ASGI app mounted at PREFIX: login and logout, then the dashboard itself."""

    def __init__(self) -> None:
        self._wsgi: WSGIMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        path = scope.get("path", "").removeprefix(scope.get("root_path", ""))
        path = path.removeprefix(PREFIX) if path.startswith(PREFIX) else path
        if path == "/login":
            response = await (self._log_in(request) if request.method == "POST" else _form())
        elif path == "/logout":
            response = await self._log_out(request)
        else:
            response = await self._admit(request)
        if response is not None:
            await response(scope, receive, send)
            return
        if self._wsgi is None:  # the broker exists once the app has started
            try:
                from dramatiq_dashboard import DashboardApp
            except ImportError:
                await PlainTextResponse(MISSING, 503)(scope, receive, send)
                return
            broker = request.app.state.runtime.broker
            self._wsgi = WSGIMiddleware(DashboardApp(broker=broker, prefix=PREFIX))
        await self._wsgi(scope, receive, send)

    async def _admit(self, request: Request) -> Response | None:
        """None to let the request through; else a refusal or the way to the login form."""
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        if kind.lower() == "bearer" and token:
            access = request.app.state.tokens.access_of(token)
            if access == "admin":
                return None
            message = "the dashboard needs admin access" if access else "invalid token"
            return PlainTextResponse(message, 403 if access else 401)
        session = request.cookies.get(COOKIE)
        if session and await request.app.state.redis.exists(_key(request, session)):
            return None
        return RedirectResponse(f"{PREFIX}/login", 303)

    async def _log_in(self, request: Request) -> Response:
        form = parse_qs((await request.body()).decode(errors="replace"))
        token = (form.get("token") or [""])[0]
        access = request.app.state.tokens.access_of(token) if token else None
        if access != "admin":
            error = "That token has read access only." if access else "That is not a token."
            return await _form(error, 403 if access else 401)
        session = secrets.token_urlsafe(32)
        lifetime = request.app.state.settings.api.dashboard_session_s
        await request.app.state.redis.set(_key(request, session), "1", ex=lifetime)
        response = RedirectResponse(f"{PREFIX}/", 303)
        response.set_cookie(
            COOKIE,
            session,
            max_age=lifetime,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def _log_out(self, request: Request) -> Response:
        session = request.cookies.get(COOKIE)
        if session:
            await request.app.state.redis.delete(_key(request, session))
        response = RedirectResponse(f"{PREFIX}/login", 303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response


async def _form(error: str = "", status: int = 200) -> Any:
    page = LOGIN_PAGE.format(error=html.escape(error), prefix=PREFIX)
    return HTMLResponse(page, status, headers={"Cache-Control": "no-store"})
