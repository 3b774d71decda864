"""The task registry: the contract's task names, their payloads, and how they are enqueued.

``<provider>:collect-all``, ``<provider>:collect-<kind>``, ``<provider>:link-all`` for
each registered provider, and ``aux:housekeeper``; what each one does is in
``worker.jobs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import CurrentMessage
from dramatiq_abort import Abort
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from collectors import CATALOG, PROVIDERS
from collectors.base import PermanentError, Provider
from worker import jobs
from worker.records import tree_of

if TYPE_CHECKING:
    from app.config import Settings
    from app.runtime import Runtime


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
    payload: type[BaseModel]
    run: Callable[[Runtime, dict[str, Any]], dict[str, Any]]
    description: str
    provider: Provider | None = None  # whose config names the scopes a payload may name


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
    out: dict[str, Task] = {}

    def add(
        name: str, payload: type[BaseModel], run: Any, description: str, p: Provider | None = None
    ) -> None:
        out[name] = Task(name, payload, run, description, p)

    for p in PROVIDERS.values():
        add(
            f"{p.name}:collect-all",
            p.payload,
            jobs.collect_all(p),
            f"Collect every {p.name} kind (fans out to one task per kind).",
            p,
        )
        for kind in p.kinds:
            add(
                kind.task,
                p.payload,
                jobs.collect_kind(p, kind),
                f"Collect {kind.label} (fans out to one task per scope).",
                p,
            )
        add(
            f"{p.name}:link-all",
            _link_payload(p),
            jobs.link_all(p, CATALOG.provider_links(p.name)),
            f"Rebuild {p.name} relationships per scope, removing those that no longer hold.",
        )
    add(
        "aux:housekeeper",
        HousekeeperPayload,
        jobs.housekeeper,
        "Delete nodes not seen for the retention period.",
    )
    add(
        "aux:reports",
        NoPayload,
        jobs.refresh_reports,
        "Count every report's rows (the inventory_report_rows gauge).",
    )
    return out


REGISTRY = _registry()


def spec(task: str) -> Task:
    """The registered task of that name, or UnknownTask naming the known ones."""
    found = REGISTRY.get(task)
    if found is None:
        raise UnknownTask(f"unknown task {task!r}; known tasks: {', '.join(sorted(REGISTRY))}")
    return found


def validate(spec: Task, payload: Any, settings: Settings | None = None) -> BaseModel:
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
    if spec.provider is not None and settings is not None:
        section = getattr(settings, spec.provider.name)
        for key, known in spec.provider.known(section).items():
            value = payload.get(key)
            if value is not None and value not in known:
                names = ", ".join(sorted(known)) or "none configured"
                raise BadPayload(
                    f"bad payload for {spec.name}: {key}: unknown {key} {value!r} (known: {names})"
                )
    return model


def check_schedules(settings: Settings) -> None:
    """Refuse schedules whose task or payload is wrong (UnknownTask, BadPayload)."""
    for s in settings.schedules:
        if s.task not in REGISTRY:
            raise UnknownTask(f"schedules: {s.name}: unknown task {s.task!r}")
        try:
            validate(REGISTRY[s.task], s.payload, settings)
        except BadPayload as exc:
            raise BadPayload(f"schedules: {s.name}: {exc}") from None


def enqueue(
    rt: Runtime,
    task: str,
    payload: dict[str, Any] | None = None,
    priority: str | None = None,
    message_id: str | None = None,
) -> str:
    """Validate and enqueue one message; return its id (the task id).

    From inside a running task, the message becomes its child and inherits its queue.
    ``message_id`` gives the message an id of the caller's (a schedule's firing), so that
    enqueueing it again is recognisable.
    """
    payload = {} if payload is None else payload
    validate(spec(task), payload, rt.settings)
    options: dict[str, Any] = {}
    parent = CurrentMessage.get_current_message()
    if parent is not None:
        queue = q_name(parent.queue_name)
        options = {
            "parent": parent.message_id,
            "root": tree_of(parent),
        }
    else:
        queue = rt.settings.queue_for(task, priority)
    actor = rt.broker.get_actor(task)
    message = actor.message_with_options(args=(payload,), **options).copy(queue_name=queue)
    if message_id is not None:
        message = message.copy(message_id=message_id)
    rt.broker.enqueue(message)
    return message.message_id


def declare_actors(broker: dramatiq.Broker, rt: Runtime) -> None:
    """Every task as an actor of ``broker`` that runs it with ``rt``."""
    for task in REGISTRY.values():
        dramatiq.actor(
            _actor_fn(task, rt),
            actor_name=task.name,
            queue_name=rt.settings.queue_for(task.name),
            broker=broker,
            # Expected endings, logged without a traceback; a cancel is not retried either
            # (see worker.middleware.cancellable_retries).
            throws=(PermanentError, Abort),
        )


def _actor_fn(task: Task, rt: Runtime) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def run(payload: dict[str, Any]) -> dict[str, Any]:
        try:
            model = validate(task, payload, rt.settings)
        except BadPayload as exc:
            raise PermanentError(str(exc)) from None
        return task.run(rt, model.model_dump(exclude_none=True))

    run.__name__ = task.name.replace(":", "_").replace("-", "_")
    return run
