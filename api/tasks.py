"""REST routes for tasks: enqueue, list, inspect, count, cancel, delete and retry."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api import auth
from app.runtime import Runtime
from worker.records import STATES, shown
from worker.tasks import REGISTRY, BadPayload, UnknownTask


class EnqueueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str = Field(examples=["aws:collect-all"])
    payload: dict[str, Any] = Field(default_factory=dict)
    priority: Literal["high", "default", "low"] | None = None


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

    @api.get("", dependencies=[Depends(auth.read)])
    def list_tasks(
        rt: Runtime = Depends(runtime),
        state: Literal[STATES] | None = Query(None),  # type: ignore[valid-type]
        queue: str | None = Query(None),
        task: str | None = Query(None),
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        """Recent task records, newest first, filtered by state, queue or task name."""
        found = rt.records.find(limit, state=state, queue=queue, task=task)
        return {"items": [shown(r) for r in found]}

    # Before /{task_id}, which would take "stats" for an id.
    @api.get("/stats", dependencies=[Depends(auth.read)])
    def task_stats(rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """Tasks per state, in total and per queue. Pending, delayed, active and failed
        (dead-lettered) come from the broker's Redis structures; succeeded, cancelled and
        deleted from the records kept for the retention."""
        return rt.queues.stats()

    @api.get("/{task_id}", dependencies=[Depends(auth.read)])
    def get_task(task_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """One task record."""
        record = rt.records.get(task_id)
        if record is None:
            raise HTTPException(404, f"no task {task_id}")
        return shown(record)

    @api.post("", status_code=202, dependencies=[Depends(auth.admin)])
    def create_task(body: EnqueueRequest, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """Enqueue a task; the answer holds its id, to follow under /api/v1/tasks/{id}."""
        try:
            task_id = rt.enqueue(body.task, body.payload, body.priority)
        except UnknownTask as exc:
            raise HTTPException(404 if body.task not in REGISTRY else 400, str(exc)) from None
        except BadPayload as exc:
            raise HTTPException(422, str(exc)) from None
        record = rt.records.get(task_id)
        return {"id": task_id, "task": body.task, "queue": record["queue"] if record else None}

    # 404 for an unknown id and 409 for a state that does not allow it: see api.app.
    @api.post("/{task_id}/cancel", dependencies=[Depends(auth.admin)])
    def cancel_task(task_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """Stop a task: a waiting one is taken off its queue (state `cancelled`); one a
        worker holds is skipped or interrupted (state `cancelling`, then `cancelled`)."""
        return asdict(rt.queues.cancel(task_id))

    @api.delete("/{task_id}", dependencies=[Depends(auth.admin)])
    def delete_task(task_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """Remove a pending, delayed or dead (failed) message; the record stays, `deleted`."""
        return asdict(rt.queues.delete(task_id))

    @api.post("/{task_id}/retry", dependencies=[Depends(auth.admin)])
    def retry_task(task_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """Put a failed task's dead message back on its queue, its retries reset."""
        return asdict(rt.queues.retry(task_id))

    return api
