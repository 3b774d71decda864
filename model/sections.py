"""The base of every config section, the core's and each provider's alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator


def unique_names(items: list[Any], what: str) -> list[Any]:
    names = [item.name for item in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate {what} name(s): {', '.join(dupes)}")
    return items


class Section(BaseModel):
    """A config section: unknown keys are errors, and ``<secret>_file`` fills ``<secret>``."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, field in cls.model_fields.items():
            path = data.get(f"{name}_file")
            if field.annotation not in (SecretStr, SecretStr | None) or path is None:
                continue
            try:
                data = {**data, name: Path(path).read_text().strip()}
            except OSError as exc:
                raise ValueError(f"cannot read {name}_file {path}: {exc.strerror}") from None
            data.pop(f"{name}_file")
        return data
