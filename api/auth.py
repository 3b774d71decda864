"""Bearer tokens with a ``read`` or ``admin`` scope."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import ApiConfig

bearer = HTTPBearer(auto_error=False, description="A token with the read or admin scope.")
RANK = {"read": 0, "admin": 1}


def scope_of(config: ApiConfig, token: str) -> str | None:
    """The scope a token grants, comparing in constant time."""
    found = None
    for t in config.tokens:
        if hmac.compare_digest(t.token.get_secret_value().encode(), token.encode()):
            found = t.scope
    return found


def token_scope(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise HTTPException(
            401,
            "missing bearer token (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    scope = scope_of(request.app.state.settings.api, credentials.credentials)
    if scope is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return scope


def require(needed: str) -> Callable[..., str]:
    """A dependency that admits tokens whose scope is at least ``needed``."""

    def check(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> str:
        scope = token_scope(request, credentials)
        if RANK[scope] < RANK[needed]:
            raise HTTPException(403, f"this needs a token with the {needed} scope")
        return scope

    return check


read = require("read")
admin = require("admin")
