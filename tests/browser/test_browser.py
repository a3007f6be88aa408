"""What a person sees and clicks, in Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from screening.core.scoring import score
from tests.helpers import indexes_for_scores, pdf_info, pdf_text, sign_in_as_staff
from tools.testkit import codes_for_series

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


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
    expect(
        page.get_by_role("heading", name="Signs that need a clinical assessment")
    ).to_be_visible()
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


def test_a_clinician_restores_a_result_from_its_code_and_prints_it(
    browser, live_server, epds, tmp_path
):
    """Screen on one device (the patient's phone), restore on another (the clinic's computer)."""
    patient = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    indexes = indexes_for_scores(
        epds, {1: 2, 2: 1, 3: 3, 4: 0, 5: 2, 6: 1, 7: 0, 8: 1, 9: 2, 10: 1}
    )
    patient.goto(live_server)
    choose_by_clicking_labels(patient, epds, indexes)
    patient.get_by_role("button", name="See my result").click()
    code = patient.locator("#result-code").inner_text()
    total = patient.locator("#total-score").inner_text()
    patient.context.close()

    clinic = browser.new_context(accept_downloads=True).new_page()
    sign_in_as_staff(clinic, live_server)
    expect(clinic.get_by_label("Result code")).to_be_focused()
    clinic.keyboard.type(code.lower())
    # A scanner ends each code with Enter, which adds it to the list; Enter again sends the list.
    clinic.keyboard.press("Enter")
    expect(clinic.get_by_text("Codes in the list: 1")).to_be_visible()
    clinic.keyboard.press("Enter")
    expect(clinic.get_by_text("Restored from result code")).to_be_visible()
    expect(clinic.locator("#total-score")).to_have_text(total)
    with clinic.expect_download() as download_info:
        clinic.get_by_role("button", name="Download PDF").click()
    text = pdf_text(Path(download_info.value.path()).read_bytes(), tmp_path)
    assert f"Total score {total} out of 30" in text
    assert code in text
    clinic.context.close()


def test_a_mistyped_code_is_explained_and_kept(page: Page, live_server):
    sign_in_as_staff(page, live_server)
    page.get_by_label("Result code").fill("EPDS-1234")
    page.get_by_role("button", name="Show the result").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "After “EPDS-” a result code has 26 letters and digits"
    )
    expect(page.get_by_label("Result code")).to_have_value("EPDS-1234")


def test_a_clinician_pastes_three_codes_sees_the_chart_and_prints_one_page(
    browser, live_server, epds, tmp_path
):
    """Three screenings of one patient: the course on one screen and on one printed page."""
    totals = [{1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 3, 10: 0}, {1: 2, 2: 2, 3: 2, 4: 3, 5: 2}, {1: 1}]
    answer_sets = [
        indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0) | scores) for scores in totals
    ]
    codes = codes_for_series(epds, answer_sets, datetime(2026, 8, 3, 10, 0, tzinfo=UTC))
    page = browser.new_context(
        accept_downloads=True, viewport={"width": 360, "height": 740}
    ).new_page()
    sign_in_as_staff(page, live_server)
    page.get_by_label("Result code").fill("\n".join(reversed(codes)))
    page.get_by_role("button", name="Show the result").click()
    expect(page.get_by_role("img", name="EPDS totals over time")).to_be_visible()
    expect(page.locator(".series__total")).to_have_text(["18", "11", "1"])
    page.wait_for_load_state("load")  # the stylesheet too: on a busy machine it can come later
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()
    pdf = Path(download_info.value.path()).read_bytes()
    text = pdf_text(pdf, tmp_path)
    for total in ("18", "11", "1"):
        assert re.search(rf"\s{total}\s", text[text.index("Completed") :])
    assert pdf_info(pdf, tmp_path)["Pages"] == "1"
    page.screenshot(path=str(SCREENSHOTS / "series-360.png"), full_page=True)
    page.context.close()
