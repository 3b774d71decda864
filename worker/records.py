"""Task records: one per message, in Redis, kept for the configured retention.

A record holds id, task, payload, queue, state, attempts, times, result and error; each
record also knows its parent, so a fanned-out tree can be waited on as one.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import redis

from model.times import rfc3339

# "deleted": a pending or dead message removed from the broker; the record stays as the
# trace of it until the retention ends.
# "skipped": a collection that found another of its kind and scope running, and left the
# work to it (its result names that task).
STATES = (
    "pending", "delayed", "active", "succeeded", "skipped", "failed", "cancelled", "deleted"
)  # fmt: skip
FINAL = frozenset({"succeeded", "skipped", "failed", "cancelled", "deleted"})
DONE = frozenset({"succeeded", "skipped"})  # ended as it should
# A record's times: kept as epoch seconds (the queue operations compare them), shown as
# RFC 3339 text (``shown``).
TIMES = ("created_at", "updated_at", "started_at", "finished_at", "cancel_requested_at")


def now() -> float:
    return time.time()


class Records:
    def __init__(self, client: redis.Redis, namespace: str, retention_s: float) -> None:
        self.r = client
        self.ns = namespace
        self.retention = int(retention_s)

    @property
    def prefix(self) -> str:
        """What every record's key starts with; the task id follows."""
        return f"{self.ns}:task:"

    def key(self, task_id: str, *suffix: str) -> str:
        return self.prefix + ":".join((task_id, *suffix))

    @property
    def _index(self) -> str:
        return f"{self.ns}:tasks"

    def enqueued(
        self,
        pipe: redis.client.Pipeline,
        task_id: str,
        task: str,
        payload: dict[str, Any],
        queue: str,
        state: str,
        parent: str | None,
        root: str | None,
        redis_message_id: str,
    ) -> None:
        """Add to ``pipe`` (a transaction) the writes of one enqueue: the record made on
        the first, its state and broker key renewed on each later one (a retry).  Without a
        read, so that the broker can write them with the message in one step."""
        t = now()
        key = self.key(task_id)
        first = {
            "id": task_id,
            "task": task,
            "payload": json.dumps(payload, sort_keys=True),
            "attempts": 0,
            "created_at": t,
            "parent": parent or "",
            "root": root or task_id,
        }
        for field, value in first.items():
            pipe.hsetnx(key, field, value)
        current = {"state": state, "queue": queue, "redis_message_id": redis_message_id}
        pipe.hset(key, mapping={**current, "updated_at": t})
        pipe.expire(key, self.retention)
        pipe.zadd(self._index, {task_id: t}, nx=True)
        pipe.zremrangebyscore(self._index, "-inf", t - self.retention)
        tree = self.key(root or task_id, "tree")
        pipe.sadd(tree, task_id)
        pipe.expire(tree, self.retention)

    @staticmethod
    def encoded(fields: dict[str, Any]) -> dict[str, Any]:
        """Fields as a record holds them, with ``updated_at``."""
        return {
            k: json.dumps(v) if isinstance(v, dict | list) else ("" if v is None else v)
            for k, v in {**fields, "updated_at": now()}.items()
        }

    def update(self, task_id: str, **fields: Any) -> None:
        pipe = self.r.pipeline()
        pipe.hset(self.key(task_id), mapping=self.encoded(fields))
        pipe.expire(self.key(task_id), self.retention)
        pipe.execute()

    def get(self, task_id: str) -> dict[str, Any] | None:
        raw = self.r.hgetall(self.key(task_id))
        return _decode(raw) if raw else None

    def many(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        pipe = self.r.pipeline()
        for task_id in ids:
            pipe.hgetall(self.key(task_id))
        return [_decode(raw) for raw in pipe.execute() if raw]

    def tree(self, root: str) -> list[dict[str, Any]]:
        return self.many(sorted(self.r.smembers(self.key(root, "tree"))))

    def wait(
        self,
        root: str,
        timeout: float,
        on_poll: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> list[dict[str, Any]] | None:
        """Follow a task tree until every task in it is final: the tree, or None on timeout.

        Children are enqueued before their parent ends, so a final tree is a whole one.
        """
        deadline = time.monotonic() + timeout
        done: dict[str, dict[str, Any]] = {}  # final records are not read again
        while True:
            ids = sorted(self.r.smembers(self.key(root, "tree")))
            fresh = {r["id"]: r for r in self.many(i for i in ids if i not in done)}
            done.update((i, r) for i, r in fresh.items() if r["state"] in FINAL)
            tree = [done.get(i) or fresh[i] for i in ids if i in done or i in fresh]
            if on_poll:
                on_poll(tree)
            if tree and len(done) == len(tree):
                return tree
            if time.monotonic() > deadline:
                return None
            time.sleep(0.3)

    def recent(self, limit: int = 100, before: float | None = None) -> list[dict[str, Any]]:
        top = f"({before}" if before is not None else "+inf"
        ids = self.r.zrevrangebyscore(self._index, top, "-inf", start=0, num=limit)
        return self.many(ids)

    def find(
        self,
        limit: int,
        state: str | None = None,
        queue: str | None = None,
        task: str | None = None,
    ) -> list[dict[str, Any]]:
        """The newest records matching every filter given (among the newest 10,000)."""
        scan = self.recent(limit if not (state or queue or task) else 10_000)
        return [
            r
            for r in scan
            if (state is None or r["state"] == state)
            and (queue is None or r["queue"] == queue)
            and (task is None or r["task"] == task)
        ][:limit]

    def counts(self, chunk: int = 1000) -> Counter[tuple[str, str]]:
        """How many records there are per (queue, state), over the whole retention."""
        self.r.zremrangebyscore(self._index, "-inf", now() - self.retention)
        found: Counter[tuple[str, str]] = Counter()
        for start in range(0, self.r.zcard(self._index), chunk):
            pipe = self.r.pipeline()
            for task_id in self.r.zrange(self._index, start, start + chunk - 1):
                pipe.hmget(self.key(task_id), "queue", "state")
            found.update((q, s) for q, s in pipe.execute() if s)
        return found


def tree_of(message: Any) -> str:
    """The id of the task tree a message belongs to: its root's, or its own if it is one."""
    return message.options.get("root") or message.message_id


def totals(tree: Iterable[dict[str, Any]]) -> Counter[str]:
    """The nodes and links written and removed, summed over task results."""
    out: Counter[str] = Counter()
    for r in tree:
        for key, value in (r.get("result") or {}).items():
            if key.startswith(("nodes_", "links_")) and isinstance(value, int):
                out[key] += value
    return out


def follow(records: Records, root: str, timeout: float, say: Callable[[str], Any]) -> bool:
    """Wait for a task tree, telling progress and then what it did; True if all succeeded."""
    last, last_at = "", 0.0

    def progress(tree: list[dict[str, Any]]) -> None:
        nonlocal last, last_at
        states = Counter(r["state"] for r in tree)
        line = ", ".join(f"{states[s]} {s}" for s in STATES if states[s])
        done = bool(tree) and all(r["state"] in FINAL for r in tree)
        # At most every two seconds, and always the final state.
        if line != last and (done or time.monotonic() - last_at >= 2):
            say(f"  {len(tree)} tasks: {line}")
            last, last_at = line, time.monotonic()

    tree = records.wait(root, timeout, progress)
    if tree is None:
        say(f"gave up waiting after {timeout:.0f}s")
        return False
    done = totals(tree)
    say("  " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(done.items())))
    failed = [r for r in tree if r["state"] not in DONE]
    for r in failed:
        say(f"  {r['state']}: {r['task']} {json.dumps(r['payload'])}: {r.get('error')}")
    return not failed


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """A record as REST and the CLI show it: its times as RFC 3339 text in UTC."""
    return {**record, **{key: rfc3339(record.get(key)) for key in TIMES}}


def _decode(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(raw)
    for key in ("payload", "result"):
        if out.get(key):
            out[key] = json.loads(out[key])
    for key in TIMES:
        out[key] = float(out[key]) if out.get(key) else None
    out["attempts"] = int(out.get("attempts") or 0)
    for key in ("parent", "error"):
        out[key] = out.get(key) or None
    out.setdefault("result", None)
    out.setdefault("error", None)
    return out
