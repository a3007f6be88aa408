"""One row of the benchmark table: a measured figure, its target and whether it was met."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str
    met: bool | None  # None: a figure reported for context, with no target of its own

    def row(self) -> str:
        mark = {True: "pass", False: "MISS", None: ""}[self.met]
        return f"{self.name:<50}{self.value:>12.2f} {self.unit:<7}{self.target:<26}{mark}"


HEADER = f"{'figure':<50}{'value':>12} {'unit':<7}{'target':<26}result"
# A smoke run (python -m benchmarks.run --smoke, from the test suite) takes a few samples of
# every figure: its numbers mean nothing, but a change that breaks a benchmark breaks it.
SMOKE = {"on": False}
SMOKE_SAMPLES = 3


def samples(count: int) -> int:
    """How many samples (calls, requests, seconds) to take: ``count``, or a few in a smoke run."""
    return min(count, SMOKE_SAMPLES) if SMOKE["on"] else count


def timings(call: Callable[[], object], repeat: int, warmup: int = 20) -> list[float]:
    """Seconds per call, each call timed on its own after a warm-up."""
    for _ in range(samples(warmup)):
        call()
    taken = []
    for _ in range(samples(repeat)):
        start = time.perf_counter()
        call()
        taken.append(time.perf_counter() - start)
    return taken


def interleaved(calls: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds per call of each of ``calls``, taken in turn, so that a ratio between them is not
    skewed by whatever else the machine did during one of them."""
    for call in calls.values():
        timings(call, repeat=0)
    taken: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(samples(repeat)):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            taken[name].append(time.perf_counter() - start)
    return taken


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]
