"""REST route for the configured schedules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api import auth
from api.schemas import Time
from api.tasks import runtime
from app.config import Priority
from worker.runtime import Runtime
from worker.scheduler import describe, lease_key


class Schedule(BaseModel):
    name: str
    task: str
    cron: str | None = Field(description="5 cron fields, UTC; or interval_s.")
    interval_s: int | None
    payload: dict[str, Any]
    priority: Priority | None
    next_run: Time | None


class Schedules(BaseModel):
    leader: str | None = Field(description="The scheduler that enqueues now, if one runs.")
    items: list[Schedule]


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1/schedules", tags=["schedules"])

    @api.get("", dependencies=[Depends(auth.read)], operation_id="list_schedules")
    def list_schedules(rt: Runtime = Depends(runtime)) -> Schedules:
        """Each schedule with its trigger, payload, priority and next run (UTC), and the
        scheduler that enqueues them now (null when none runs)."""
        leader = rt.redis.get(lease_key(rt.settings.redis.namespace))
        return Schedules(leader=leader, items=describe(rt.settings.schedules))

    return api
