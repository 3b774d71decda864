"""One collection per kind and scope at a time.

A collection holds a lease, a key in Redis naming its task, for as long as it runs: a
thread renews it every third of its length, and it runs out when its worker dies, so a
dead worker blocks the scope for one lease length at most.  A second collection of the
same kind and scope that finds the lease held is skipped in favour of the running one,
so no cleanup can delete what another collection listed after its time stamp.

``Lease`` is one such key, and also the scheduler's leadership (worker.scheduler).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis

log = logging.getLogger(__name__)

# Take the lease for ARGV[1] for ARGV[2] ms if it is free or already ARGV[1]'s; '' when
# taken, else the holder.
_TAKE = """
local holder = redis.call('get', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ''
end
return holder
"""
# Renew the lease for ARGV[2] ms, or release it when ARGV[2] is 0: only if it is ours.
_RENEW = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '0' then
  return redis.call('del', KEYS[1])
end
return redis.call('pexpire', KEYS[1], ARGV[2])
"""


class Lease:
    """One lease: a key in Redis holding its owner's name for ``ms`` milliseconds, taken,
    renewed and released only by that owner (the scheduler's leadership, a collection's
    scope).  Redis errors are the caller's to handle."""

    def __init__(self, client: redis.Redis, key: str, owner: str, ms: int) -> None:
        self.key, self.owner, self.ms = key, owner, ms
        self._take = client.register_script(_TAKE)
        self._renew = client.register_script(_RENEW)

    def take(self) -> str | None:
        """Take the lease if it is free, or renew it if it is ours: None once it is ours,
        else the name of the owner holding it."""
        holder = self._take(keys=[self.key], args=[self.owner, self.ms])
        return _text(holder) if holder else None

    def renew(self) -> bool:
        """Renew the lease for another ``ms``; False if it is not ours (it ran out)."""
        return bool(self._renew(keys=[self.key], args=[self.owner, self.ms]))

    def release(self) -> bool:
        """Give the lease up if it is ours; whether it was."""
        return bool(self._renew(keys=[self.key], args=[self.owner, 0]))


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode()


class Held(Exception):
    """The lease is held by another task, named in ``holder``."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"a collection of this kind and scope is running as task {holder}")
        self.holder = holder


class Leases:
    """The collections' leases, ``<namespace>:lease:<name>``, each ``lease_s`` long."""

    def __init__(self, client: redis.Redis, namespace: str, lease_s: float) -> None:
        self.r = client
        self.ns = namespace
        self.ms = int(lease_s * 1000)

    def holders(self) -> dict[str, str]:
        """The leases held now: name -> owner."""
        prefix = f"{self.ns}:lease:"
        keys = [_text(k) for k in self.r.scan_iter(match=f"{prefix}*", count=1000)]
        owners = self.r.mget(keys) if keys else []
        return {k.removeprefix(prefix): _text(o) for k, o in zip(keys, owners, strict=True) if o}

    @contextmanager
    def hold(self, name: str, owner: str) -> Iterator[None]:
        """Hold the lease ``name`` for ``owner`` (a task id) while the block runs; Held if
        another owner has it.  The same owner may take it again (a retried message)."""
        lease = Lease(self.r, f"{self.ns}:lease:{name}", owner, self.ms)
        holder = lease.take()
        if holder is not None:
            raise Held(holder)
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.ms / 3000):
                try:
                    if not lease.renew():
                        log.warning("lease %s was lost while its collection ran", name)
                        return
                except redis.RedisError as exc:  # Redis away: try again next time
                    log.warning("could not renew lease %s: %s", name, exc)

        keeper = threading.Thread(target=renew, daemon=True, name=f"lease {name}")
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            try:
                lease.release()
            except redis.RedisError as exc:  # it runs out by itself
                log.warning("could not release lease %s: %s", name, exc)
