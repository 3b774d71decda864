"""REST routes for tasks: enqueue, list and inspect."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api import auth
from app.records import STATES
from app.runtime import Runtime
from app.tasks import REGISTRY, BadPayload, UnknownTask, enqueue


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
        scan = rt.records.recent(limit if not (state or queue or task) else 10_000)
        items = [
            r
            for r in scan
            if (state is None or r["state"] == state)
            and (queue is None or r["queue"] == queue)
            and (task is None or r["task"] == task)
        ]
        return {"items": items[:limit]}

    @api.get("/{task_id}", dependencies=[Depends(auth.read)])
    def get_task(task_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """One task record."""
        record = rt.records.get(task_id)
        if record is None:
            raise HTTPException(404, f"no task {task_id}")
        return record

    @api.post("", status_code=202, dependencies=[Depends(auth.admin)])
    def create_task(body: EnqueueRequest, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """Enqueue a task; the answer holds its id, to follow under /api/v1/tasks/{id}."""
        try:
            task_id = enqueue(rt, body.task, body.payload, body.priority)
        except UnknownTask as exc:
            raise HTTPException(404 if body.task not in REGISTRY else 400, str(exc)) from None
        except BadPayload as exc:
            raise HTTPException(422, str(exc)) from None
        record = rt.records.get(task_id)
        return {"id": task_id, "task": body.task, "queue": record["queue"] if record else None}

    return api
