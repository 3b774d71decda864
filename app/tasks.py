"""The task contract: every task's name, payload and description, derived from the
providers and their kinds; what each one does is the worker's (``worker.tasks``).

``<provider>:collect-all``, ``<provider>:collect-<kind>``, ``<provider>:link-all`` for
each registered provider, ``aux:housekeeper`` and ``aux:reports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from collectors import CATALOG, PROVIDERS
from collectors.base import Provider
from model import Kind

Action = Literal["collect-all", "collect", "link", "housekeep", "count-reports"]


class UnknownTask(ValueError):
    pass


class BadPayload(ValueError):
    pass


class NoPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HousekeeperPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retention_days: float | None = Field(None, ge=1, le=3650)


@dataclass(frozen=True)
class Task:
    name: str
    action: Action
    payload: type[BaseModel]
    description: str
    provider: Provider | None = None  # whose task it is (None: the graph's own)
    kind: Kind | None = None  # what a collect task collects

    @property
    def names_scopes(self) -> bool:
        """Whether the payload names what the provider's config has (accounts, vCenters):
        a collection's does; a link task's names the graph's scopes (``account_id``)."""
        return self.action in ("collect-all", "collect")


def _link_payload(provider: Provider) -> type[BaseModel]:
    scope: dict[str, Any] = {key: (str | None, None) for key in provider.link_scope}
    types = sorted({lk.type for lk in CATALOG.provider_links(provider.name)})
    return create_model(
        f"{provider.name.capitalize()}LinkPayload",
        __config__=ConfigDict(extra="forbid"),
        types=(list[Literal[tuple(types)]] | None, None),  # type: ignore[valid-type]
        **scope,
    )


def _registry() -> dict[str, Task]:
    tasks: list[Task] = []
    for p in PROVIDERS.values():
        tasks.append(
            Task(
                f"{p.name}:collect-all",
                "collect-all",
                p.payload,
                f"Collect every {p.name} kind (fans out to one task per kind).",
                p,
            )
        )
        tasks += [
            Task(
                kind.task,
                "collect",
                p.payload,
                f"Collect {kind.label} (fans out to one task per scope).",
                p,
                kind,
            )
            for kind in p.kinds
        ]
        tasks.append(
            Task(
                f"{p.name}:link-all",
                "link",
                _link_payload(p),
                f"Rebuild {p.name} relationships per scope, removing those that no longer hold.",
                p,
            )
        )
    tasks.append(
        Task(
            "aux:housekeeper",
            "housekeep",
            HousekeeperPayload,
            "Delete nodes not seen for the retention period.",
        )
    )
    tasks.append(
        Task(
            "aux:reports",
            "count-reports",
            NoPayload,
            "Count every report's rows (the inventory_report_rows gauge).",
        )
    )
    return {t.name: t for t in tasks}


REGISTRY = _registry()


def spec(task: str) -> Task:
    """The registered task of that name, or UnknownTask naming the known ones."""
    found = REGISTRY.get(task)
    if found is None:
        raise UnknownTask(f"unknown task {task!r}; known tasks: {', '.join(sorted(REGISTRY))}")
    return found


def validate(spec: Task, payload: Any, settings: BaseModel | None = None) -> BaseModel:
    """The payload checked against the task's schema (fields, types, bounds) and, given
    the settings, against the accounts or vCenters they name; BadPayload names the field."""
    if not isinstance(payload, dict):
        raise BadPayload(f"payload for {spec.name} must be a JSON object, not {payload!r:.40}")
    try:
        model = spec.payload.model_validate(payload)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"]) or "payload"
        reason = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        raise BadPayload(f"bad payload for {spec.name}: {where}: {reason}") from None
    if spec.names_scopes and spec.provider is not None and settings is not None:
        section = getattr(settings, spec.provider.name)
        for key, known in spec.provider.known(section).items():
            value = payload.get(key)
            if value is not None and value not in known:
                names = ", ".join(sorted(known)) or "none configured"
                raise BadPayload(
                    f"bad payload for {spec.name}: {key}: unknown {key} {value!r} (known: {names})"
                )
    return model
