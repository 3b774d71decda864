"""Opaque page cursors: the key a page ended on, encoded so that clients pass it back as
given rather than building it."""

from __future__ import annotations

import base64
import binascii

from fastapi import HTTPException


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode(cursor: str) -> str:
    try:
        key = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        if not key:
            raise ValueError("empty cursor")
        return key.decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise HTTPException(400, "invalid cursor: pass back next_cursor as it was given") from None
