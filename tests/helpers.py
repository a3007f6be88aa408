"""Helpers for the tests alone: the test apps' settings, result codes for a test app, what a
page, a PDF or its QR code holds, and signing in on a served page. Fixtures live in conftest.py;
what benchmarks/ and tools/ share with the tests (forms, the test key, servers) lives in
tools/testkit.py and tools/servers.py.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask import Flask
from reportlab.pdfgen.canvas import Canvas
from werkzeug.wrappers import Response

from screening import create_app
from screening.codes.codec import encode
from screening.core.administration import Mode
from screening.core.context import NOT_GIVEN, Context
from screening.core.instrument import Instrument
from tools.testkit import AGELESS_CODES, MANY_DOCUMENTS, STAFF_PASSWORD, TEST_SECRET


# Plain HTTP, CSRF off (view tests post plain forms), the test key, room for many documents and
# codes that do not age.
def built_app(config: dict[str, object] | None = None) -> Flask:
    """create_app(config) as the suite builds its apps (conftest's make_app too): each response
    budget measured when a response first needs it, not all at start; tests of start-up itself
    call create_app() and measure everything, as gunicorn's master does."""
    return create_app(config, budgets_on_first_use=True)


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


# Phrasing elements: a reader sees their text run on with the words around them.
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q",
    "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
})  # fmt: skip
# Elements that start a new line or box on screen: with blocks="\n" each is a line of its own.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "legend", "li", "main", "nav", "ol", "p", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})  # fmt: skip
# Elements whose text no reader sees.
UNSEEN_TAGS = frozenset({"script", "style", "template"})
# A character no page sends: marks a block boundary until white space is folded.
BLOCK_MARK = "\x00"


class _VisibleText(HTMLParser):
    """Collects text as a reader sees it, with a mark at every block boundary and a space at
    every other tag that is not inline (inputs, labels, buttons and the like)."""

    def __init__(self, main_only: bool) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive unescaped
        self.main_only = main_only
        self.in_main = 0
        self.unseen = 0
        self.parts: list[str] = []

    def collecting(self) -> bool:
        return not self.unseen and (self.in_main > 0 or not self.main_only)

    def boundary(self, tag: str) -> None:
        if tag in INLINE_TAGS or not self.collecting():
            return
        self.parts.append(BLOCK_MARK if tag in BLOCK_TAGS else " ")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.in_main += 1
        if tag in UNSEEN_TAGS:
            self.unseen += 1
        self.boundary(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.boundary(tag)

    def handle_endtag(self, tag: str) -> None:
        self.boundary(tag)
        if tag == "main":
            self.in_main -= 1
        if tag in UNSEEN_TAGS:
            self.unseen -= 1

    def handle_data(self, data: str) -> None:
        if self.collecting():
            self.parts.append(data)


def visible_text(page: str | Response, *, blocks: str = " ", main_only: bool = False) -> str:
    """What a reader sees of an HTML page, parsed (html.parser), not pattern-matched: inline
    elements run on with the words around them, entities are unescaped, script and style are
    left out, and white space is folded to one space. Each block (heading, paragraph, list
    item, table cell...) is separated from the next by ``blocks``: a space, or "\n" for one
    block a line. ``main_only``: only the text inside <main> (a fragment that opens <main> and
    never closes it counts to its end)."""
    parser = _VisibleText(main_only)
    parser.feed(page if isinstance(page, str) else page.get_data(as_text=True))
    parser.close()
    chunks = (" ".join(chunk.split()) for chunk in "".join(parser.parts).split(BLOCK_MARK))
    return blocks.join(chunk for chunk in chunks if chunk)


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


def sign_in_as_staff(page: Any, base_url: str) -> None:
    """In a Playwright page: sign in on the staff sign-in page, which then opens /intake."""
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label("Staff password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/intake")
