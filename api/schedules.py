"""REST route for the configured schedules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api import auth
from api.tasks import runtime
from app.runtime import Runtime
from worker.scheduler import describe, lease_key


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1/schedules", tags=["schedules"])

    @api.get("", dependencies=[Depends(auth.read)])
    def list_schedules(rt: Runtime = Depends(runtime)) -> dict[str, Any]:
        """Each schedule with its trigger, payload, priority and next run (UTC), and the
        scheduler that enqueues them now (null when none runs)."""
        leader = rt.redis.get(lease_key(rt.settings.redis.namespace))
        return {"leader": leader, "items": describe(rt.settings.schedules)}

    return api
