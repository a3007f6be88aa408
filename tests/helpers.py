"""Helpers for tests and benchmarks: answers as the questionnaire posts them, what a page or a
PDF holds, and the app served on loopback. Fixtures live in conftest.py; these are plain
functions, so benchmarks import them without pulling in pytest's fixtures.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import HTTPServer
from pathlib import Path
from typing import Any

from flask import Flask
from reportlab.pdfgen.canvas import Canvas
from werkzeug.serving import WSGIRequestHandler, make_server

from screening import create_app
from screening.codes.codec import encode
from screening.codes.seal import derive_key
from screening.core.administration import Mode
from screening.core.context import NOT_GIVEN, Context
from screening.core.instrument import Instrument
from screening.web.forms import CONTEXT_FIELD, POSTED_CHOICE, WEEKS_FIELDS, weeks_value
from tests.html_checker import record_pages

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

# Plain HTTP, CSRF off (view tests post plain forms), the test key, room for many documents and
# codes that do not age.
TEST_APP_SETTINGS = (
    {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "WTF_CSRF_ENABLED": False,
        "HTTPS": False,
    }
    | MANY_DOCUMENTS
    | AGELESS_CODES
)


def answers_form(indexes: dict[int, int]) -> dict[str, str]:
    """Item number -> option index, as the questionnaire posts it."""
    return {f"item_{number}": str(index) for number, index in indexes.items()}


def context_form(context: Context) -> dict[str, str]:
    """The question before the items as the questionnaire posts it (nothing when not given)."""
    if context == NOT_GIVEN:
        return {}
    fields = {CONTEXT_FIELD: POSTED_CHOICE[context.status]}
    if context.weeks is not None:
        fields[WEEKS_FIELDS[context.status]] = weeks_value(context.weeks)
    return fields


def result_code_form(
    app: Flask,
    answers: dict[int, int],
    completed_at: datetime = datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    context: Context = NOT_GIVEN,
    mode: Mode = Mode.ONLINE,
) -> dict[str, str]:
    """What a result page posts back for its PDF, FHIR and language switch: its result code,
    the items read in the published English text (the interface language not recorded)."""
    state = app.extensions["screening"]
    keys, instrument = state.result_code_key, state.instrument
    return {
        "result_code": encode(
            instrument,
            answers,
            completed_at,
            keys,
            context,
            items_language=instrument.language,
            fingerprint=instrument.fingerprint,
            mode=mode,
        )
    }


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


def all_first_options() -> dict[int, int]:
    return dict.fromkeys(range(1, 11), 0)


def index_scoring(instrument: Instrument, item: int, score: int) -> int:
    """The option index of ``item`` that scores ``score``, looked up in the data."""
    options = instrument.item(item).options
    return next(i for i, option in enumerate(options) if option.score == score)


def indexes_for_scores(instrument: Instrument, scores: dict[int, int]) -> dict[int, int]:
    return {item: index_scoring(instrument, item, value) for item, value in scores.items()}


def checked_items(page: str) -> int:
    """How many item answers a page has checked (the question before the items also has its
    hidden "not answered" choice checked, which is no answer)."""
    return len(re.findall(r'name="item_\d+" value="\d" checked', page))


def hidden_fields(page: str) -> dict[str, str]:
    """name -> value of every hidden input on a page, whatever the attribute order."""
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden":
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def small_pdf() -> bytes:
    """A one-page PDF straight from reportlab, unpadded: its startxref is 963."""
    pdf = io.BytesIO()
    canvas = Canvas(pdf)
    canvas.drawString(100, 100, "x")
    canvas.save()
    return pdf.getvalue()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of a PDF as poppler's pdftotext extracts it (poppler-utils is required)."""
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"[ \t]+", " ", text)


def scanned_qr(pdf: bytes, tmp_path: Path) -> str:
    """What zbar reads from the QR code on a PDF's first page, rendered at 150 dpi by poppler
    (poppler-utils and zbar-tools are required)."""
    path = tmp_path / "scanned.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "page")], check=True)
    return subprocess.run(
        ["zbarimg", "--raw", "-q", str(tmp_path / "page-1.png")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in out.splitlines())
    }


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


def sign_in_as_staff(page: Any, base_url: str) -> None:
    """In a Playwright page: sign in on the staff sign-in page, which then opens /intake."""
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label("Staff password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/intake")


@contextlib.contextmanager
def serve_in_thread(config: dict[str, object]) -> Iterator[str]:
    """The app with CSRF on, served over HTTP on a free loopback port in a background thread;
    every HTML page it sends is kept for the Nu HTML checker (tests/html_checker.py)."""
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
    record_pages(app)
    with serving(
        make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    ) as url:
        yield url
