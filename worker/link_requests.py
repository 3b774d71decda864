"""Link runs coalesced per task tree and scope.

Each collection that succeeds asks for the relationship types touching its kind to be
linked in its scope, as either end may have arrived last.  A full collection has many
kinds per scope, so one link task per collection would link most types several times
over (at 30 accounts x 3 regions: 125,580 relationship merges for 40,000 relationships).

Instead the asks of one task tree and scope gather in a Redis hash (type -> version), and
only an ask that finds no link task queued for them enqueues one.  That task, when it
starts, takes what has been asked so far, so asks made while it waits in the queue ride
along; an ask made after it started enqueues the next.  Types are forgotten only once
linked, and only if not asked for again meanwhile (their version unchanged), so a retry
takes them again and a later ask is never lost.

The mark of a queued task names it and its asker, so that a mark no task will take goes
by itself: its task ended without starting (cancelled, deleted), or its asker died before
enqueueing it and asks again when its own message comes back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import redis

from worker.records import FINAL, Records

TTL_S = 24 * 3600  # a tree's asks outlive any collection; then they go

# Note the types ARGV[5...] as asked for; then, unless the queued mark names a task that
# will take them, mark task ARGV[3] of asker ARGV[2] as queued and return 1.  A task takes
# them if its record (key ARGV[4] .. id) is not final, or, with no record yet, if another
# asker is enqueueing it (a dead asker asks again when its message is redelivered).
_ASK = "local final = {" + ", ".join(f"{state}=true" for state in sorted(FINAL)) + "}"
_ASK += """
for i = 5, #ARGV do
  redis.call('hincrby', KEYS[1], ARGV[i], 1)
end
redis.call('expire', KEYS[1], ARGV[1])
local queued = redis.call('get', KEYS[2])
if queued then
  local asker, task = string.match(queued, '^(%S+) (%S+)$')
  local state = task and redis.call('hget', ARGV[4] .. task, 'state')
  if (state and not final[state]) or (task and not state and asker ~= ARGV[2]) then
    return 0
  end
end
redis.call('set', KEYS[2], ARGV[2] .. ' ' .. ARGV[3], 'EX', ARGV[1])
return 1
"""

# Forget the types ARGV[2k-1] whose version is still ARGV[2k]: linked since last asked for.
_FORGET = """
for i = 1, #ARGV, 2 do
  if redis.call('hget', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('hdel', KEYS[1], ARGV[i])
  end
end
return 0
"""


class LinkRequests:
    def __init__(self, client: redis.Redis, namespace: str, records: Records) -> None:
        self.r = client
        self.ns = namespace
        self.records = records
        self._ask = client.register_script(_ASK)
        self._forget = client.register_script(_FORGET)

    def _key(self, tree: str, provider: str, scope: Mapping[str, Any]) -> str:
        return f"{self.ns}:links:{tree}:{provider}:{json.dumps(scope, sort_keys=True)}"

    def ask(
        self,
        tree: str,
        provider: str,
        scope: Mapping[str, Any],
        types: list[str],
        asker: str,
        task_id: str,
    ) -> bool:
        """Note that ``types`` need linking in ``scope``; True if no link task is queued
        for them yet, so the caller (task ``asker``) must enqueue one as ``task_id``."""
        key = self._key(tree, provider, scope)
        args = [TTL_S, asker, task_id, self.records.prefix, *types]
        return bool(self._ask(keys=[key, f"{key}:queued"], args=args))

    def take(self, tree: str, provider: str, scope: Mapping[str, Any]) -> dict[str, str]:
        """What has been asked for, type -> version, at a link task's start; asks from
        now on enqueue another task."""
        key = self._key(tree, provider, scope)
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(f"{key}:queued")
        pipe.hgetall(key)
        return pipe.execute()[-1]

    def linked(
        self, tree: str, provider: str, scope: Mapping[str, Any], taken: Mapping[str, str]
    ) -> None:
        """Forget the types taken, unless asked for again since."""
        if taken:
            args = [part for item in taken.items() for part in item]
            self._forget(keys=[self._key(tree, provider, scope)], args=args)

    def unqueue(self, tree: str, provider: str, scope: Mapping[str, Any]) -> None:
        """The link task that ``ask`` said to enqueue could not be: let the next ask."""
        self.r.delete(f"{self._key(tree, provider, scope)}:queued")
