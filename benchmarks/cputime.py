"""CPU time that named groups of processes spend during a load run, read from /proc.

On a machine where the load generator, Caddy and the app share the cores, req/s alone cannot say
what the proxy costs: every cycle anything spends is taken from the others. The CPU time per
request of each group can, and it means the same on any machine: the share of the work that is
the proxy's.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process so far; 0 for one that has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime 14 and stime 15 (proc(5)), 1-based.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """CPU time of this process's children that have ended and been waited for (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuUse:
    """Seconds of CPU per group over one measured span; see ``measure_cpu``."""

    seconds: dict[str, float] = field(default_factory=dict)

    def per_request_ms(self, requests: float) -> dict[str, float]:
        return {group: 1000 * spent / requests for group, spent in self.seconds.items()}


@contextmanager
def measure_cpu(groups: Callable[[], dict[str, list[int]]]) -> Iterator[CpuUse]:
    """CPU spent by each group of processes (``groups()`` names their pids, asked at the start
    and at the end so that a process that appears in between is counted from zero) and by the
    children that end inside the block, under ``"load generator"``."""
    use = CpuUse()
    at_start = {pid: cpu_seconds(pid) for pids in groups().values() for pid in pids}
    children_at_start = children_cpu_seconds()
    yield use
    for group, pids in groups().items():
        # A process that ended in between reads as 0 and is left out rather than subtracted.
        use.seconds[group] = sum(
            max(0.0, cpu_seconds(pid) - at_start.get(pid, 0.0)) for pid in pids
        )
    use.seconds["load generator"] = children_cpu_seconds() - children_at_start
