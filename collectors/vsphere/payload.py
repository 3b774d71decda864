"""The payload of vSphere collect tasks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from model import Kind


class VSpherePayload(BaseModel):
    """A payload naming one vCenter (empty: every configured one)."""

    model_config = ConfigDict(extra="forbid")
    vcenter: str | None = None


def scope_keys(kind: Kind) -> tuple[str, ...]:
    return ("vcenter",)
