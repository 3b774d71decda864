"""Where a worker's CPU goes: py-spy sampling running processes (installed on first use
into a virtualenv under ~/.cache/inventory/bench, as a tool of the benches, not of the
service), and the top costs of what it recorded.

``Profiler(pids, folder)`` starts one ``py-spy record`` per process tree (its forked
children included) and ``stop()`` ends them and returns a summary: the functions where
the samples were taken (self) and the project's functions that held them (inclusive).
py-spy samples only threads that run, so the samples are where the CPU went.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

from bench.tools import installed

ROOT = str(Path(__file__).resolve().parent.parent)


class Profiler:
    def __init__(self, pids: dict[str, int], folder: Path, rate: int = 50) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {name: folder / f"{name.replace(' ', '-')}.txt" for name in pids}
        tool = str(installed("py-spy-venv", "py-spy>=0.4,<0.5", "py-spy") / "bin" / "py-spy")
        self.procs = [
            subprocess.Popen(
                [
                    tool, "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
                    "--full-filenames", "--gil", "--rate", str(rate), "--format", "raw",
                    "--output", str(self.files[name]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]  # fmt: skip

    def stop(self, top: int = 15) -> str:
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)  # py-spy writes what it has, then ends
        for proc in self.procs:
            proc.wait(timeout=120)
        stacks: Counter[tuple[str, ...]] = Counter()
        for file in self.files.values():
            if file.exists():
                stacks += read(file)
        return summary(stacks, top)


def read(file: Path) -> Counter[tuple[str, ...]]:
    """py-spy's raw (collapsed) stacks: ``frame;frame;... count``, outermost first."""
    out: Counter[tuple[str, ...]] = Counter()
    for line in file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            out[tuple(stack.split(";"))] += int(count)
    return out


def summary(stacks: Counter[tuple[str, ...]], top: int) -> str:
    """The top costs: py-spy samples threads that run (not those waiting), so every
    sample is CPU spent where its stack says."""
    total = sum(stacks.values()) or 1
    leaves: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for stack, n in stacks.items():
        leaves[_short(stack[-1])] += n
        for frame in {_short(f) for f in stack if ROOT in f and "/.venv/" not in f}:
            ours[frame] += n
    lines = [f"{sum(stacks.values())} samples"]
    lines.append("self (where the samples were):")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(top)]
    lines.append("inclusive, the project's functions:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in ours.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """``function (file:line)`` with the file as a path under the repository or the
    virtualenv's site-packages, without the line."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for mark in ("/site-packages/", ROOT + "/"):
        if mark in path:
            path = path.split(mark, 1)[1]
    return f"{name} ({path})"
