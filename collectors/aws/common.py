"""Pieces the AWS kinds share: their scopes, tags, id lists and paged listings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from collectors.base import Collector
from model import Field, Kind

if TYPE_CHECKING:
    from collectors.aws.session import AwsSession

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
        Field("name", path=name_tag(key), filter=True),
        Field("tags", list, path=tag_list(key)),
    )


def ids(key: str, id_key: str) -> Callable[[Any], list[str]]:
    """The sorted ``id_key`` of each entry of the list at ``key`` ("SecurityGroups")."""
    return lambda record: sorted(entry[id_key] for entry in record.get(key) or ())


# An instance's or an image's platform: Windows, else the platform details AWS gives.
PLATFORM = Field(
    "platform", path=lambda r: r.get("Platform") or r.get("PlatformDetails"), filter=True
)


def named_in_account(
    session: AwsSession, records: Iterable[dict[str, Any]], name: str
) -> list[dict[str, Any]]:
    """``records`` of what every account names alike (regions, zones), each with its uid,
    ``<account_id>:<name>``, under ``uid``; ``name`` is the key of the record's name."""
    account = session.account_id
    return [{**r, "uid": f"{account}:{r[name]}"} for r in records]


def paged(
    kind: Kind, service: str, operation: str, key: str, page_size: int | None = None
) -> Collector:
    """A collector of ``kind`` that pages through ``service``'s ``operation`` (pages of
    ``page_size`` items, else the service's own size) and yields each page's list at
    ``key``."""
    config = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}

    def collect(session: AwsSession) -> Iterator[list[dict[str, Any]]]:
        for page in session.client(service).get_paginator(operation).paginate(**config):
            yield page[key]

    return Collector(kind, collect)
