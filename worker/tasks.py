"""Tasks as Dramatiq actors: each task of the contract (``app.tasks``) runs its job
(``worker.jobs``); and how a task is enqueued."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import CurrentMessage
from dramatiq_abort import Abort

from app.tasks import REGISTRY, BadPayload, Task, spec, validate
from collectors import CATALOG
from collectors.base import PermanentError
from worker import jobs
from worker.context import Context
from worker.records import tree_of


def enqueue(
    rt: Context,
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


def job(task: Task) -> jobs.Job:
    """What ``task`` does."""
    p, kind = task.provider, task.kind
    match task.action:
        case "collect-all" if p is not None:
            return jobs.collect_all(p)
        case "collect" if p is not None and kind is not None:
            return jobs.collect_kind(p, kind)
        case "link" if p is not None:
            return jobs.link_all(p, CATALOG.provider_links(p.name))
        case "housekeep":
            return jobs.housekeeper
        case "count-reports":
            return jobs.refresh_reports
    raise AssertionError(f"no job for {task}")


def declare_actors(broker: dramatiq.Broker, rt: Context) -> None:
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


def _actor_fn(task: Task, rt: Context) -> Callable[[dict[str, Any]], dict[str, Any]]:
    work = job(task)

    def run(payload: dict[str, Any]) -> dict[str, Any]:
        try:
            model = validate(task, payload, rt.settings)
        except BadPayload as exc:
            raise PermanentError(str(exc)) from None
        return work(rt, model.model_dump(exclude_none=True))

    run.__name__ = task.name.replace(":", "_").replace("-", "_")
    return run
