"""The programs the local stack runs that pip does not install: Neo4j's jars and vcsim,
fetched and built on first use (then cached), and what Debian installs (``make install``:
redis-server, prometheus)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from app.errors import ActionableError

ROOT = Path(__file__).resolve().parent.parent
NEO4J_DEPLOY = ROOT / "deploy" / "neo4j"


class MissingProgram(ActionableError):
    """A program the stack needs is not installed and could not be."""


def neo4j_lib() -> Path:
    """The Neo4j jars, fetched from Maven Central on first use (cached in ~/.m2)."""
    lib = Path(
        os.environ.get("INVENTORY_NEO4J_LIB", Path.home() / ".cache" / "inventory" / "neo4j-lib")
    )
    result = subprocess.run(
        ["bash", str(NEO4J_DEPLOY / "install.sh"), str(lib)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise MissingProgram(f"could not install Neo4j: {(result.stderr or result.stdout).strip()}")
    return lib


def vcsim_bin() -> str:
    """The vcsim binary, built from the Go module proxy on first use (cached)."""
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install-vcsim.sh")], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise MissingProgram(f"could not build vcsim: {(result.stderr or result.stdout).strip()}")
    default = Path.home() / ".cache" / "inventory" / "bin"
    return str(Path(os.environ.get("INVENTORY_VCSIM_BIN", default)) / "vcsim")


def which(program: str) -> str:
    """The path of an installed ``program``, looked for on PATH and in Debian's folders."""
    for folder in (*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin", "/usr/bin"):
        path = Path(folder) / program
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise MissingProgram(
        f"{program} is not installed; run `make install` (Debian: apt-get install {program})"
    )
