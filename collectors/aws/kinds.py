"""Shared pieces of the AWS kind descriptions."""

from __future__ import annotations

from graph.model import Field

REGIONAL = ("account_id", "region")
GLOBAL = ("account_id",)
TAGS = (Field("name", filter=True), Field("tags", list))
