"""What ``inventory dev up`` leaves for ``dev status`` and ``dev down`` (``dev.json`` in
the dev home): the stack's ports, secrets and processes, and the URLs it serves."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dev.stack import browser_url


@dataclass
class State:
    """The run state: its supervisor's PID, and each process's PID, state and restarts as
    the supervisor last saw them."""

    home: str
    ports: dict[str, int]
    secrets: dict[str, str]
    pids: dict[str, int]
    config: str
    demo: bool
    supervisor: int | None = None
    processes: dict[str, dict[str, Any]] = field(default_factory=dict)
    prometheus: bool = False

    def save(self, path: Path) -> None:
        # Whole or not at all: `dev status` may read it at any moment.
        part = path.with_suffix(".part")
        part.write_text(json.dumps(asdict(self), indent=2))
        part.chmod(0o600)
        part.replace(path)

    @classmethod
    def load(cls, path: Path) -> State | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def urls(self) -> dict[str, Any]:
        p = self.ports
        api = f"http://127.0.0.1:{p['api']}"
        return {
            "api": f"{api}/api/v1",
            "docs": f"{api}/docs",
            "graphql": f"{api}/graphql",
            "dashboard": f"{api}/dashboard/",
            "metrics": f"{api}/metrics",
            "neo4j_bolt": f"bolt://127.0.0.1:{p['bolt']}",
            "neo4j_browser": browser_url(p["http"], p["bolt"]),
            "redis": f"redis://127.0.0.1:{p['redis']}/0",
            **({"moto": f"http://127.0.0.1:{p['moto']}"} if self.demo else {}),
            **({"vcsim": f"https://127.0.0.1:{p['vcsim']}/sdk"} if self.demo else {}),
            **({"prometheus": f"http://127.0.0.1:{p['prometheus']}"} if self.prometheus else {}),
        }
