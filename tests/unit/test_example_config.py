"""The documented example config is valid and documents every key the settings know."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from app.config import Settings, load_settings

EXAMPLE = Path(__file__).parents[2] / "inventory.example.yaml"


def keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, field in model.model_fields.items():
        out.add(prefix + name)
        inner = field.annotation
        args = getattr(inner, "__args__", ())
        for candidate in (inner, *args):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                out |= keys(candidate, f"{prefix}{name}.")
    return out


def test_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_CONFIG", str(EXAMPLE))
    monkeypatch.delenv("INVENTORY_NEO4J__PASSWORD", raising=False)
    settings = load_settings()
    assert [a.name for a in settings.aws.accounts] == ["prod", "staging", "shop"]
    assert settings.aws.accounts[2].role_arn.endswith(":role/inventory-reader")
    assert settings.queue_for("aws:collect-instances") == "inventory.high"
    assert [v.name for v in settings.vsphere.vcenters] == ["dc-east", "lab"]
    assert settings.vsphere.vcenters[0].verify_tls and not settings.vsphere.vcenters[1].verify_tls


def test_example_config_documents_every_key() -> None:
    text = EXAMPLE.read_text()
    missing = sorted(
        k for k in keys(Settings) if not re.search(rf"\b{k.split('.')[-1]}(_file)?:", text)
    )
    assert missing == []
