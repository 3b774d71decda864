"""Pieces the AWS kinds share: their scopes, tags and id lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from model import Field

REGIONAL = ("account_id", "region")
GLOBAL = ("account_id",)


def tag_list(key: str = "Tags") -> Callable[[Any], list[str]]:
    """The tags at ``key`` as sorted ``key=value`` strings."""
    return lambda record: sorted(f"{t['Key']}={t.get('Value', '')}" for t in record.get(key) or ())


def name_tag(key: str = "Tags") -> Callable[[Any], str | None]:
    """The value of the ``Name`` tag at ``key``."""
    return lambda record: next(
        (t.get("Value") or None for t in record.get(key) or () if t["Key"] == "Name"), None
    )


def tags(key: str = "Tags") -> tuple[Field, Field]:
    """``tags`` as ``key=value`` strings, and the ``Name`` tag as ``name``."""
    return (
        Field("name", source=name_tag(key), filter=True),
        Field("tags", list, source=tag_list(key)),
    )


def ids(key: str, id_key: str) -> Callable[[Any], list[str]]:
    """The sorted ``id_key`` of each entry of the list at ``key`` ("SecurityGroups")."""
    return lambda record: sorted(entry[id_key] for entry in record.get(key) or ())
