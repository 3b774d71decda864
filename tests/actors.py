"""Test-only actors (a sleep and a no-op) for queue tests and bench/queue.py.

Workers load them through ``tests.actors_worker``; the product never does.
"""

from __future__ import annotations

import time
from typing import Any

import dramatiq

from app.config import QUEUES


def _sleep(payload: dict[str, Any]) -> None:
    time.sleep(payload.get("ms", 50) / 1000)


def _noop(payload: dict[str, Any]) -> None:
    return None


def declare(broker: dramatiq.Broker) -> None:
    for name, fn in (("test:sleep", _sleep), ("test:noop", _noop)):
        if name not in broker.actors:
            dramatiq.actor(fn, actor_name=name, queue_name=QUEUES["default"], broker=broker)


def send(broker: dramatiq.Broker, actor: str, payload: dict[str, Any], queue: str) -> str:
    """Enqueue on ``queue`` (the product's enqueue knows only the contract's tasks)."""
    message = broker.get_actor(actor).message_with_options(args=(payload,))
    message = message.copy(queue_name=queue)
    broker.enqueue(message)
    return message.message_id
