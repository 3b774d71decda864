"""The task registry: the contract's task names, their payloads and what they run.

``<provider>:collect-all`` fans out to one task per kind; ``<provider>:collect-<kind>``
fans out to one task per scope, and a scoped one collects, cleans up and enqueues the
link tasks of its scope; ``<provider>:link-all`` (re)builds relationships per scope;
``aux:housekeeper`` deletes what has not been seen for the retention period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import CurrentMessage
from dramatiq_abort import Abort
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from app import metrics
from app.config import Settings
from app.runtime import Runtime, current
from collectors import CATALOG, PROVIDERS
from collectors.base import PermanentError, Provider
from graph import links as graph_links
from graph.model import Kind, Link

log = logging.getLogger(__name__)


class TaskError(Exception):
    """A task failed in a way that retrying may heal (an endpoint down, a throttle)."""


class UnknownTask(ValueError):
    pass


class BadPayload(ValueError):
    pass


class HousekeeperPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retention_days: float | None = Field(None, gt=0)


@dataclass(frozen=True)
class Task:
    name: str
    payload: type[BaseModel]
    run: Callable[[Runtime, dict[str, Any]], dict[str, Any]]
    description: str


def _link_payload(provider: type[Provider]) -> type[BaseModel]:
    scope: dict[str, Any] = {key: (str | None, None) for key in provider.link_scope}
    return create_model(
        f"{provider.name.capitalize()}LinkPayload",
        __config__=ConfigDict(extra="forbid"),
        types=(list[str] | None, None),
        **scope,
    )


def _provider_links(provider: type[Provider]) -> list[Link]:
    return [lk for lk in CATALOG.derived if CATALOG.scoped_kind(lk).provider == provider.name]


# --- running ---------------------------------------------------------------------------


def enqueue(
    rt: Runtime, task: str, payload: dict[str, Any] | None = None, priority: str | None = None
) -> str:
    """Validate and enqueue one message; return its id (the task id).

    From inside a running task, the message becomes its child and inherits its queue.
    """
    payload = {} if payload is None else payload
    validate(spec(task), payload)
    options: dict[str, Any] = {}
    parent = CurrentMessage.get_current_message()
    if parent is not None:
        queue = q_name(parent.queue_name)
        options = {
            "parent": parent.message_id,
            "root": parent.options.get("root") or parent.message_id,
        }
    else:
        queue = rt.settings.queue_for(task, priority)
    actor = rt.broker.get_actor(task)
    message = actor.message_with_options(args=(payload,), **options).copy(queue_name=queue)
    rt.broker.enqueue(message)
    return message.message_id


def spec(task: str) -> Task:
    """The registered task of that name, or UnknownTask naming the known ones."""
    found = REGISTRY.get(task)
    if found is None:
        raise UnknownTask(f"unknown task {task!r}; known tasks: {', '.join(sorted(REGISTRY))}")
    return found


def validate(spec: Task, payload: Any) -> BaseModel:
    if not isinstance(payload, dict):
        raise BadPayload(f"payload for {spec.name} must be a JSON object")
    try:
        return spec.payload.model_validate(payload)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"]) or "payload"
        reason = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        raise BadPayload(f"bad payload for {spec.name}: {where}: {reason}") from None


def collect_all(provider: type[Provider]) -> Callable[[Runtime, dict[str, Any]], dict[str, Any]]:
    def run(rt: Runtime, payload: dict[str, Any]) -> dict[str, Any]:
        kinds = [c.kind for c in provider.collectors]
        for kind in kinds:
            enqueue(rt, kind.task, payload)
        return {"enqueued": len(kinds)}

    return run


def collect_kind(
    provider: type[Provider], kind: Kind
) -> Callable[[Runtime, dict[str, Any]], dict[str, Any]]:
    def run(rt: Runtime, payload: dict[str, Any]) -> dict[str, Any]:
        # Payloads arrive validated and without None values (see _actor_fn).
        prov = rt.providers[provider.name]
        if not prov.is_scoped(kind, payload):
            with _provider_errors(prov):
                scopes = list(prov.scopes(kind, payload))
            for scope in scopes:
                enqueue(rt, kind.task, scope)
            return {"enqueued": len(scopes)}
        return _collect_scope(rt, prov, kind, {k: payload[k] for k in prov.scope_keys(kind)})

    return run


@contextmanager
def _provider_errors(provider: Provider) -> Iterator[None]:
    """Turns provider errors into PermanentError (fail now) or TaskError (retry)."""
    try:
        yield
    except (PermanentError, TaskError):
        raise
    except Exception as exc:
        reason = provider.describe(exc)
        if provider.is_permanent(exc):
            raise PermanentError(reason) from exc
        raise TaskError(reason) from exc


def _collect_scope(
    rt: Runtime, provider: Provider, kind: Kind, payload: dict[str, Any]
) -> dict[str, Any]:
    collector = provider.collector(kind.name)
    assert collector is not None
    seen_at = rt.writer.now()
    written = 0
    with _provider_errors(provider), provider.open(kind, payload) as scope:
        values = scope.values
        node_scope = {k: values[k] for k in kind.scope}
        owner = scope.owner if kind.member_of else None
        for page in collector.collect(scope):
            written += rt.writer.write(kind, page, node_scope, seen_at, owner)
    # Only a collection that went through entirely may declare what it missed as gone.
    removed = rt.writer.remove_stale(kind, node_scope, seen_at, owner)
    types = sorted({lk.type for lk in CATALOG.derived if kind.label in (lk.source, lk.target)})
    if types:
        link_scope = {k: values[k] for k in provider.link_scope if k in values}
        enqueue(rt, f"{provider.name}:link-all", {**link_scope, "types": types})
    metrics.NODES_WRITTEN.labels(provider.name, kind.label).inc(written)
    metrics.NODES_REMOVED.labels(provider.name, kind.label).inc(removed)
    log.info("collected %s in %s: %d written, %d removed", kind.label, values, written, removed)
    return {"scope": values, "nodes_written": written, "nodes_removed": removed}


def link_all(provider: type[Provider]) -> Callable[[Runtime, dict[str, Any]], dict[str, Any]]:
    known = {lk.type: lk for lk in _provider_links(provider)}

    def run(rt: Runtime, payload: dict[str, Any]) -> dict[str, Any]:
        types = payload.get("types") or sorted(known)
        unknown = sorted(set(types) - set(known))
        if unknown:
            raise PermanentError(f"unknown relationship type(s) {unknown}; known: {sorted(known)}")
        scope = {k: payload[k] for k in provider.link_scope if k in payload}
        neo = rt.settings.neo4j
        if len(scope) < len(provider.link_scope):
            found = graph_links.scopes(
                rt.driver, provider.scope_label, provider.link_scope, neo.database
            )
            chosen = [s for s in found if all(s[k] == v for k, v in scope.items())]
            for s in chosen:
                enqueue(rt, f"{provider.name}:link-all", {**s, "types": types})
            return {"enqueued": len(chosen)}
        seen_at = rt.writer.now()
        linked = removed = 0
        for link_type in types:
            result = graph_links.refresh(
                rt.driver, CATALOG, known[link_type], scope, seen_at, neo.database
            )
            linked += result.linked
            removed += result.removed
            metrics.LINKS_WRITTEN.labels(provider.name, link_type).inc(result.linked)
            metrics.LINKS_REMOVED.labels(provider.name, link_type).inc(result.removed)
        return {"scope": scope, "types": types, "links_written": linked, "links_removed": removed}

    return run


def housekeeper(rt: Runtime, payload: dict[str, Any]) -> dict[str, Any]:
    days = payload.get("retention_days") or rt.settings.graph.retention_days
    before = rt.writer.now() - timedelta(days=days)
    removed = rt.writer.housekeep(CATALOG.kinds, before)
    for label, count in removed.items():
        metrics.NODES_REMOVED.labels(CATALOG.by_label[label].provider, label).inc(count)
    return {"nodes_removed": sum(removed.values()), "by_label": removed}


def _registry() -> dict[str, Task]:
    out: dict[str, Task] = {}
    for provider in PROVIDERS.values():
        p = provider.name
        out[f"{p}:collect-all"] = Task(
            f"{p}:collect-all",
            provider.payload_model,
            collect_all(provider),
            f"Collect every {p} kind (fans out to one task per kind).",
        )
        for c in provider.collectors:
            out[c.kind.task] = Task(
                c.kind.task,
                provider.payload_model,
                collect_kind(provider, c.kind),
                f"Collect {c.kind.label} (fans out to one task per scope).",
            )
        out[f"{p}:link-all"] = Task(
            f"{p}:link-all",
            _link_payload(provider),
            link_all(provider),
            f"Rebuild {p} relationships per scope, removing those that no longer hold.",
        )
    out["aux:housekeeper"] = Task(
        "aux:housekeeper",
        HousekeeperPayload,
        housekeeper,
        "Delete nodes not seen for the retention period.",
    )
    return out


REGISTRY = _registry()


def _actor_fn(spec: Task) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def run(payload: dict[str, Any]) -> dict[str, Any]:
        try:
            model = validate(spec, payload)
        except BadPayload as exc:
            raise PermanentError(str(exc)) from None
        return spec.run(current(), model.model_dump(exclude_none=True))

    run.__name__ = spec.name.replace(":", "_").replace("-", "_")
    return run


def declare_actors(broker: dramatiq.Broker, settings: Settings) -> None:
    for spec in REGISTRY.values():
        dramatiq.actor(
            _actor_fn(spec),
            actor_name=spec.name,
            queue_name=settings.queue_for(spec.name),
            broker=broker,
            # Expected endings, logged without a traceback; a cancel is not retried either
            # (see app.broker.RetriesUnlessCancelled).
            throws=(PermanentError, Abort),
        )
