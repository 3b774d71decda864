"""Where a message is in Dramatiq's Redis broker, and what an operator may do with it.

It works in the broker's own Redis keys (``ns:Q``, ``ns:Q.msgs``, the delay queue
``ns:Q.DQ``, the dead letters ``ns:Q.XQ``, the workers' ack sets ``ns:__acks__.<worker>.Q``
and ``ns:__heartbeats__``), as Dramatiq's dispatch.lua makes them: the layout, and the
tests that fail if a Dramatiq upgrade changes it, are in docs/internals.md (section 3).
A message's key changes with every enqueue (each retry is a new one); its task record
holds the current one (``redis_message_id``).

- **cancel**: a message still waiting in Redis is taken off its list; one that a worker
  holds is signalled through ``dramatiq-abort``: skipped if it has not started, interrupted
  if it runs; either way its record ends ``cancelled`` and it is neither retried nor
  dead-lettered.
- **delete**: a message waiting in Redis, pending, delayed or dead, is removed; its
  record stays, marked ``deleted``.  A worker's message cannot be deleted: cancel it.
- **retry**: a dead message moves back onto its queue, same task id, with its retry count
  reset; the record goes back to ``pending``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from dramatiq import Message

from worker.broker import Broker, abortable
from worker.records import STATES, Records, now

# Takes one message key off a queue list or a dead-letter set, with its data; with a
# destination, puts the given (new key, data) on that queue.  All or nothing.
#   KEYS: source (list or zset), its hash[, destination list, its hash]
#   ARGV: key[, new key, new data]
_MOVE = """
local taken
if redis.call("type", KEYS[1])["ok"] == "zset" then
    taken = redis.call("zrem", KEYS[1], ARGV[1])
else
    taken = redis.call("lrem", KEYS[1], 1, ARGV[1])
end
if taken == 0 then
    return 0
end
redis.call("hdel", KEYS[2], ARGV[1])
if KEYS[4] then
    redis.call("hset", KEYS[5], ARGV[3], ARGV[4])
    redis.call("rpush", KEYS[4], ARGV[3])
end
redis.call("hset", KEYS[3], unpack(ARGV, 5))
redis.call("expire", KEYS[3], ARGV[2])
return 1
"""

# Where a message waits in Redis, by the state its record shows.
_WAITING = {"pending": "", "delayed": ".DQ", "failed": ".XQ"}


class TaskNotFound(LookupError):
    pass


class TaskConflict(Exception):
    """The task's state does not allow the operation; the message says what would."""


@dataclass(frozen=True)
class Outcome:
    id: str
    state: str
    detail: str


class Queues:
    def __init__(self, broker: Broker, records: Records) -> None:
        self.broker = broker
        self.records = records
        self._move = broker.client.register_script(_MOVE)

    def _record(self, task_id: str) -> dict[str, Any]:
        record = self.records.get(task_id)
        if record is None:
            raise TaskNotFound(f"no task {task_id} (records are kept for the configured retention)")
        return record

    def _source(self, record: dict[str, Any]) -> str | None:
        """The list or dead-letter set the record's message waits in, by the record's state."""
        suffix = _WAITING.get(record["state"])
        if suffix is None or not record.get("redis_message_id"):
            return None
        return self.broker.key(record["queue"], suffix)

    def _take(
        self,
        record: dict[str, Any],
        then: dict[str, Any],
        onto: tuple[str, str, bytes] | None = None,
    ) -> bool:
        """Take the record's message out of Redis and write ``then`` to the record, in one
        step (a process killed between the two would leave a record that names a message
        gone, or the reverse); with ``onto`` (queue, key, data), put that on the queue in
        the same step."""
        source = self._source(record)
        if source is None:
            return False
        fields = self.records.encoded(then)
        keys = [source, f"{source}.msgs", self.records.key(record["id"])]
        args: list[Any] = [record["redis_message_id"], self.records.retention, "", ""]
        if onto is not None:
            queue, key, data = onto
            keys += [queue, f"{queue}.msgs"]
            args[2:4] = [key, data]
        args += [x for pair in fields.items() for x in pair]
        return bool(self._move(keys=keys, args=args))

    def reached(self, task_id: str) -> bool:
        """Whether the message of ``task_id`` reached the broker: it waits there, a worker
        holds it, or it has run.  False when its enqueue never got through (no record, or a
        waiting record whose message is in no queue)."""
        record = self.records.get(task_id)
        if record is None:
            return False
        if record["state"] not in ("pending", "delayed"):
            return True
        key, queue = record.get("redis_message_id"), record["queue"]
        client = self.broker.client
        return bool(
            key
            and (
                client.hexists(self.broker.key(queue, ".msgs"), key)
                or client.hexists(self.broker.key(queue, ".DQ.msgs"), key)
            )
        )

    def cancel(self, task_id: str) -> Outcome:
        record = self._record(task_id)
        state, queue = record["state"], record["queue"]
        if state not in ("pending", "delayed", "active"):
            raise TaskConflict(
                f"task {task_id} is {state}; only a pending, delayed or active one can be cancelled"
            )
        if self._take(record, {"state": "cancelled", "finished_at": now()}):
            return Outcome(task_id, "cancelled", f"removed from {queue} before it ran")
        # A worker holds it (or took it a moment ago): it is skipped before it starts, or
        # interrupted at its next Python instruction if it runs.
        self.records.update(task_id, cancel_requested_at=now())
        abortable(self.broker).abort(task_id)
        return Outcome(task_id, "cancelling", "a worker holds it; it stops at its next chance")

    def delete(self, task_id: str) -> Outcome:
        record = self._record(task_id)
        state, queue = record["state"], record["queue"]
        if state == "active":
            raise TaskConflict(f"task {task_id} is active; cancel it instead")
        if state not in _WAITING:
            raise TaskConflict(
                f"task {task_id} is {state}; only a pending, delayed or failed one can be deleted"
            )
        if not self._take(record, {"state": "deleted", "finished_at": now()}):
            raise TaskConflict(
                f"task {task_id} is no longer waiting in Redis (a worker holds it, or its dead "
                "message expired): cancel it, or look again with `inventory task show`"
            )
        return Outcome(task_id, "deleted", f"removed its {state} message from {queue}")

    def retry(self, task_id: str) -> Outcome:
        record = self._record(task_id)
        state, queue = record["state"], record["queue"]
        if state != "failed":
            raise TaskConflict(f"task {task_id} is {state}; only a failed one can be retried")
        source = self._source(record)
        data = source and self.broker.client.hget(f"{source}.msgs", record["redis_message_id"])
        gone = TaskConflict(f"task {task_id} is no longer in the dead letters of {queue}")
        if not data:
            raise gone
        key, fresh = _requeued(data, queue)
        then = {"state": "pending", "redis_message_id": key, "finished_at": None}
        if not self._take(record, then, (self.broker.key(queue), key, fresh)):
            raise gone
        return Outcome(task_id, "pending", f"moved from the dead letters back onto {queue}")

    def stats(self) -> dict[str, Any]:
        """Counts per state, in total and per queue: waiting, held and dead messages as the
        broker has them, finished ones from the records (within their retention)."""
        queues = sorted(self.broker.get_declared_queues())
        client = self.broker.client
        workers = [w.decode() for w in client.zrange(self.broker.key("__heartbeats__"), 0, -1)]
        pipe = client.pipeline(transaction=False)
        for q in queues:
            pipe.llen(self.broker.key(q))
            pipe.llen(self.broker.key(q, ".DQ"))
            pipe.zcard(self.broker.key(q, ".XQ"))
            for w in workers:
                pipe.scard(self.broker.key(f"__acks__.{w}.{q}"))
                pipe.scard(self.broker.key(f"__acks__.{w}.{q}.DQ"))
        replies = iter(pipe.execute())
        finished = self.records.counts()
        per_queue: dict[str, dict[str, int]] = {}
        for q in queues:
            counts = dict.fromkeys(STATES, 0)
            counts["pending"] = next(replies)
            counts["delayed"] = next(replies)
            counts["failed"] = next(replies)
            for _ in workers:
                counts["active"] += next(replies)
                counts["delayed"] += next(replies)  # a worker keeps delayed ones in memory
            for state in ("succeeded", "skipped", "cancelled", "deleted"):
                counts[state] = finished[(q, state)]
            per_queue[q] = counts
        total = {s: sum(c[s] for c in per_queue.values()) for s in STATES}
        return {"states": total, "queues": per_queue}


def _requeued(data: bytes, queue: str) -> tuple[str, bytes]:
    """A dead message made new: a fresh broker key, its retry count and backoff reset."""
    message = Message.decode(data)
    options = {
        k: v
        for k, v in message.options.items()
        if k not in ("retries", "traceback", "eta", "requeue_timestamp")
    }
    key = str(uuid4())
    options["redis_message_id"] = key
    fresh = dataclasses.replace(message, queue_name=queue, options=options)
    return key, fresh.encode()
