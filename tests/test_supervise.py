"""The dev stack's supervisor on real processes: what exits is started again after a
backoff that doubles, what fails its liveness check three times is stopped and started
again, and a simulator that exits is left down; each change is reported."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dev import supervise
from dev.stack import Ports, Service, Stack, wait_until
from dev.supervise import Supervisor


class Clock:
    """The supervisor's time, moved by the test (the processes' own time is real)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stack() -> Iterator[Stack]:
    s = Stack.scratch("inventory-supervise-", Ports())
    yield s
    s.discard()


def sleeper(name: str, ready: Callable[[], bool] = lambda: True, **kw: Any) -> Service:
    return Service(name, ["sleep", "600"], ready, **kw)


def test_an_exited_process_is_restarted_after_a_backoff_that_doubles(stack: Stack) -> None:
    clock, said, changes = Clock(), [], []
    stack.start(sleeper("pool"))
    sup = Supervisor(stack, said.append, changes.append, clock=clock)
    first = stack.procs["pool"].pid

    os.kill(first, signal.SIGKILL)
    wait_until(lambda: stack.procs["pool"].poll() is not None, 10, "the kill")
    sup.step()
    assert sup.states()["pool"] == {
        "pid": first,
        "state": "restarting",
        "restarts": 1,
        "reason": "exited with code -9",
    }
    assert changes[-1]["pool"]["state"] == "restarting"
    assert "restarting it in 1s" in said[-1]
    sup.step()  # the backoff has not passed: nothing yet
    assert "pool" not in stack.procs
    clock.now += 1
    sup.step()  # launched
    sup.step()  # ready
    second = sup.states()["pool"]["pid"]
    assert sup.states()["pool"]["state"] == "running" and second != first
    assert stack.procs["pool"].poll() is None and said[-1] == f"pool is back (pid {second})"

    # Dying again soon after: twice the wait.
    os.kill(second, signal.SIGKILL)
    wait_until(lambda: stack.procs["pool"].poll() is not None, 10, "the kill")
    sup.step()
    assert "restarting it in 2s (restart 2" in said[-1]
    clock.now += 1
    sup.step()
    assert "pool" not in stack.procs  # still waiting
    clock.now += 1
    sup.step()
    sup.step()
    assert sup.states()["pool"]["state"] == "running"

    # After a healthy minute the wait starts over.
    clock.now += supervise.HEALTHY_S
    os.kill(sup.states()["pool"]["pid"], signal.SIGKILL)
    wait_until(lambda: stack.procs["pool"].poll() is not None, 10, "the kill")
    sup.step()
    assert "restarting it in 1s (restart 3" in said[-1]


def test_a_process_failing_its_liveness_three_times_is_stopped_and_started_again(
    stack: Stack,
) -> None:
    clock, said = Clock(), []
    live = {"ok": True}
    stack.start(sleeper("scheduler", live=lambda: live["ok"]))
    sup = Supervisor(stack, said.append, clock=clock)
    first = stack.procs["scheduler"].pid

    live["ok"] = False
    for _ in range(supervise.PROBE_FAILURES - 1):
        clock.now += supervise.PROBE_EVERY_S
        sup.step()
    assert sup.states()["scheduler"]["state"] == "running"  # two failures are not enough
    live["ok"] = True
    clock.now += supervise.PROBE_EVERY_S
    sup.step()  # a success starts the count over
    live["ok"] = False
    for _ in range(supervise.PROBE_FAILURES):
        clock.now += supervise.PROBE_EVERY_S
        sup.step()
    state = sup.states()["scheduler"]
    assert state["state"] == "restarting" and state["reason"] == "failed its liveness check"
    wait_until(lambda: not os.path.exists(f"/proc/{first}"), 10, "the old process to go")
    live["ok"] = True
    clock.now += 1
    sup.step()
    sup.step()
    assert sup.states()["scheduler"]["state"] == "running"
    assert sup.states()["scheduler"]["pid"] != first


def test_a_simulator_that_exits_is_left_down_and_others_are_not_watched(stack: Stack) -> None:
    clock, said = Clock(), []
    stack.start(sleeper("moto", restart=False))
    stack.start(sleeper("neo4j"))
    sup = Supervisor(stack, said.append, names=["moto"], clock=clock)
    assert list(sup.states()) == ["moto"]
    os.kill(stack.procs["moto"].pid, signal.SIGKILL)
    wait_until(lambda: stack.procs["moto"].poll() is not None, 10, "the kill")
    sup.step()
    clock.now += 100
    sup.step()
    assert sup.states()["moto"]["state"] == "down" and "moto" not in stack.procs
    assert "it is not restarted" in said[-1]


def test_a_restart_that_never_gets_ready_is_stopped_and_tried_again(stack: Stack) -> None:
    clock, said = Clock(), []
    ready = {"ok": True}
    stack.start(sleeper("api", timeout=30, ready=lambda: ready["ok"]))
    sup = Supervisor(stack, said.append, clock=clock)
    os.kill(stack.procs["api"].pid, signal.SIGKILL)
    wait_until(lambda: stack.procs["api"].poll() is not None, 10, "the kill")
    sup.step()
    ready["ok"] = False
    clock.now += 1
    sup.step()
    assert sup.states()["api"]["state"] == "starting"
    stuck = sup.states()["api"]["pid"]
    clock.now += 30
    sup.step()
    assert sup.states()["api"] | {"pid": None} == {
        "pid": None,
        "state": "restarting",
        "restarts": 2,
        "reason": "was not ready after 30s",
    }
    assert not os.path.exists(f"/proc/{stuck}")  # stopped and reaped
