"""How many rows each report had when ``aux:reports`` last ran, kept in Redis for the API
(``GET /api/v1/reports`` and the ``inventory_report_rows`` gauge) to show."""

from __future__ import annotations

import json
import time
from typing import Any

import redis


class ReportRows:
    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.r = client
        self.key = f"{namespace}:reports:rows"

    def save(self, counts: dict[str, int]) -> None:
        at = time.time()
        self.r.hset(
            self.key, mapping={n: json.dumps({"rows": c, "at": at}) for n, c in counts.items()}
        )

    def load(self) -> dict[str, dict[str, Any]]:
        """Report name -> {"rows": count, "at": when counted (epoch seconds)}."""
        return {
            (k.decode() if isinstance(k, bytes) else k): json.loads(v)
            for k, v in self.r.hgetall(self.key).items()
        }
