"""Every page state the browser tests visited, and a few this test visits itself, checked by the
W3C Nu HTML Checker in one run (issue 23). It runs after the other browser tests (see
conftest.py), so their pages are all recorded by then; run alone, it checks its own visits."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

from playwright.sync_api import Page

from screening.web.i18n import LANGUAGES
from tests.browser.test_browser import choose_by_clicking_labels
from tests.helpers import TEST_APP_SETTINGS, built_app
from tests.html_checker import SERVED_PAGES, nu_errors, record_pages
from tools.testkit import STAFF_PASSWORD, STAFF_PASSWORD_HASH, answers_form

FLAGGED = dict.fromkeys(range(1, 11), 2)


def visit(page: Page, epds, live_server: str, access_code_server: str) -> None:
    """The pages every run checks, whatever else ran: each language's questionnaire, a result
    with the safety message, the missing-answers state, intake, about and error pages."""
    for language in LANGUAGES:
        page.goto(f"{live_server}/?lang={language}")
        page.goto(f"{live_server}/about?lang={language}")
        page.goto(f"{live_server}/intake?lang={language}")
    page.goto(f"{live_server}/no-such-page")
    page.goto(f"{access_code_server}/")
    page.goto(f"{live_server}/?lang=en")
    choose_by_clicking_labels(page, epds, FLAGGED)
    page.get_by_role("button", name="See my result").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/?lang=en")
    page.get_by_role("button", name="See my result").click()  # nothing answered
    page.wait_for_load_state()
    for method in ("PUT", "DELETE"):
        try:
            urllib.request.urlopen(urllib.request.Request(f"{live_server}/", method=method))
        except urllib.error.HTTPError as error:
            assert error.code == 405


def visit_staff_states() -> None:
    """The staff pages' states no browser test reaches, through a test client recorded like the
    servers' pages: signed out, an entry carried through the sign-in (and its wrong password),
    the entry form it brings back, and the entry and intake forms kept over their limit."""
    settings = {"STAFF_PASSWORD_HASH": STAFF_PASSWORD_HASH, "INTAKE_RATE_LIMIT": "1 per hour"}
    for language in LANGUAGES:  # an app each: the limits count per address, not per language
        client = record_pages(built_app(TEST_APP_SETTINGS | settings)).test_client()
        client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
        client.get(f"/staff/sign-in?signed-out=1&lang={language}")
        entry = answers_form(FLAGGED) | {"mode": "paper", "context": "preg"}
        carried = client.post(f"/intake/entry?lang={language}", data=entry).get_data(as_text=True)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', carried))
        client.post(f"/staff/sign-in?lang={language}", data=fields | {"password": "wrong"})
        client.post(f"/staff/sign-in?lang={language}", data=fields | {"password": STAFF_PASSWORD})
        for _ in range(2):
            client.post(f"/intake/entry?lang={language}", data=entry)
            client.post(f"/intake?lang={language}", data={"code": "EPDS-0"})


def test_the_nu_checker_finds_no_error_on_any_page(
    page: Page, epds, live_server, access_code_server, tmp_path
):
    visit(page, epds, live_server, access_code_server)
    visit_staff_states()
    # Numbered: many distinct pages answer the same request line (other answers, other errors).
    pages = {f"#{n} {name}": body for n, (name, body) in enumerate(SERVED_PAGES.values())}
    assert len(pages) >= 10
    started = time.monotonic()
    errors = nu_errors(pages, tmp_path)
    elapsed = time.monotonic() - started
    print(f"Nu HTML checker: {len(pages)} pages and the stylesheet in {elapsed:.1f} s")
    assert errors == [], f"{len(errors)} errors in {len(pages)} pages:\n" + "\n".join(errors)
