"""The scheduler: APScheduler fires the configured schedules; Redis decides who enqueues.

Several schedulers may run.  The one holding a lease in Redis is the leader and enqueues;
the others try for the lease every quarter of its length and take it over when it runs
out.  Each firing (schedule and nominal fire time) has a claim key in Redis that only one
process can set, so a firing is enqueued at most once however leadership moves; the key
then holds the task id.  A leader enqueues every unclaimed firing of the last two lease
periods, first when it takes over: so the firings its dead predecessor missed happen
too, late by about a lease period, and each firing happens exactly once: its task id
is derived from the schedule and the fire time, so a firing claimed by a leader that died
before enqueueing it, or enqueued by one whose enqueue timed out, is recognised (see
``Scheduler.claim``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import prometheus_client
import redis.exceptions
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import Counter, Gauge

from app import metrics
from app.config import ScheduleConfig
from model.times import rfc3339
from worker.leases import Lease
from worker.runtime import Runtime

log = logging.getLogger(__name__)

# Interval schedules count from a fixed origin so that every process agrees on fire times.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Fire times are whole seconds; this steps past one to the next.
TICK = timedelta(milliseconds=1)
CLAIM_TTL_S = 7 * 86400

# Registered only where a scheduler runs (serve_metrics): the API imports this module too,
# and must not report a leadership it does not have.
LEADER = Gauge(
    "inventory_scheduler_leader", "1 while this scheduler holds the lease", registry=None
)
FIRINGS = Counter(
    "inventory_scheduler_firings_total",
    "Firings this scheduler enqueued",
    ["schedule"],
    registry=None,
)


def trigger(schedule: ScheduleConfig) -> BaseTrigger:
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=UTC)
    return IntervalTrigger(seconds=schedule.interval_s, start_date=EPOCH, timezone=UTC)


def next_run(schedule: ScheduleConfig, now: datetime | None = None) -> datetime | None:
    return trigger(schedule).get_next_fire_time(None, now or datetime.now(UTC))


def fire_times(schedule: ScheduleConfig, after: datetime, until: datetime) -> list[datetime]:
    """The nominal fire times in (``after``, ``until``]."""
    trig = trigger(schedule)
    out: list[datetime] = []
    at = trig.get_next_fire_time(None, after + TICK)
    while at is not None and at <= until:
        out.append(at)
        at = trig.get_next_fire_time(None, at + TICK)
    return out


def lease_key(namespace: str) -> str:
    return f"{namespace}:scheduler:leader"


class Scheduler:
    def __init__(self, rt: Runtime, identity: str | None = None) -> None:
        self.rt = rt
        self.redis = rt.redis
        self.schedules = rt.settings.schedules
        self.identity = identity or f"{socket.gethostname()}:{os.getpid()}"
        lease_s = rt.settings.scheduler.lease_s
        self.lease_ms = int(lease_s * 1000)
        self.window = timedelta(seconds=2 * lease_s)
        ns = rt.settings.redis.namespace
        self.lease_key = lease_key(ns)
        self.firing_prefix = f"{ns}:scheduler:fired"
        self.lease = Lease(self.redis, self.lease_key, self.identity, self.lease_ms)
        self.leading = False
        self.stopping = threading.Event()
        self.keeper: threading.Thread | None = None
        self.last_round = time.monotonic()
        # A round may wait out Redis' retries twice (the lease, then a firing).
        self.stale_after = 4 * lease_s + 2 * rt.settings.redis.retry_s

    # -- leadership -----------------------------------------------------------------------

    def hold_lease(self) -> bool:
        """Take or renew the lease; True while this process is the leader."""
        try:
            mine = self.lease.take() is None
            if mine and not self.leading:
                log.info("%s is now the leader", self.identity, extra={"scheduler": self.identity})
                self.leading = True
                for schedule in self.schedules:
                    self.fire(schedule)
        except Exception as exc:  # Redis away: not the leader until it is back
            log.warning("scheduler lease check failed: %s", exc)
            mine = False
        self.leading = mine
        LEADER.set(1 if mine else 0)
        return mine

    def keep_lease(self) -> None:
        """Renew the lease every quarter of it; as the leader, also enqueue any firing of
        the window still missing (one whose enqueue failed, or a dead leader's)."""
        while not self.stopping.wait(self.lease_ms / 4000):
            if self.hold_lease():
                for schedule in self.schedules:
                    try:
                        self.fire(schedule)
                    except Exception as exc:  # Redis away: the next round tries again
                        log.warning("schedule %s: firing failed: %s", schedule.name, exc)
            self.last_round = time.monotonic()

    def health(self) -> tuple[bool, str]:
        """Whether this scheduler is well: its lease rounds go on (a round that waits for
        Redis is slow, not wrong: a restart would not bring Redis back)."""
        if self.keeper is not None and not self.keeper.is_alive():
            return False, "the lease keeper has stopped"
        idle = time.monotonic() - self.last_round
        if idle > self.stale_after:
            return False, f"no lease round for {idle:.0f}s"
        return True, f"ok: {'leading' if self.leading else 'following'} as {self.identity}"

    def is_leader(self) -> bool:
        return self.redis.get(self.lease_key) == self.identity

    def resign(self) -> None:
        with contextlib.suppress(redis.exceptions.RedisError):  # else the lease runs out
            self.lease.release()
        LEADER.set(0)

    # -- firing ---------------------------------------------------------------------------

    def fire(self, schedule: ScheduleConfig) -> list[str]:
        """As the leader, enqueue the firings of the last two lease periods not yet claimed;
        the ids of the tasks enqueued."""
        if not self.is_leader():
            return []
        now = datetime.now(UTC)
        claimed = (self.claim(schedule, at) for at in fire_times(schedule, now - self.window, now))
        return [task_id for task_id in claimed if task_id]

    def claim(self, schedule: ScheduleConfig, at: datetime) -> str | None:
        """Enqueue the firing of ``schedule`` at ``at`` unless it already was; its task id.

        The firing's task id is made from the schedule and the fire time, and the claim key
        holds it from the start, so the firing is recognisable however often it is tried:
        a leader that died between its claim and its enqueue leaves a claim whose message
        never reached the broker, which the next leader enqueues; an enqueue that failed
        after its message reached Redis is not repeated.
        """
        key = f"{self.firing_prefix}:{schedule.name}:{at.isoformat()}"
        task_id = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
        if not self.redis.set(key, task_id, nx=True, ex=CLAIM_TTL_S):
            # Claimed earlier (by a leader that may have died before enqueueing): give the
            # claimer a lease period to finish, then see whether its message got through.
            age_ms = CLAIM_TTL_S * 1000 - max(self.redis.pttl(key), 0)
            if age_ms < self.lease_ms or self.rt.queues.reached(task_id):
                return None
            log.warning(
                "schedule %s: the firing of %s was claimed but never enqueued; enqueueing it",
                schedule.name,
                rfc3339(at),
                extra={"schedule": schedule.name, "task_id": task_id},
            )
        self._enqueue(schedule, task_id)
        FIRINGS.labels(schedule.name).inc()
        log.info(
            "schedule %s fired for %s as task %s",
            schedule.name,
            rfc3339(at),
            task_id,
            extra={
                "schedule": schedule.name,
                "fire_time": rfc3339(at),
                "task_id": task_id,
                "scheduler": self.identity,
            },
        )
        return task_id

    def _enqueue(self, schedule: ScheduleConfig, task_id: str) -> None:
        """Enqueue the firing, retrying an enqueue that failed unless its message reached
        the broker after all (a reply lost to a timeout)."""
        for attempt in range(3):
            try:
                self.rt.enqueue(schedule.task, schedule.payload, schedule.priority, task_id)
                return
            except Exception as exc:
                if self.rt.queues.reached(task_id):
                    return
                log.warning("schedule %s: enqueue failed (%s); trying again", schedule.name, exc)
                if attempt == 2:
                    raise  # the claim stays: the next round enqueues it
                time.sleep(0.5 * (attempt + 1))

    def run(self) -> None:
        """Run until SIGTERM or SIGINT."""
        scheduler = BlockingScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": 60, "coalesce": True, "max_instances": 1},
        )
        for s in self.schedules:
            scheduler.add_job(self.fire, trigger(s), args=[s], id=s.name)
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        log.info("scheduler %s running %d schedule(s)", self.identity, len(self.schedules))
        self.hold_lease()
        self.keeper = threading.Thread(target=self.keep_lease, name="lease", daemon=True)
        self.keeper.start()
        try:
            scheduler.start()
        finally:
            self.stopping.set()
            self.resign()


def serve_metrics(host: str, port: int, health: metrics.Health) -> None:
    """Serve the scheduler's metrics and the process's own, and its liveness."""
    for metric in (LEADER, FIRINGS):
        prometheus_client.REGISTRY.register(metric)
    metrics.serve(host, port, health=health)


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
                "next_run": rfc3339(nxt),
            }
        )
    return out
