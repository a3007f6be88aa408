"""The result page built from its parts kept once per language and process is the page rendered
afresh, byte for byte but for the CSRF token: for answers flagged and not, each band, the
anxiety questions above and below their cut-off, each kind of context (a loss included), each
language, a fresh and a restored result, and the clinic open, closed, at its opening and closing
minutes and on a closed date. The kept parts are made at the first of these instants and used at
the others, so the open-now line is seen to follow the clock."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from screening.core.administration import Administration
from screening.core.context import NOT_ASKED, NOT_GIVEN, Context, Status
from screening.core.instrument import Instrument
from screening.core.scoring import score
from screening.web.i18n import LANGUAGES
from screening.web.pages import (
    CODE_MARK,
    CSRF_MARK,
    OPENING_MARK,
    RESULT_PARTS_KEY,
    result_page,
)
from tests.helpers import indexes_for_scores

KYIV = ZoneInfo("Europe/Kyiv")
# Item number -> score. The EPDS bands: 0-9, 10-12, 13 and above; item 10 raises the flag.
SCORES: dict[str, dict[int, int]] = {
    "low": dict.fromkeys(range(1, 11), 0),
    "low-anxious": dict.fromkeys(range(1, 11), 0) | {3: 2, 4: 2, 5: 2},
    "middle": dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 2, 2: 2},
    "high": dict.fromkeys(range(1, 11), 2) | {10: 0},
    "flagged-low": dict.fromkeys(range(1, 11), 0) | {10: 1},
    "flagged-high": dict.fromkeys(range(1, 11), 3),
}
CONTEXTS = [
    NOT_GIVEN,
    NOT_ASKED,
    Context(Status.PREGNANT, 24),
    Context(Status.POSTPARTUM, 0),
    Context(Status.LOSS),
]
# Mon-Fri 10:00-19:00 in Kyiv (the default hours), 25 December closed. Closed first: the parts
# are kept at the first instant and must say "open" at the next.
CLOCKS = [
    datetime(2026, 12, 24, 9, 59, tzinfo=KYIV),
    datetime(2026, 12, 24, 10, 0, tzinfo=KYIV),
    datetime(2026, 12, 24, 18, 59, tzinfo=KYIV),
    datetime(2026, 12, 24, 19, 0, tzinfo=KYIV),
    datetime(2026, 12, 25, 12, 0, tzinfo=KYIV),
    datetime(2026, 12, 26, 12, 0, tzinfo=KYIV),
]
COMPLETED_AT = datetime(2026, 12, 24, 7, 30, tzinfo=UTC)
CSRF_FIELD = re.compile(r'name="csrf_token" value="[^"]*"')


# Past the first instant only the open-now line can change: the pages with crisis tiers.
WITH_TIERS = ("high", "flagged-low", "flagged-high")


def grid() -> Iterator[tuple[datetime, str, bool, str, Context]]:
    """Every page at the first instant; at the others, each page with crisis tiers."""
    for index, moment in enumerate(CLOCKS):
        names = list(SCORES) if index == 0 else WITH_TIERS
        contexts = CONTEXTS if index == 0 else [NOT_GIVEN, Context(Status.LOSS)]
        for language, restored, name, context in product(LANGUAGES, (False, True), names, contexts):
            yield moment, language, restored, name, context


def result_pages(app: Flask, clock: list[datetime], epds: Instrument) -> Iterator[tuple[str, str]]:
    """(what was rendered, the padded page with its CSRF tokens blanked), over the grid."""
    outcomes = {name: score(epds, indexes_for_scores(epds, s)) for name, s in SCORES.items()}
    for moment, language, restored, name, context in grid():
        clock[0] = moment
        with app.test_request_context(f"/?lang={language}", method="POST"):
            body = result_page(
                outcomes[name], COMPLETED_AT, context, Administration(language), restored
            )[0]
        assert isinstance(body, bytes)
        page = CSRF_FIELD.sub('name="csrf_token" value=""', body.decode())
        yield f"{moment:%a %H:%M} {language} {restored=} {name} {context}", page


@pytest.fixture
def clocked_app(make_app: Callable[..., Flask]) -> Callable[[bool], tuple[Flask, list[datetime]]]:
    """An app whose clock reads the instant in the returned list; ``fresh``: templates reload,
    so nothing is kept and every part is rendered on every request."""

    def make(fresh: bool) -> tuple[Flask, list[datetime]]:
        clock = [CLOCKS[0]]
        app = make_app(
            CLOCK=lambda: clock[0].astimezone(UTC),
            CLINIC_CLOSED_DATES="2026-12-25",
            # The call-back form is on the page (nothing is sent here).
            CLINIC_INTAKE_EMAIL="intake@clinic.example",
            SMTP_HOST="127.0.0.1",
        )
        app.jinja_env.auto_reload = fresh
        return app, clock

    return make


def test_the_result_page_from_kept_parts_is_the_page_rendered_afresh(clocked_app, epds):
    kept_app, kept_clock = clocked_app(False)
    fresh_app, fresh_clock = clocked_app(True)
    kept = result_pages(kept_app, kept_clock, epds)
    fresh = result_pages(fresh_app, fresh_clock, epds)
    compared = 0
    for (key, from_parts), (_key, afresh) in zip(kept, fresh, strict=True):
        assert from_parts == afresh, key
        compared += 1
    assert compared == len(list(grid())) > len(LANGUAGES) * 2 * len(SCORES) * len(CONTEXTS)


def test_the_open_now_line_follows_the_clock_on_kept_parts(clocked_app, epds):
    app, clock = clocked_app(False)
    outcome = score(epds, indexes_for_scores(epds, SCORES["flagged-high"]))
    statuses = []
    for moment in CLOCKS:
        clock[0] = moment
        with app.test_request_context("/?lang=en", method="POST"):
            body = result_page(outcome, COMPLETED_AT, NOT_GIVEN, Administration("en"))[0]
        assert isinstance(body, bytes)
        statuses += re.findall(r'<strong class="tiers__status">([^<]*)</strong>', body.decode())
    closed_until_monday = "The clinic is closed now. It opens on Monday at 10:00."
    assert statuses == [
        "The clinic is closed now. It opens today at 10:00.",
        "The clinic is open now, until 19:00.",
        "The clinic is open now, until 19:00.",
        closed_until_monday,  # 25 December is a closed date, and then the weekend
        closed_until_monday,
        closed_until_monday,
    ]


def test_the_kept_parts_hold_no_code_and_no_open_now_line(clocked_app, epds):
    app, _clock = clocked_app(False)
    outcome = score(epds, indexes_for_scores(epds, SCORES["flagged-high"]))
    with app.test_request_context("/?lang=en", method="POST"):
        body = result_page(outcome, COMPLETED_AT, NOT_GIVEN, Administration("en"))[0]
    assert isinstance(body, bytes)
    code = re.findall(r'id="result-code">([^<]+)<', body.decode())[0]
    (parts,) = app.extensions[RESULT_PARTS_KEY].values()
    kept = "".join(parts.values())
    assert code not in kept and code in body.decode()
    assert CODE_MARK in kept and OPENING_MARK in kept and CSRF_MARK in kept
    assert "The clinic is" not in kept and "The clinic is closed now" in body.decode()
