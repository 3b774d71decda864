"""REST routes for tasks: enqueue, list, inspect, count, cancel, delete and retry."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from api import auth
from api.schemas import Time
from app.config import Priority, Settings
from app.tasks import REGISTRY, BadPayload, Task, UnknownTask
from worker.records import STATES, shown
from worker.runtime import Runtime


def _camel(name: str) -> str:
    return "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", name))


def enqueue_request(settings: Settings) -> Any:
    """What POST /api/v1/tasks takes: one shape per task, told apart by ``task``, each with
    its payload's fields, types and bounds, and the accounts or vCenters this deployment
    has as the only names a payload may give, so that the document refuses what the
    server would."""

    @cache
    def scoped(task: Task) -> type[BaseModel]:
        assert task.provider is not None
        known = task.provider.known(getattr(settings, task.provider.name))
        names = {
            # None: no name configured, so none is a payload's to give.
            key: (Literal[tuple(sorted(values))] | None) if values else None  # type: ignore[valid-type]
            for key, values in known.items()
        }
        fields = {k: (t, None) for k, t in names.items()}
        return create_model(task.payload.__name__, __base__=task.payload, **fields)

    variants = [
        create_model(
            f"{_camel(name)}Request",
            __config__=ConfigDict(extra="forbid"),
            __doc__=task.description,
            task=(Literal[name], ...),  # type: ignore[valid-type]
            payload=(
                (payload := scoped(task) if task.names_scopes else task.payload),
                Field(default_factory=payload),
            ),
            priority=(Priority | None, Field(None, description="Else the task's default.")),
        )
        for name, task in REGISTRY.items()
    ]
    return Annotated[Union[tuple(variants)], Field(discriminator="task")]  # noqa: UP007


class TaskRecord(BaseModel):
    """A task's record: what was asked, where it is, and what came of it."""

    model_config = ConfigDict(extra="allow")
    id: str
    task: str = Field(examples=["aws:collect-vpcs"])
    payload: dict[str, Any]
    queue: str | None = None
    state: Literal[STATES]  # type: ignore[valid-type]
    attempts: int
    parent: str | None = Field(None, description="The task that fanned out to this one.")
    root: str | None = Field(None, description="The task its tree started from.")
    created_at: Time | None = None
    updated_at: Time | None = None
    started_at: Time | None = None
    finished_at: Time | None = None
    cancel_requested_at: Time | None = None
    result: dict[str, Any] | None = Field(None, description="What it wrote and removed.")
    error: str | None = None


class TaskPage(BaseModel):
    items: list[TaskRecord]


class Enqueued(BaseModel):
    id: str = Field(description="The task's id: its record is at /api/v1/tasks/{id}.")
    task: str
    queue: str | None


class Counts(BaseModel):
    """Tasks per state."""

    model_config = ConfigDict(extra="allow")
    pending: int = 0
    delayed: int = 0
    active: int = 0
    succeeded: int = 0
    skipped: int = 0
    failed: int = 0
    cancelled: int = 0
    deleted: int = 0


class Stats(BaseModel):
    states: Counts = Field(description="In all.")
    queues: dict[str, Counts] = Field(description="Per queue.")


class Done(BaseModel):
    """What an operation on a task did."""

    id: str
    state: str
    detail: str


def _follow(where: str) -> dict[str, Any]:
    """OpenAPI links to what can be done with the task whose id is at ``where``."""
    return {
        name: {"operationId": operation, "parameters": {"task_id": where}}
        for name, operation in (
            ("record", "get_task"),
            ("cancel", "cancel_task"),
            ("delete", "delete_task"),
            ("retry", "retry_task"),
        )
    }


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


PREFIX = "/api/v1/tasks"
# What any reader may see, and what an admin may do to a task: the same for every
# deployment; the enqueue route's body depends on the settings (see ``router``).
reads = APIRouter(dependencies=[Depends(auth.read)])
operations = APIRouter(dependencies=[Depends(auth.admin)])


@reads.get(
    "",
    operation_id="list_tasks",
    response_model=TaskPage,
    responses={200: {"links": _follow("$response.body#/items/0/id")}},
)
def list_tasks(
    rt: Runtime = Depends(runtime),
    state: Literal[STATES] | None = Query(None),  # type: ignore[valid-type]
    queue: str | None = Query(None),
    task: str | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
) -> Any:
    """Recent task records, newest first, filtered by state, queue or task name."""
    found = rt.records.find(limit, state=state, queue=queue, task=task)
    return {"items": [shown(r) for r in found]}


# Before /{task_id}, which would take "stats" for an id.
@reads.get("/stats", operation_id="task_stats")
def task_stats(rt: Runtime = Depends(runtime)) -> Stats:
    """Tasks per state, in total and per queue. Pending, delayed, active and failed
    (dead-lettered) come from the broker's Redis structures; succeeded, cancelled and
    deleted from the records kept for the retention."""
    return Stats(**rt.queues.stats())


@reads.get("/{task_id}", operation_id="get_task", response_model=TaskRecord)
def get_task(task_id: str, rt: Runtime = Depends(runtime)) -> Any:
    """One task record."""
    record = rt.records.get(task_id)
    if record is None:
        raise HTTPException(404, f"no task {task_id}")
    return shown(record)


# 404 for an unknown id and 409 for a state that does not allow it: see api.app.
@operations.post("/{task_id}/cancel", operation_id="cancel_task")
def cancel_task(task_id: str, rt: Runtime = Depends(runtime)) -> Done:
    """Stop a task: a waiting one is taken off its queue (state `cancelled`); one a
    worker holds is skipped or interrupted (state `cancelling`, then `cancelled`)."""
    return Done(**asdict(rt.queues.cancel(task_id)))


@operations.delete("/{task_id}", operation_id="delete_task")
def delete_task(task_id: str, rt: Runtime = Depends(runtime)) -> Done:
    """Remove a pending, delayed or dead (failed) message; the record stays, `deleted`."""
    return Done(**asdict(rt.queues.delete(task_id)))


@operations.post("/{task_id}/retry", operation_id="retry_task")
def retry_task(task_id: str, rt: Runtime = Depends(runtime)) -> Done:
    """Put a failed task's dead message back on its queue, its retries reset."""
    return Done(**asdict(rt.queues.retry(task_id)))


def _create_task(settings: Settings) -> Callable[..., Enqueued]:
    def create_task(body: Any, rt: Runtime = Depends(runtime)) -> Enqueued:
        """Enqueue a task; the answer holds its id, to follow under /api/v1/tasks/{id}."""
        payload = body.payload.model_dump(exclude_unset=True)
        try:
            task_id = rt.enqueue(body.task, payload, body.priority)
        except UnknownTask as exc:
            raise HTTPException(404 if body.task not in REGISTRY else 400, str(exc)) from None
        except BadPayload as exc:
            raise HTTPException(422, str(exc)) from None
        record = rt.records.get(task_id)
        return Enqueued(id=task_id, task=body.task, queue=record["queue"] if record else None)

    # The body's type is made from the settings: FastAPI reads it from the signature.
    create_task.__annotations__["body"] = enqueue_request(settings)
    return create_task


def router(settings: Settings) -> APIRouter:
    """The task routes, in the order they are matched."""
    api = APIRouter(tags=["tasks"])
    api.include_router(reads, prefix=PREFIX)
    api.add_api_route(
        PREFIX,
        _create_task(settings),
        methods=["POST"],
        status_code=202,
        dependencies=[Depends(auth.admin)],
        operation_id="create_task",
        responses={202: {"links": _follow("$response.body#/id")}},
    )
    api.include_router(operations, prefix=PREFIX)
    return api
