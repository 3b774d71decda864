"""Programs the benches run from virtualenvs of their own (Cartography, py-spy), under
~/.cache/inventory/bench: tools of the benches, not dependencies of the service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CACHE = Path.home() / ".cache" / "inventory" / "bench"


def installed(name: str, requirement: str, program: str) -> Path:
    """The virtualenv ``name`` with ``requirement`` installed (made, and installed into, on
    first use: when it has no ``program``)."""
    venv = CACHE / name
    if not (venv / "bin" / program).exists():
        print(f"installing {requirement} into {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement], check=True)
    return venv
