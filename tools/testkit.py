"""What tests, benchmarks and tools share to drive the app: the test key and settings, answers
as the questionnaire posts them, the hidden fields a page carries, result codes for a series,
Debian's Chromium, and the app served on loopback in a thread. Dev-only (not in the wheel, whose
packages are screening.*); imports nothing from the test package, so benchmarks/ and tools/ use
it without pytest or tests/.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import HTTPServer

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from screening import create_app
from screening.codes.codec import encode
from screening.codes.seal import derive_key
from screening.core.context import NOT_GIVEN, Context
from screening.core.instrument import Instrument
from screening.web.forms import CONTEXT_FIELD, POSTED_CHOICE, WEEKS_FIELDS, weeks_value

TEST_SECRET = "test-secret-key-not-for-production"
# View tests post hundreds of PDF and FHIR re-posts from the test client's one address, without
# the minimum time each is held to; the per-address download limit and that minimum have their
# own tests (test_security.py, test_timing.py).
MANY_DOCUMENTS = {"DOCUMENT_RATE_LIMIT": "1000000 per minute", "DOCUMENT_MIN_MILLISECONDS": 0}
# Production apps in tests need a staff password (test_staff.py signs in with it).
STAFF_PASSWORD = "staff password for tests"
STAFF_PASSWORD_HASH = (
    "scrypt:32768:8:1$9U4qQSIzYy5l251z$a76a649eb1f42104bf6059b7d6f4493288ce4289e042c0650381e61a"
    "ba7f4031c51d7f3c208e013f8522e32f2dbf7ff080bc9e17f521c5825216350381727079"
)
# Known-answer codes from 2024 and version-1 codes restore in view tests whatever today's date;
# the maximum age and the end of version 1 have their own tests (test_staff.py).
AGELESS_CODES = {"RESULT_CODE_MAX_AGE_DAYS": 0, "RESULT_CODE_V1_UNTIL": ""}


def answers_form(indexes: dict[int, int]) -> dict[str, str]:
    """Item number -> option index, as the questionnaire posts it."""
    return {f"item_{number}": str(index) for number, index in indexes.items()}


def all_first_options() -> dict[int, int]:
    return dict.fromkeys(range(1, 11), 0)


def context_form(context: Context) -> dict[str, str]:
    """The question before the items as the questionnaire posts it (nothing when not given)."""
    if context == NOT_GIVEN:
        return {}
    fields = {CONTEXT_FIELD: POSTED_CHOICE[context.status]}
    if context.weeks is not None:
        fields[WEEKS_FIELDS[context.status]] = weeks_value(context.weeks)
    return fields


def hidden_fields(page: str) -> dict[str, str]:
    """name -> value of every hidden input on a page, whatever the attribute order."""
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden":
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def codes_for_series(
    instrument: Instrument,
    answer_sets: list[dict[int, int]],
    first: datetime,
    contexts: list[Context] | None = None,
) -> list[str]:
    """Result codes, a fortnight apart from ``first``, as a server with TEST_SECRET issues them
    (the browser tests' servers), each with its context (none given by default)."""
    keys = derive_key(TEST_SECRET)
    contexts = contexts or [NOT_GIVEN] * len(answer_sets)
    return [
        encode(
            instrument,
            answers,
            first + timedelta(days=14 * index),
            keys,
            context,
            items_language=instrument.language,
            fingerprint=instrument.fingerprint,
        )
        for index, (answers, context) in enumerate(zip(answer_sets, contexts, strict=True))
    ]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request."""

    def log_request(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(server: HTTPServer) -> Iterator[str]:
    """Runs a server bound to a loopback port in a background thread; yields its base URL."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def serve_in_thread(
    config: dict[str, object], prepare: Callable[[Flask], object] = lambda app: app
) -> Iterator[str]:
    """The app with CSRF on, served over HTTP on a free loopback port in a background thread.
    ``prepare`` sees the app first (the browser tests keep every HTML page it sends for the Nu
    HTML checker)."""
    app = create_app(
        {
            "SECRET_KEY": TEST_SECRET,
            "HTTPS": False,
            "EPDS_PERMISSION": "test permission",
            "STAFF_PASSWORD_HASH": STAFF_PASSWORD_HASH,
            # Every browser test that opens the clinician side signs in from 127.0.0.1.
            "STAFF_SIGN_IN_RATE_LIMIT": "1000 per minute",
        }
        | MANY_DOCUMENTS
        | AGELESS_CODES
        | config
    )
    prepare(app)
    with serving(
        make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    ) as url:
        yield url
