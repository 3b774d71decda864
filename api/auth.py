"""Bearer tokens, each with ``read`` or ``admin`` access."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import ApiConfig

bearer = HTTPBearer(auto_error=False, description="A token with read or admin access.")
RANK = {"read": 0, "admin": 1}


def access_of(config: ApiConfig, token: str) -> str | None:
    """The access a token grants, comparing in constant time."""
    found = None
    for t in config.tokens:
        if hmac.compare_digest(t.token.get_secret_value().encode(), token.encode()):
            found = t.access
    return found


def token_access(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise HTTPException(
            401,
            "missing bearer token (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    access = access_of(request.app.state.settings.api, credentials.credentials)
    if access is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return access


def require(needed: str) -> Callable[..., str]:
    """A dependency that admits tokens whose access is at least ``needed``."""

    def check(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> str:
        access = token_access(request, credentials)
        if RANK[access] < RANK[needed]:
            raise HTTPException(403, f"this needs a token with {needed} access")
        return access

    return check


read = require("read")
admin = require("admin")
