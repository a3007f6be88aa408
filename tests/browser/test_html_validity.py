"""Every page state the browser tests visited, and a few this test visits itself, checked by the
W3C Nu HTML Checker in one run (issue 23). It runs after the other browser tests (see
conftest.py), so their pages are all recorded by then; run alone, it checks its own visits."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from playwright.sync_api import Page

from screening.web.i18n import LANGUAGES
from tests.browser.test_browser import choose_by_clicking_labels
from tests.html_checker import SERVED_PAGES, nu_errors

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


def test_the_nu_checker_finds_no_error_on_any_page(
    page: Page, epds, live_server, access_code_server, tmp_path
):
    visit(page, epds, live_server, access_code_server)
    # Numbered: many distinct pages answer the same request line (other answers, other errors).
    pages = {f"#{n} {name}": body for n, (name, body) in enumerate(SERVED_PAGES.values())}
    assert len(pages) >= 10
    started = time.monotonic()
    errors = nu_errors(pages, tmp_path)
    elapsed = time.monotonic() - started
    print(f"Nu HTML checker: {len(pages)} pages and the stylesheet in {elapsed:.1f} s")
    assert errors == [], f"{len(errors)} errors in {len(pages)} pages:\n" + "\n".join(errors)
