"""The payload of AWS collect tasks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from model import Kind


class AwsPayload(BaseModel):
    """A payload naming a scope, or part of one to fan out over (empty: everything)."""

    model_config = ConfigDict(extra="forbid")
    account: str | None = None
    region: str | None = None


def scope_keys(kind: Kind) -> tuple[str, ...]:
    # Images are shared between accounts but seen per account and region.
    return ("account", "region") if "region" in kind.scope else ("account",)
