"""The dev stack's supervisor: what exits is started again, with backoff, and what stops
working while it runs (its liveness check fails three times in a row, as Kubernetes'
probe of the chart would see it) is stopped and started again.

It watches the services a ``Stack`` started; each one's state (``running``, ``starting``,
``restarting``, ``down``) and restarts go to ``on_change``, which ``inventory dev up``
writes where ``dev status`` reads it.  Simulators are never restarted (their estate lives
in their memory): they are left ``down``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dev.stack import Stack, StackError, stop_pid

# Waits between restarts of one service: doubled each time, reset after a healthy minute.
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
HEALTHY_S = 60.0
# Liveness: checked this often, and failing this many times in a row means restart.
PROBE_EVERY_S = 5.0
PROBE_FAILURES = 3
# How long a service stopped for failing its liveness may take to finish its work.
DRAIN_S = 60.0


@dataclass
class Watched:
    name: str
    state: str = "running"
    pid: int | None = None
    restarts: int = 0
    reason: str = ""  # why it was last restarted, or why it is down
    backoff: float = FIRST_BACKOFF_S
    started: float = field(default_factory=time.monotonic)
    due: float = 0.0  # when to start it again (restarting), or to give up waiting (starting)
    probed: float = field(default_factory=time.monotonic)
    failed_probes: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "state": self.state,
            "restarts": self.restarts,
            "reason": self.reason,
        }


class Supervisor:
    def __init__(
        self,
        stack: Stack,
        say: Callable[[str], Any],
        on_change: Callable[[dict[str, dict[str, Any]]], None] = lambda _: None,
        names: list[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Watch the stack's running services named ``names`` (all of them by default)."""
        self.stack = stack
        self.say = say
        self.on_change = on_change
        self.clock = clock
        self.watched = {
            name: Watched(name, pid=proc.pid, started=clock(), probed=clock())
            for name, proc in stack.procs.items()
            if names is None or name in names
        }

    def run(self, stopping: Callable[[], bool], every_s: float = 0.5) -> None:
        """Watch until ``stopping()``."""
        while not stopping():
            self.step()
            time.sleep(every_s)

    def states(self) -> dict[str, dict[str, Any]]:
        return {name: w.public() for name, w in self.watched.items()}

    def step(self) -> None:
        """One round: notice exits and failed probes, start what is due."""
        changed = False
        for w in self.watched.values():
            changed |= self._step(w)
        if changed:
            self.on_change(self.states())

    def _step(self, w: Watched) -> bool:
        now = self.clock()
        service = self.stack.services[w.name]
        proc = self.stack.procs.get(w.name)
        if w.state in ("running", "starting") and proc is not None and proc.poll() is not None:
            self._lost(w, f"exited with code {proc.returncode}")
            return True
        if w.state == "starting":
            if _check(service.ready):
                w.state, w.started, w.probed, w.failed_probes = "running", now, now, 0
                self.say(f"{w.name} is back (pid {w.pid})")
                return True
            if now >= w.due:
                self._stop(w)
                self._lost(w, f"was not ready after {service.timeout:.0f}s")
                return True
            return False
        if w.state == "restarting" and now >= w.due:
            try:
                w.pid = self.stack.launch(service).pid
            except StackError as exc:  # its port is still held: try again later
                self._lost(w, str(exc))
                return True
            w.state, w.due = "starting", now + service.timeout
            return True
        if w.state == "running" and service.live is not None and now - w.probed >= PROBE_EVERY_S:
            w.probed = now
            w.failed_probes = 0 if _check(service.live) else w.failed_probes + 1
            if w.failed_probes >= PROBE_FAILURES:
                self.say(f"{w.name} failed its liveness check {PROBE_FAILURES} times; stopping it")
                self._stop(w)
                self._lost(w, "failed its liveness check")
                return True
        return False

    def _lost(self, w: Watched, why: str) -> None:
        """``w`` ended: start it again after its backoff, or leave it down."""
        now = self.clock()
        self.stack.procs.pop(w.name, None)
        if not self.stack.services[w.name].restart:
            w.state, w.reason = "down", why
            self.say(f"{w.name} {why}; it is not restarted (see {self.stack.home}/{w.name}.log)")
            return
        if now - w.started >= HEALTHY_S:
            w.backoff = FIRST_BACKOFF_S
        w.state, w.reason, w.due = "restarting", why, now + w.backoff
        w.restarts += 1
        self.say(
            f"{w.name} {why}; restarting it in {w.backoff:.0f}s (restart {w.restarts}; "
            f"see {self.stack.home}/{w.name}.log)"
        )
        w.backoff = min(w.backoff * 2, MAX_BACKOFF_S)
        w.failed_probes = 0

    def _stop(self, w: Watched) -> None:
        proc = self.stack.procs.get(w.name)
        if proc is not None:
            stop_pid(proc.pid, DRAIN_S)
            proc.wait()


def _check(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:
        return False
