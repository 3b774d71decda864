"""The scheduler: APScheduler fires the configured schedules; Redis decides who enqueues.

Several schedulers may run.  Each firing has a key in Redis (schedule name and nominal
fire time) that only one process can claim, so a firing is enqueued exactly once.  The
leader (holder of a lease in Redis) claims at once; the others wait one lease period and
claim only what is still unclaimed, so when the leader dies its firings still happen,
late by at most the lease, and never twice.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import Gauge

from app.config import ScheduleConfig
from app.runtime import Runtime
from app.tasks import REGISTRY, BadPayload, UnknownTask, enqueue, validate

log = logging.getLogger(__name__)

# Interval schedules count from a fixed origin so that every process agrees on fire times.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

LEADER = Gauge("inventory_scheduler_leader", "1 while this scheduler holds the lease")

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def trigger(schedule: ScheduleConfig) -> BaseTrigger:
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=UTC)
    return IntervalTrigger(seconds=schedule.interval_s, start_date=EPOCH, timezone=UTC)


def next_run(schedule: ScheduleConfig, now: datetime | None = None) -> datetime | None:
    now = now or datetime.now(UTC)
    return trigger(schedule).get_next_fire_time(None, now)


def nominal_time(schedule: ScheduleConfig, now: datetime, grace: float) -> datetime | None:
    """The fire time a firing at ``now`` stands for (firings arrive a little late)."""
    return trigger(schedule).get_next_fire_time(None, now - timedelta(seconds=grace))


class Scheduler:
    def __init__(self, rt: Runtime, identity: str | None = None) -> None:
        self.rt = rt
        self.redis = rt.redis
        self.identity = identity or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_ms = int(rt.settings.scheduler.lease_s * 1000)
        ns = rt.settings.redis.namespace
        self.lease_key = f"{ns}:scheduler:leader"
        self.firing_prefix = f"{ns}:scheduler:fired"
        self.renew = self.redis.register_script(_RENEW)
        self.stopping = threading.Event()

    # -- leadership -----------------------------------------------------------------------

    def hold_lease(self) -> bool:
        """Take or renew the lease; True while this process is the leader."""
        try:
            mine = bool(self.renew(keys=[self.lease_key], args=[self.identity, self.lease_ms]))
            if not mine:
                mine = bool(
                    self.redis.set(self.lease_key, self.identity, nx=True, px=self.lease_ms)
                )
                if mine:
                    log.info("scheduler %s is now the leader", self.identity)
        except Exception as exc:  # Redis away: not the leader until it is back
            log.warning("scheduler lease check failed: %s", exc)
            mine = False
        LEADER.set(1 if mine else 0)
        return mine

    def keep_lease(self) -> None:
        while not self.stopping.wait(self.lease_ms / 3000):
            self.hold_lease()

    def is_leader(self) -> bool:
        return self.redis.get(self.lease_key) == self.identity

    # -- firing ---------------------------------------------------------------------------

    def fire(self, schedule: ScheduleConfig) -> str | None:
        """Enqueue this firing of ``schedule`` unless another scheduler already did."""
        grace = self.lease_ms / 1000 + 30
        nominal = nominal_time(schedule, datetime.now(UTC), grace)
        if nominal is None:
            return None
        if not self.is_leader() and self.stopping.wait(self.lease_ms / 1000):
            return None  # a follower gives the leader one lease period to claim
        key = f"{self.firing_prefix}:{schedule.name}:{nominal.isoformat()}"
        if not self.redis.set(key, self.identity, nx=True, ex=7 * 86400):
            return None
        task_id = enqueue(self.rt, schedule.task, schedule.payload, schedule.priority)
        self.redis.set(key, task_id, xx=True, keepttl=True)
        log.info("schedule %s fired for %s as task %s", schedule.name, nominal.isoformat(), task_id)
        return task_id

    def run(self) -> None:
        """Run until SIGTERM or SIGINT."""
        scheduler = BlockingScheduler(timezone=UTC, job_defaults={"misfire_grace_time": 60})
        for s in self.rt.settings.schedules:
            scheduler.add_job(
                self.fire, trigger(s), args=[s], id=s.name, coalesce=True, max_instances=1
            )
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        self.hold_lease()
        threading.Thread(target=self.keep_lease, daemon=True).start()
        log.info(
            "scheduler %s running %d schedule(s)", self.identity, len(self.rt.settings.schedules)
        )
        try:
            scheduler.start()
        finally:
            self.stopping.set()
            self.resign()

    def resign(self) -> None:
        try:
            if self.is_leader():
                self.redis.delete(self.lease_key)
        except Exception:  # Redis away: the lease simply runs out
            pass
        LEADER.set(0)


def check(schedules: list[ScheduleConfig]) -> None:
    """Refuse schedules whose task or payload is wrong, before anything runs."""
    for s in schedules:
        if s.task not in REGISTRY:
            raise UnknownTask(f"schedule {s.name}: unknown task {s.task!r}")
        try:
            validate(REGISTRY[s.task], s.payload)
        except BadPayload as exc:
            raise BadPayload(f"schedule {s.name}: {exc}") from None


def describe(schedules: list[ScheduleConfig]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for s in schedules:
        nxt = next_run(s, now)
        out.append(
            {
                "name": s.name,
                "task": s.task,
                "cron": s.cron,
                "interval_s": s.interval_s,
                "payload": s.payload,
                "priority": s.priority,
                "next_run": nxt.isoformat() if nxt else None,
            }
        )
    return out
