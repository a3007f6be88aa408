"""HTTP figures under gunicorn (2 workers, loopback, wrk): each route against the /health floor,
and one worker's memory after start-up and after 5,000 mixed requests."""

from __future__ import annotations

import tempfile
import time
import urllib.request

from benchmarks.figures import Figure, samples
from benchmarks.load import SERVER_ENV, Outcome, lua_for, run_wrk, scenarios, session_and_forms
from tools.servers import RunningServer, gunicorn_server

CONNECTIONS = 16
SECONDS = 10
MEMORY_REQUESTS = 5_000
WARM_UP_REQUESTS = 300
ENV = SERVER_ENV
SHARE_OF_FLOOR = {"GET questionnaire": 0.5, "POST answers": 0.33, "POST PDF": 0.25}


def throughput_figures() -> list[Figure]:
    with (
        tempfile.TemporaryDirectory() as instance,
        gunicorn_server(ENV | {"SCREENING_INSTANCE_PATH": instance}, workers=2) as server,
    ):
        cookie, answers, pdf = session_and_forms(server.url)
        outcomes = {
            name: run_wrk(
                name, server.url, lua_for(requests, cookie), CONNECTIONS, samples(SECONDS)
            )
            for name, requests in scenarios(answers, pdf).items()
            if name != "mixed"
        }
    floor = outcomes.pop("floor: GET /health")
    rows = [Figure("HTTP floor GET /health", floor.requests_per_second, "req/s", "", None)]
    for name, outcome in outcomes.items():
        share = outcome.requests_per_second / floor.requests_per_second
        wanted = SHARE_OF_FLOOR[name]
        rows += [
            Figure(f"HTTP {name}", outcome.requests_per_second, "req/s", "", None),
            Figure(
                f"HTTP {name} / floor",
                share * 100,
                "%",
                f">= {wanted:.0%} of floor",
                share >= wanted,
            ),
            Figure(f"HTTP {name} p50", outcome.p50_ms, "ms", "", None),
            Figure(
                f"HTTP {name} p99 at {CONNECTIONS} conns",
                outcome.p99_ms,
                "ms",
                "< 100 ms",
                outcome.p99_ms < 100,
            ),
        ]
    errors = sum(outcome.errors for outcome in [floor, *outcomes.values()])
    rows.append(Figure("HTTP errors (socket + non-2xx)", errors, "", "0", errors == 0))
    return rows


def resident_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def mixed_requests(server: RunningServer, count: int) -> None:
    cookie, answers, pdf = session_and_forms(server.url)
    requests = [
        urllib.request.Request(f"{server.url}/", headers={"Cookie": cookie}),
        urllib.request.Request(f"{server.url}/", data=answers.encode(), headers={"Cookie": cookie}),
        urllib.request.Request(
            f"{server.url}/result.pdf", data=pdf.encode(), headers={"Cookie": cookie}
        ),
    ]
    for n in range(count):
        with urllib.request.urlopen(requests[n % len(requests)], timeout=10) as response:
            assert response.status == 200
            response.read()


def memory_figures() -> list[Figure]:
    """RSS after start-up, after a warm-up (first uses load modules, fonts and caches), and
    after 5,000 more requests: growth past the warm-up is what a leak would show."""
    with (
        tempfile.TemporaryDirectory() as instance,
        gunicorn_server(ENV | {"SCREENING_INSTANCE_PATH": instance}, workers=1) as server,
    ):
        (worker,) = server.worker_pids()
        after_start = resident_kb(worker)
        mixed_requests(server, samples(WARM_UP_REQUESTS))
        after_warm_up = resident_kb(worker)
        mixed_requests(server, samples(MEMORY_REQUESTS))
        after_load = resident_kb(worker)
    growth = (after_load - after_warm_up) / 1024
    return [
        Figure(
            "worker RSS after start-up",
            after_start / 1024,
            "MB",
            "<= 80 MB",
            after_start <= 80 * 1024,
        ),
        Figure(
            f"worker RSS after {WARM_UP_REQUESTS} warm-up requests",
            after_warm_up / 1024,
            "MB",
            "",
            None,
        ),
        Figure(
            f"worker RSS after {MEMORY_REQUESTS} more mixed requests",
            after_load / 1024,
            "MB",
            "<= 80 MB",
            after_load <= 80 * 1024,
        ),
        Figure("worker RSS growth after warm-up", growth, "MB", "< 5 MB", growth < 5),
    ]


def timed_urlopen(request: urllib.request.Request) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        response.read()
    return time.perf_counter() - started


def first_pdf_figures() -> list[Figure]:
    """A fresh worker's first PDF against its second (it measured its size budgets on the
    first, 30-100x the second, before they were computed in the master before the fork)."""
    with (
        tempfile.TemporaryDirectory() as instance,
        gunicorn_server(ENV | {"SCREENING_INSTANCE_PATH": instance}, workers=1) as server,
    ):
        cookie, _answers, pdf = session_and_forms(server.url)
        request = urllib.request.Request(
            f"{server.url}/result.pdf", data=pdf.encode(), headers={"Cookie": cookie}
        )
        first, second = timed_urlopen(request), timed_urlopen(request)
    ratio = first / second
    return [
        Figure("fresh worker: first PDF", first * 1e3, "ms", "", None),
        Figure("fresh worker: second PDF", second * 1e3, "ms", "", None),
        Figure("fresh worker: first PDF / second", ratio, "x", "<= 2x", ratio <= 2),
    ]


def figures() -> list[Figure]:
    return throughput_figures() + first_pdf_figures() + memory_figures()


__all__ = ["Outcome", "figures"]
