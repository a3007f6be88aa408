"""What a person sees and clicks, in Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from screening.scoring import score
from tests.conftest import indexes_for_scores, pdf_text

pytestmark = pytest.mark.browser


def choose_by_clicking_labels(page: Page, epds, indexes: dict[int, int]) -> None:
    for number, index in indexes.items():
        label = epds.item(number).options[index].label
        page.locator(f"#question-{number}").get_by_text(label, exact=True).click()


def test_a_person_completes_the_screening_and_downloads_the_pdf(
    page: Page, live_server, epds, tmp_path
):
    scores = {1: 1, 2: 2, 3: 3, 4: 1, 5: 2, 6: 1, 7: 2, 8: 1, 9: 1, 10: 0}
    indexes = indexes_for_scores(epds, scores)
    expected = score(epds, indexes)
    page.goto(live_server)
    choose_by_clicking_labels(page, epds, indexes)
    page.get_by_role("button", name="See my result").click()

    expect(page).to_have_title(re.compile("^Your screening result"))
    expect(page.locator("#total-score")).to_have_text(str(expected.total))
    assert expected.total == 14
    expect(page.get_by_role("heading", name="Probable depression")).to_be_visible()
    expect(page.locator(".safety")).to_have_count(0)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()
    download = download_info.value
    assert re.fullmatch(r"epds-result-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert f"Total score {expected.total} out of 30" in text
    for answer in expected.answers:
        assert answer.option.label in text


def test_item_10_safety_message_comes_first_with_a_low_total(page: Page, live_server, epds):
    indexes = indexes_for_scores(epds, dict.fromkeys(range(1, 10), 0) | {10: 2})
    page.goto(live_server)
    choose_by_clicking_labels(page, epds, indexes)
    page.get_by_role("button", name="See my result").click()
    expect(page.locator("#total-score")).to_have_text("2")
    safety = page.get_by_role("alert")
    expect(safety).to_be_visible()
    expect(safety).to_contain_text("+380 7373 080 88")
    expect(safety).to_contain_text("112")
    first_in_main = page.locator("main > *").first
    expect(first_in_main).to_have_class("safety")


def test_missing_answers_are_listed_and_given_answers_stay_checked(page: Page, live_server, epds):
    given = {1: 1, 4: 2, 9: 0}
    page.goto(live_server)
    choose_by_clicking_labels(page, epds, given)
    page.get_by_role("button", name="See my result").click()

    assert page.title().startswith("Error: ")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(7)
    for number in (2, 3, 5, 6, 7, 8, 10):
        expect(summary.get_by_role("link", name=f"question {number}", exact=False)).to_have_count(1)
    for number, index in given.items():
        expect(page.locator(f"#item_{number}-{index}")).to_be_checked()
    summary.get_by_role("link", name="Choose an answer for question 2").click()
    expect(page).to_have_url(re.compile("#item_2-0$"))
