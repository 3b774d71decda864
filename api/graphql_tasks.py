"""GraphQL for tasks: ``tasks``, ``task`` and ``taskStats`` queries; ``enqueueTask``,
``cancelTask``, ``deleteTask`` and ``retryTask`` mutations, which need admin access.

The work is app.tasks', worker.tasks' and worker.queues', the same as the CLI's and
REST's; their refusals (unknown id, a state that does not allow it, a bad payload) come
back as GraphQL errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON

from app.config import QUEUES
from model.times import utc
from worker.queues import Outcome
from worker.records import STATES, TIMES


@strawberry.type(description="A task record: one message and what became of it.")
class Task:
    id: str
    task: str
    payload: JSON
    queue: str
    state: str
    attempts: int
    parent: str | None
    root: str | None
    result: JSON | None
    error: str | None
    created_at: datetime | None
    updated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested_at: datetime | None


def _task(record: dict[str, Any]) -> Task:
    # Records keep epoch seconds; the DateTime scalar writes datetimes.
    times = {key: utc(record[key]) if record.get(key) else None for key in TIMES}
    return Task(**{name: record.get(name) for name in Task.__annotations__} | times)


StateCounts = strawberry.type(
    type("StateCounts", (), {"__annotations__": dict.fromkeys(STATES, int)}),
    description="How many tasks are in each state.",
)


@strawberry.type
class QueueStats:
    queue: str
    counts: StateCounts  # type: ignore[valid-type]


@strawberry.type(description="Pending, delayed, active and failed from the broker's Redis.")
class TaskStats:
    total: StateCounts  # type: ignore[valid-type]
    queues: list[QueueStats]


@strawberry.type(description="What a cancel, delete or retry did.")
class TaskOutcome:
    id: str
    state: str
    detail: str


# The config's priorities (app.config.QUEUES) as a GraphQL enum: HIGH, DEFAULT, LOW.
Priority = strawberry.enum(Enum("Priority", {p.upper(): p for p in QUEUES}))  # type: ignore[misc]


class IsAdmin(BasePermission):
    message = "this needs a token with admin access"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(info.context.access == "admin")


@strawberry.type
class TaskQuery:
    @strawberry.field(description="Recent tasks, newest first, filtered by state, queue, task.")
    async def tasks(
        self,
        info: strawberry.Info,
        state: str | None = None,
        queue: str | None = None,
        task: str | None = None,
        limit: int = 100,
    ) -> list[Task]:
        if state is not None and state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be between 1 and 1000")
        records = info.context.runtime.records
        found = await asyncio.to_thread(records.find, limit, state, queue, task)
        return [_task(r) for r in found]

    @strawberry.field(description="One task by id.")
    async def task(self, info: strawberry.Info, id: str) -> Task | None:
        record = await asyncio.to_thread(info.context.runtime.records.get, id)
        return _task(record) if record else None

    @strawberry.field(description="Tasks per state, in total and per queue.")
    async def task_stats(self, info: strawberry.Info) -> TaskStats:
        stats = await asyncio.to_thread(info.context.runtime.queues.stats)
        return TaskStats(
            total=StateCounts(**stats["states"]),
            queues=[
                QueueStats(queue=q, counts=StateCounts(**c)) for q, c in stats["queues"].items()
            ],
        )


async def _outcome(operation: Callable[[str], Outcome], task_id: str) -> TaskOutcome:
    return TaskOutcome(**asdict(await asyncio.to_thread(operation, task_id)))


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[IsAdmin], description="Enqueue a task.")
    async def enqueue_task(
        self,
        info: strawberry.Info,
        task: str,
        payload: JSON | None = None,
        priority: Priority | None = None,
    ) -> Task:
        rt = info.context.runtime
        level = priority.value if priority else None
        # Only an absent payload is the empty one: false, 0, "" or [] are refused.
        body = {} if payload is None else payload
        task_id = await asyncio.to_thread(rt.enqueue, task, body, level)
        return _task(await asyncio.to_thread(rt.records.get, task_id))

    @strawberry.mutation(permission_classes=[IsAdmin], description="Cancel a task.")
    async def cancel_task(self, info: strawberry.Info, id: str) -> TaskOutcome:
        return await _outcome(info.context.runtime.queues.cancel, id)

    @strawberry.mutation(
        permission_classes=[IsAdmin], description="Delete a pending, delayed or failed task."
    )
    async def delete_task(self, info: strawberry.Info, id: str) -> TaskOutcome:
        return await _outcome(info.context.runtime.queues.delete, id)

    @strawberry.mutation(
        permission_classes=[IsAdmin], description="Retry a failed task from the dead letters."
    )
    async def retry_task(self, info: strawberry.Info, id: str) -> TaskOutcome:
        return await _outcome(info.context.runtime.queues.retry, id)
