"""What collect_scale measures while the tools run: each process tree's CPU seconds, the
nodes a graph holds of each label, and the machine's load (the bench shares it).
"""

from __future__ import annotations

import os
import resource
import time
from collections import Counter
from typing import Any

from bench.collect_aws import cpu_seconds


def graph_counts(driver: Any, labels: dict[str, list[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for name, names in labels.items():
        for label in names:
            out[name] += driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS c").records[0][
                "c"
            ]
    return out


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process tree, by this process (the proxy
    and the polling) and by the children it has waited for (Cartography)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        **{name: cpu_seconds(pid) for name, pid in pids.items()},
        "bench (proxy, polling)": time.process_time(),
        "waited children": children.ru_utime + children.ru_stime,
    }


def cpu_used(before: dict[str, float], pids: dict[str, int]) -> dict[str, float]:
    after = cpu_now(pids)
    return {name: after[name] - before[name] for name in before if after[name] > before[name]}


def load() -> str:
    """The time and the load average, for each run's line: the bench shares the machine."""
    return f"at {time.strftime('%H:%M:%S')} load average " + " ".join(
        f"{x:.1f}" for x in os.getloadavg()
    )
