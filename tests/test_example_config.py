"""The documented example config is valid and documents every key the settings know."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from app.config import Settings, load_settings

EXAMPLE = Path(__file__).parent.parent / "inventory.example.yaml"


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
    # The example names secret files that do not exist here; the rest must validate.
    data = yaml.safe_load(EXAMPLE.read_text())
    data["aws"]["accounts"][2].pop("access_key_id_file")
    data["aws"]["accounts"][2].pop("secret_access_key_file")
    settings = Settings(**data)
    assert [a.name for a in settings.aws.accounts] == ["prod", "staging", "shop"]
    assert settings.queue_for("aws:collect-instances") == "inventory.high"
    with pytest.raises(Exception, match="shop-key-id"):
        load_settings()


def test_example_config_documents_every_key() -> None:
    text = EXAMPLE.read_text()
    missing = sorted(
        k for k in keys(Settings) if not any(f"{part}:" in text for part in [k.split(".")[-1]])
    )
    assert missing == []
