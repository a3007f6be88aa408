"""Bounded load test on loopback: gunicorn with 2 workers driven by wrk; prints a table of figures.

Scenarios: GET the questionnaire, POST complete answers, POST the PDF, and a mix of the three,
each for a fixed time at a fixed number of connections, with a genuine CSRF token and session
cookie. Then the same questionnaire, answers and PDF through the whole production stack
(Caddy over HTTPS in front of two gunicorn instances of 2 workers, Redis; tools/stack.py), when
caddy and redis-server are installed. Traffic goes to loopback only and every run stops by
itself.

    python -m benchmarks.load [--connections 32] [--seconds 20] [--workers 2] [--no-stack]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import all_first_options, answers_form, hidden_fields
from tests.servers import gunicorn_server
from tools.stack import missing_tools, running_stack, unverified_tls

# Through the whole stack (targets: at most 30% below direct on the questionnaire, p99 < 100 ms).
STACK_SCENARIOS = ("GET questionnaire", "POST answers", "POST PDF")

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


def measure(
    base_url: str, names: tuple[str, ...] | None, connections: int, seconds: int
) -> list[Outcome]:
    cookie, questionnaire_body, pdf_body = session_and_forms(base_url)
    return [
        run_wrk(name, base_url, lua_for(requests, cookie), connections, seconds)
        for name, requests in scenarios(questionnaire_body, pdf_body).items()
        if names is None or name in names
    ]


def print_table(title: str, outcomes: list[Outcome]) -> None:
    print(title)
    print(f"{'scenario':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for o in outcomes:
        print(
            f"{o.name:<22}{o.requests_per_second:>10.0f}{o.p50_ms:>10.1f}{o.p99_ms:>10.1f}{o.errors:>8}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-stack", action="store_true", help="gunicorn alone, no Caddy run")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    env = {
        "SCREENING_SECRET_KEY": "load-test-secret",
        "SCREENING_HTTPS": "0",
        "SCREENING_EPDS_PERMISSION": "load test",
        # wrk sends every request from one address: measure the work, not the per-client limit.
        "SCREENING_DOCUMENT_RATE_LIMIT": "1000000 per minute",
    }
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
        if missing := missing_tools():
            sys.exit(f"{' '.join(missing)} not installed (make load installs them)")
        one_address = {"SCREENING_DOCUMENT_RATE_LIMIT": env["SCREENING_DOCUMENT_RATE_LIMIT"]}
        with (
            tempfile.TemporaryDirectory() as workdir,
            running_stack(Path(workdir), settings=one_address) as stack,
        ):
            through = measure(stack.url, STACK_SCENARIOS, args.connections, args.seconds)
        print_table(
            f"whole stack: Caddy HTTPS, 2 gunicorn instances x 2 workers, Redis, "
            f"{args.connections} connections",
            through,
        )
        outcomes += through
        by_name = {o.name: o for o in direct}
        for o in through:
            share = o.requests_per_second / by_name[o.name].requests_per_second
            print(f"{o.name}: the stack keeps {share:.0%} of direct throughput")
    return 1 if any(o.errors for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
