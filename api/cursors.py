"""Paging: page sizes, and opaque page cursors (the key a page ended on, encoded so that
clients pass it back as given rather than building it)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import HTTPException, Query

from graph.history import EPOCH

#: A page's size when none is asked for, on every route and GraphQL list.
DEFAULT_LIMIT = 100


def limit_query(max_limit: int) -> Any:
    """The ``limit`` query parameter of a paged route."""
    return Query(DEFAULT_LIMIT, ge=1, le=max_limit, description="Page size.")


def page_size(name: str, value: int, most: int) -> int:
    """A GraphQL field's page size (``first``, ``limit``), or ValueError naming it."""
    if not 1 <= value <= most:
        raise ValueError(f"{name} must be between 1 and {most}")
    return value


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


# What encode gives: unpadded URL-safe base64 of a non-empty key.  Any text of this form
# is a position to page from, so the OpenAPI document can say it and every cursor it
# allows is accepted.
PATTERN = r"^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"
DESCRIPTION = "next_cursor from the previous page."


def decode(cursor: str) -> str:
    try:
        key = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
    except binascii.Error:
        key = b""
    if not key:
        raise HTTPException(400, "invalid cursor: pass back next_cursor as it was given")
    return key.decode(errors="replace")


def query() -> object:
    """The ``cursor`` query parameter of a paged route."""
    return Query(None, description=DESCRIPTION, pattern=PATTERN, min_length=2)


# The change records' pages (graph.history) end at a position, a time and an id (a UUID):
# their cursor is 24 bytes, the time in microseconds since the epoch and the id's, so that
# any 32 characters of unpadded URL-safe base64 name a position to page from.
POSITION_PATTERN = r"^[A-Za-z0-9_-]{32}$"
_MICRO = timedelta(microseconds=1)


def encode_position(position: tuple[datetime, str] | None) -> str | None:
    if position is None:
        return None
    at, id_ = position
    micros = (at - EPOCH) // _MICRO
    key = micros.to_bytes(8, "big", signed=True) + uuid.UUID(id_).bytes
    return base64.urlsafe_b64encode(key).decode()


def decode_position(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        key = base64.urlsafe_b64decode(cursor)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 24:
        raise HTTPException(400, "invalid cursor: pass back next_cursor as it was given")
    micros = int.from_bytes(key[:8], "big", signed=True)
    try:
        at = EPOCH + micros * _MICRO
    except OverflowError:  # past year 1 or 9999: that year's bound
        at = (datetime.min if micros < 0 else datetime.max).replace(tzinfo=UTC)
    return at, str(uuid.UUID(bytes=key[8:]))


def position_query() -> object:
    """The ``cursor`` query parameter of a page of changes."""
    return Query(None, description=DESCRIPTION, pattern=POSITION_PATTERN)
