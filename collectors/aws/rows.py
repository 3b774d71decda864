"""Helpers that turn provider records into graph rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def tags(items: Iterable[Mapping[str, str]] | None) -> dict[str, Any]:
    """``tags`` as ``key=value`` strings, and the ``Name`` tag as ``name``."""
    pairs = sorted((t["Key"], t.get("Value", "")) for t in items or ())
    out: dict[str, Any] = {"tags": [f"{k}={v}" for k, v in pairs]}
    name = dict(pairs).get("Name")
    if name:
        out["name"] = name
    return out
