"""Opaque page cursors: the key a page ended on, encoded so that clients pass it back as
given rather than building it."""

from __future__ import annotations

import base64
import binascii

from fastapi import HTTPException, Query


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
