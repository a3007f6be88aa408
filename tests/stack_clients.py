"""The stack fixture and its clients: a patient over HTTPS, a bounded load, raw slow sockets.

Every connection goes to Caddy on loopback (``localhost``, which Caddy's ``tls internal``
certificate names); every loop is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tools.stack import Stack, missing_tools, running_stack, unverified_tls
from tools.testkit import all_first_options, answers_form, hidden_fields

# Longer than Caddy's response_header_timeout (30 s), within which it answers every request: a
# client that gave up sooner counted as failed a POST queued for an instance restarting on the
# busy shared machine (started 3 s after the kill, ready 5 s later, cold), which a browser, waiting
# minutes, gets answered.
TIMEOUT_SECONDS = 35
ONE_ADDRESS_LOAD_LIMIT = "100000 per minute"


@pytest.fixture(name="stack")
def stack_fixture(tmp_path: Path, saved_budgets: Path) -> Iterator[Stack]:
    """The whole stack on free loopback ports for one test; import it to use it."""
    missing = missing_tools()
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"{' '.join(missing)} missing: .ci/run must install them", pytrace=False)
    if missing:
        pytest.skip(f"needs {' '.join(missing)} (apt-get install {' '.join(missing)})")
    # The load tests send hundreds of PDFs from one address; the limit itself is tested on its own.
    # The minimum time a document is held to has its own test (test_timing.py).
    settings = {
        "SCREENING_DOCUMENT_RATE_LIMIT": ONE_ADDRESS_LOAD_LIMIT,
        "SCREENING_DOCUMENT_MIN_MILLISECONDS": "0",
    }
    with running_stack(tmp_path, settings=settings, budget_cache=saved_budgets) as running:
        yield running


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage | None
    body: bytes
    started: float = 0.0  # when the request was sent (time.monotonic())
    path: str = ""  # what it was sent to


@dataclass
class Visitor:
    """One browser-like client: a keep-alive HTTPS connection and its own cookies."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    connection: http.client.HTTPSConnection | None = None

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> Response:
        """The response, or FAILED (status 0) when the connection broke; never raises."""
        if self.connection is None:
            self.connection = http.client.HTTPSConnection(
                "localhost", self.port, timeout=TIMEOUT_SECONDS, context=unverified_tls()
            )
        started = time.monotonic()
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        sent = {"Cookie": self.request_cookie()} | headers
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=sent)
            reply = self.connection.getresponse()
            content = reply.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return Response(0, None, b"", started, path)
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return Response(reply.status, reply.headers, content, started, path)

    def request_cookie(self) -> str:
        """The Cookie header this visitor sends."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def __enter__(self) -> Visitor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def token(self, path: str = "/") -> str:
        page = self.request("GET", path)
        return hidden_fields(page.body.decode())["csrf_token"] if page.status == 200 else ""

    def screening(self) -> list[tuple[str, Response]]:
        """A whole screening: questionnaire, answers, PDF; each step with its response."""
        steps = [("GET", self.request("GET", "/"))]
        if steps[-1][1].status != 200:
            return steps
        token = hidden_fields(steps[-1][1].body.decode())["csrf_token"]
        steps.append(("POST", self.request("POST", "/", answers_form(all_first_options()) | {
            "csrf_token": token
        })))  # fmt: skip
        if steps[-1][1].status == 200:
            pdf_form = hidden_fields(steps[-1][1].body.decode())
            steps.append(("POST", self.request("POST", "/result.pdf", pdf_form)))
        return steps


@dataclass(frozen=True)
class Outcome:
    method: str
    started: float
    status: int
    path: str = ""


def mixed_load(port: int, clients: int, seconds: float, max_screenings: int) -> LoadRun:
    """Start ``clients`` threads doing whole screenings for at most ``seconds``."""
    run = LoadRun(port, seconds, max_screenings)
    for _ in range(clients):
        thread = threading.Thread(target=run.client, daemon=True)
        thread.start()
        run.threads.append(thread)
    return run


@dataclass
class LoadRun:
    port: int
    seconds: float
    max_screenings: int
    outcomes: list[Outcome] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def client(self) -> None:
        deadline = time.monotonic() + self.seconds
        with Visitor(self.port) as visitor:
            for _ in range(self.max_screenings):
                if time.monotonic() >= deadline or self.stopping.is_set():
                    break
                for method, response in visitor.screening():
                    with self.lock:
                        self.outcomes.append(
                            Outcome(method, response.started, response.status, response.path)
                        )

    def wait_for(self, count: int, timeout: float) -> None:
        """Until ``count`` responses came back (the first ones pay for warming the workers)."""
        deadline = time.monotonic() + timeout
        while len(self.outcomes) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def wait_for_after(self, instant: float, count: int, timeout: float) -> None:
        """Until ``count`` responses came back to requests sent after ``instant`` (time.monotonic),
        however slowly a busy machine serves them, for at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if sum(outcome.started >= instant for outcome in self.outcomes) >= count:
                    return
            time.sleep(0.1)

    def finish(self) -> list[Outcome]:
        """Stop sending (each client ends its screening) and return every outcome."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=self.seconds + 2 * TIMEOUT_SECONDS)
        return self.outcomes


def failures(
    outcomes: Iterable[Outcome], method: str, after: float = 0.0, path: str | None = None
) -> list[Outcome]:
    """Responses other than 200 (0: the connection broke) to ``method`` requests (to ``path``,
    if given) sent after ``after``."""
    return [
        o
        for o in outcomes
        if o.method == method and o.status != 200 and o.started >= after and path in (None, o.path)
    ]


def tls_socket(port: int) -> ssl.SSLSocket:
    raw = socket.create_connection(("localhost", port), timeout=TIMEOUT_SECONDS)
    return unverified_tls().wrap_socket(raw, server_hostname="localhost")


def raw_post(port: int, head: bytes, chunks: Iterable[bytes]) -> int:
    """Send a request head and body chunks as they are; the status the stack answers with."""
    return raw_exchange(port, head, chunks).status


def raw_exchange(port: int, head: bytes, chunks: Iterable[bytes] = ()) -> Response:
    """Send a request head and body chunks as they are (with ``Connection: close`` in the head);
    the whole response the stack answers with (status 0 if it closed without one). As curl and
    browsers do, stop sending once an answer has come: the proxy may refuse before the end, and
    writing on would get the connection reset, the answer with it."""
    with tls_socket(port) as connection:
        received = b""
        with contextlib.suppress(OSError):
            connection.sendall(head)
            for chunk in chunks:
                received = answer_so_far(connection)
                if received:
                    break
                connection.sendall(chunk)
        with contextlib.suppress(OSError):
            while part := connection.recv(65536):
                received += part
    reply = http.client.HTTPResponse(FileSocket(io.BytesIO(received)))  # type: ignore[arg-type]
    try:
        reply.begin()
        return Response(reply.status, reply.headers, reply.read())
    except http.client.HTTPException:
        return Response(0, None, b"")


def answer_so_far(connection: ssl.SSLSocket) -> bytes:
    """What the server has answered yet, without waiting (TLS session tickets are no answer)."""
    connection.setblocking(False)
    try:
        return connection.recv(65536)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return b""
    finally:
        connection.settimeout(TIMEOUT_SECONDS)


@dataclass
class FileSocket:
    """What http.client.HTTPResponse needs of a socket: a reader it can take as its file."""

    reader: object

    def makefile(self, _mode: str) -> object:
        return self.reader
