"""The Dramatiq dashboard (``dramatiq-dashboard``, a WSGI app) under /dashboard, admin only.

A browser cannot send a bearer header, so besides ``Authorization: Bearer <admin token>``
the token is taken once as ``?token=<admin token>``: that sets an HttpOnly, SameSite=Strict
cookie holding a digest of the token (never the token itself) and redirects to the same
URL without it.
"""

from __future__ import annotations

import hashlib
import hmac

from a2wsgi import WSGIMiddleware
from dramatiq_dashboard import DashboardApp
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from api import auth
from app.config import ApiConfig

PREFIX = "/dashboard"
COOKIE = "inventory_dashboard"


def _digest(token: str) -> str:
    return hmac.new(token.encode(), b"inventory dashboard", hashlib.sha256).hexdigest()


class Dashboard:
    """The ASGI app mounted at PREFIX: checks the token, then hands over to the dashboard."""

    def __init__(self) -> None:
        self._wsgi: WSGIMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        refusal = _login(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if self._wsgi is None:  # the broker exists once the app has started
            broker = request.app.state.runtime.broker
            self._wsgi = WSGIMiddleware(DashboardApp(broker=broker, prefix=PREFIX))
        await self._wsgi(scope, receive, send)


def _login(request: Request) -> Response | None:
    """A response refusing or redirecting the request; None to let it through."""
    config: ApiConfig = request.app.state.settings.api
    given = request.query_params.get("token")
    access = auth.access_of(config, given) if given is not None else _presented(config, request)
    if access == "admin":
        return None if given is None else _remember(request, given)
    if access == "read":
        return PlainTextResponse("the dashboard needs a token with admin access", 403)
    return PlainTextResponse(
        f"the dashboard needs the admin token: open {PREFIX}/?token=<admin token> once, "
        "or send Authorization: Bearer <admin token>",
        401,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _presented(config: ApiConfig, request: Request) -> str | None:
    """The access of the bearer token, else of the cookie."""
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() == "bearer" and token:
        return auth.access_of(config, token)
    value = request.cookies.get(COOKIE, "")
    admins = (t.token.get_secret_value() for t in config.tokens if t.access == "admin")
    matches = [hmac.compare_digest(_digest(t).encode(), value.encode()) for t in admins]
    return "admin" if any(matches) else None


def _remember(request: Request, token: str) -> Response:
    """Set the cookie and send the browser to the same URL without the token in it."""
    clean = request.url.remove_query_params("token")
    redirect = RedirectResponse(clean.path + (f"?{clean.query}" if clean.query else ""), 303)
    redirect.set_cookie(
        COOKIE,
        _digest(token),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return redirect
