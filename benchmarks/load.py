"""Bounded load test on loopback: gunicorn with 2 workers driven by wrk; prints a table of figures.

Scenarios: GET the questionnaire, POST complete answers, POST the PDF, and a mix of the three,
each for a fixed time at a fixed number of connections, with a genuine CSRF token and session
cookie. Then, when caddy and redis-server are installed, the questionnaire, answers and PDF
through the whole production stack (Caddy over HTTPS in front of two gunicorn instances of 2
workers, Redis; tools/stack.py), each run back to back with a gunicorn of as many workers without
the stack, for a few rounds: this machine's speed drifts by 20% within minutes, so only runs
side by side are compared. For the stack's runs it also prints the CPU time per request of the
app, Caddy, Redis and wrk, which says what the proxy costs whatever else shares the cores.
Traffic goes to loopback only and every run stops by itself.

    python -m benchmarks.load [--connections 32] [--seconds 20] [--workers 2] [--rounds 3]
                              [--pair-seconds 10] [--no-stack]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cputime import CpuUse, measure_cpu
from tools.servers import RunningServer, gunicorn_server
from tools.stack import (
    PLACEHOLDER_STAFF_PASSWORD_HASH,
    Stack,
    children_of,
    missing_tools,
    running_stack,
    unverified_tls,
)
from tools.testkit import all_first_options, answers_form, hidden_fields

# Through the whole stack (targets: at most 30% below direct on the questionnaire, p99 < 100 ms).
STACK_SCENARIOS = ("GET questionnaire", "POST answers", "POST PDF")
WARM_UP_SECONDS = 3

LUA_REQUEST = """
local requests = {}
local n = 0
init = function(args)
%s
end
request = function()
  n = n + 1
  return requests[(n %% #requests) + 1]
end
"""


@dataclass(frozen=True)
class Outcome:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


# What every benchmark server runs with. wrk and urllib send every request from one address:
# measure the work, not the per-client limit on downloads (it answered 429 to make bench).
SERVER_ENV = {
    "SCREENING_SECRET_KEY": "load-test-secret",
    "SCREENING_HTTPS": "0",
    "SCREENING_EPDS_PERMISSION": "load test",
    "SCREENING_DOCUMENT_RATE_LIMIT": "1000000 per minute",
    "SCREENING_STAFF_PASSWORD_HASH": PLACEHOLDER_STAFF_PASSWORD_HASH,
}


def session_and_forms(base_url: str) -> tuple[str, str, str]:
    """A real session cookie, the questionnaire post body and the PDF post body."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar),
        urllib.request.HTTPSHandler(context=unverified_tls()),  # the stack's local CA
    )
    with opener.open(f"{base_url}/") as page:
        token = hidden_fields(page.read().decode())["csrf_token"]
    answers = answers_form(all_first_options()) | {"csrf_token": token}
    with opener.open(f"{base_url}/", data=urllib.parse.urlencode(answers).encode()) as result:
        pdf_fields = hidden_fields(result.read().decode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, urllib.parse.urlencode(answers), urllib.parse.urlencode(pdf_fields)


def lua_for(requests: list[tuple[str, str, str]], cookie: str) -> str:
    lines = []
    for index, (method, path, body) in enumerate(requests, start=1):
        form_type = ', ["Content-Type"] = "application/x-www-form-urlencoded"' if body else ""
        headers = f'{{["Cookie"] = "{cookie}"{form_type}}}'
        body_literal = f'"{body}"' if body else "nil"
        lines.append(
            f'  requests[{index}] = wrk.format("{method}", "{path}", {headers}, {body_literal})'
        )
    return LUA_REQUEST % "\n".join(lines)


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(name: str, base_url: str, lua: str, connections: int, seconds: int) -> Outcome:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        output = subprocess.run(
            ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds}s",
             "--timeout", "5s", "-s", script.name, base_url],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        ).stdout  # fmt: skip
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"wrk gave no latency distribution for {name}:\n{output}")
    socket_errors = sum(map(int, re.findall(r"(?:connect|read|write|timeout) (\d+)", output)))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Outcome(
        name=name,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        p50_ms=milliseconds(percentiles["50"]),
        p99_ms=milliseconds(percentiles["99"]),
        errors=socket_errors + (int(non_2xx[1]) if non_2xx else 0),
    )


def scenarios(questionnaire_body: str, pdf_body: str) -> dict[str, list[tuple[str, str, str]]]:
    get = ("GET", "/", "")
    post = ("POST", "/", questionnaire_body)
    pdf = ("POST", "/result.pdf", pdf_body)
    return {
        "floor: GET /health": [("GET", "/health", "")],
        "GET questionnaire": [get],
        "POST answers": [post],
        "POST PDF": [pdf],
        "mixed": [get, post, pdf],
    }


def prepared(base_url: str, names: tuple[str, ...] | None, connections: int) -> dict[str, str]:
    """The wrk script of each named scenario (all when ``names`` is None), with a new session,
    each run once, unmeasured, at the measured connections. A worker's first result page and
    PDF in a language take up to 1.7 s more than later ones (each measures its padded length
    then: BENCHMARKS.md, constant sizes); unwarmed, every worker paid that inside the first
    measured run."""
    cookie, questionnaire_body, pdf_body = session_and_forms(base_url)
    scripts = {
        name: lua_for(requests, cookie)
        for name, requests in scenarios(questionnaire_body, pdf_body).items()
        if names is None or name in names
    }
    for name, lua in scripts.items():
        run_wrk(name, base_url, lua, connections, WARM_UP_SECONDS)
    return scripts


def measure(
    base_url: str, names: tuple[str, ...] | None, connections: int, seconds: int
) -> list[Outcome]:
    return [
        run_wrk(name, base_url, lua, connections, seconds)
        for name, lua in prepared(base_url, names, connections).items()
    ]


@dataclass(frozen=True)
class Run:
    """One wrk run and the CPU time each group of server processes spent during it."""

    outcome: Outcome
    cpu: CpuUse
    seconds: int


@dataclass(frozen=True)
class Pair:
    """One scenario run back to back on gunicorn alone and through the stack."""

    direct: Run
    stack: Run

    @property
    def share(self) -> float:
        if not self.direct.outcome.requests_per_second:
            return float("nan")  # nothing finished in time: too short a run for this scenario
        return self.stack.outcome.requests_per_second / self.direct.outcome.requests_per_second


def timed_run(
    name: str, url: str, lua: str, processes: Callable[[], dict[str, list[int]]],
    connections: int, seconds: int,
) -> Run:  # fmt: skip
    with measure_cpu(processes) as cpu:
        outcome = run_wrk(name, url, lua, connections, seconds)
    return Run(outcome, cpu, seconds)


def stack_processes(stack: Stack) -> dict[str, list[int]]:
    apps = [stack.pid(f"app-{i + 1}") for i in range(stack.instances)]
    return {
        "app": apps + [worker for app in apps for worker in children_of(app)],
        "Caddy": [stack.pid("caddy")],
        "Redis": [stack.pid("redis")],
    }


def paired_rounds(
    alone: RunningServer, stack: Stack, rounds: int, connections: int, seconds: int
) -> dict[str, list[Pair]]:
    alone_scripts = prepared(alone.url, STACK_SCENARIOS, connections)
    stack_scripts = prepared(stack.url, STACK_SCENARIOS, connections)
    pairs: dict[str, list[Pair]] = {name: [] for name in STACK_SCENARIOS}
    for _ in range(rounds):
        for name in STACK_SCENARIOS:
            direct = timed_run(
                name, alone.url, alone_scripts[name],
                lambda: {"app": [alone.pid, *alone.worker_pids()]}, connections, seconds,
            )  # fmt: skip
            through = timed_run(
                name, stack.url, stack_scripts[name],
                lambda: stack_processes(stack), connections, seconds,
            )  # fmt: skip
            pairs[name].append(Pair(direct, through))
    return pairs


def cpu_per_request(runs: list[Run]) -> dict[str, float]:
    """Each group's CPU time per request over several runs."""
    requests = sum(run.outcome.requests_per_second * run.seconds for run in runs)
    spent: dict[str, float] = {}
    for run in runs:
        for group, seconds in run.cpu.seconds.items():
            spent[group] = spent.get(group, 0.0) + seconds
    return CpuUse(spent).per_request_ms(max(requests, 1))


def print_pairs(title: str, pairs: dict[str, list[Pair]]) -> None:
    print(title)
    print(
        f"{'scenario':<20}{'direct req/s':>13}{'stack req/s':>12}{'kept':>6}{'direct p99':>11}"
        f"{'stack p50':>10}{'stack p99':>10}{'errors':>7}   stack CPU ms/request"
    )
    for name, runs in pairs.items():
        direct = [p.direct.outcome for p in runs]
        through = [p.stack.outcome for p in runs]
        per_request = cpu_per_request([p.stack for p in runs])
        alone = cpu_per_request([p.direct for p in runs])
        server_work = per_request["Caddy"] + per_request["app"]
        proxy_share = per_request["Caddy"] / server_work if server_work else 0.0
        print(
            f"{name:<20}"
            f"{statistics.median(o.requests_per_second for o in direct):>13.0f}"
            f"{statistics.median(o.requests_per_second for o in through):>12.0f}"
            f"{statistics.median(p.share for p in runs):>6.0%}"
            f"{statistics.median(o.p99_ms for o in direct):>11.1f}"
            f"{statistics.median(o.p50_ms for o in through):>10.1f}"
            f"{statistics.median(o.p99_ms for o in through):>10.1f}"
            f"{sum(o.errors for o in through):>7}   "
            + ", ".join(f"{group} {ms:.2f}" for group, ms in per_request.items())
            + f"; Caddy's share of the server's work {proxy_share:.0%}"
        )
        print(
            f"{'':<20}kept per round: {' '.join(f'{p.share:.0%}' for p in runs)}; "
            f"alone: app {alone['app']:.2f}, load generator {alone['load generator']:.2f} "
            "CPU ms/request"
        )
    print("(medians over the rounds; 'kept' is the median of each round's stack/direct ratio)")


def print_table(title: str, outcomes: list[Outcome]) -> None:
    print(title)
    print(f"{'scenario':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for o in outcomes:
        print(
            f"{o.name:<22}{o.requests_per_second:>10.0f}{o.p50_ms:>10.1f}{o.p99_ms:>10.1f}{o.errors:>8}"
        )


def stack_beside_direct(env: dict[str, str], args: argparse.Namespace) -> list[Outcome]:
    if missing := missing_tools():
        sys.exit(f"{' '.join(missing)} not installed (make load installs them)")
    one_address = {"SCREENING_DOCUMENT_RATE_LIMIT": env["SCREENING_DOCUMENT_RATE_LIMIT"]}
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_stack(Path(workdir), settings=one_address, workers=args.workers) as stack,
        # As many workers as the whole stack has, so that the comparison is the proxy alone.
        gunicorn_server(env, workers=stack.instances * stack.workers) as alone,
    ):
        pairs = paired_rounds(alone, stack, args.rounds, args.connections, args.pair_seconds)
    print_pairs(
        f"whole stack: Caddy HTTPS, {stack.instances} gunicorn instances x "
        f"{stack.workers} workers, Redis; beside gunicorn alone with "
        f"{stack.instances * stack.workers} workers; "
        f"{args.connections} connections, {args.rounds} rounds of {args.pair_seconds} s",
        pairs,
    )
    return [run.outcome for runs in pairs.values() for p in runs for run in (p.direct, p.stack)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="side-by-side rounds, stack run")
    parser.add_argument("--pair-seconds", type=int, default=10, help="each run of a round")
    parser.add_argument("--no-stack", action="store_true", help="gunicorn alone, no Caddy run")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    env = dict(SERVER_ENV)
    with tempfile.TemporaryDirectory() as instance:
        env["SCREENING_INSTANCE_PATH"] = str(Path(instance))
        with gunicorn_server(env, workers=args.workers) as server:
            direct = measure(server.url, None, args.connections, args.seconds)
        print_table(
            f"gunicorn {args.workers} workers, {args.connections} connections, "
            f"{args.seconds} s per scenario, loopback",
            direct,
        )
        outcomes = list(direct)
        if not args.no_stack:
            outcomes += stack_beside_direct(env, args)
    return 1 if any(o.errors for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
