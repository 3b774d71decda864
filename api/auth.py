"""Bearer tokens, each with ``read`` or ``admin`` access.

The configured tokens are kept here only as SHA-256 digests; a presented token is hashed
and compared with every one of them in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import ApiConfig

bearer = HTTPBearer(auto_error=False, description="A token with read or admin access.")
RANK = {"read": 0, "admin": 1}


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Tokens:
    def __init__(self, config: ApiConfig) -> None:
        self._known = [(digest(t.token.get_secret_value()), t.access) for t in config.tokens]

    def access_of(self, token: str) -> str | None:
        """The access a token grants, or None; every known token is compared."""
        given = digest(token)
        found = None
        for known, access in self._known:
            if hmac.compare_digest(known, given):
                found = access
        return found


def token_access(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise HTTPException(
            401,
            "missing bearer token (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    access = request.app.state.tokens.access_of(credentials.credentials)
    if access is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return access


def require(needed: str) -> Callable[..., str]:
    """A dependency that admits tokens whose access is at least ``needed``."""

    # A coroutine, so that FastAPI calls it on the event loop: a plain function it would
    # hand to a worker thread and back on every request (~0.4 of 4.8 ms of API CPU on a
    # list page, docs/benchmarks.md).
    async def check(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> str:
        access = token_access(request, credentials)
        if RANK[access] < RANK[needed]:
            raise HTTPException(403, f"this needs a token with {needed} access")
        return access

    return check


read = require("read")
admin = require("admin")
