"""The staff entry page in a real browser (issue 26, section 4): a paper form entered by keyboard
alone, one key an answer, axe clean before and after an error and on the result, and the same
entry with JavaScript turned off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_accessibility import axe_violations, focused, press
from tests.helpers import sign_in_as_staff

pytestmark = pytest.mark.browser
# The key pressed for each item: the position of the answer as the paper form prints it.
KEYS = {1: "1", 2: "0", 3: "3", 4: "2", 5: "1", 6: "0", 7: "3", 8: "2", 9: "1", 10: "0"}


def open_entry(page: Page, base_url: str, mode: str = "paper") -> None:
    sign_in_as_staff(page, base_url)
    page.goto(f"{base_url}/intake/entry?mode={mode}")


def test_keyboard_alone_enters_a_paper_form_one_key_an_answer(page: Page, live_server, epds):
    open_entry(page, live_server)
    # Tab order: the mode, the language and their button, the question before the items and
    # its weeks boxes, then item 1.
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        current = focused(page)
        seen.append(current["id"] or current["text"])
        if current["name"] == "item_1":
            break
    assert current["name"] == "item_1", seen
    order = [seen.index(control) for control in ("setup-mode-paper", "setup-items-en", "Use these")]
    order += [seen.index(c) for c in ("context-0", "context_weeks_pregnant")]
    assert order == sorted(order), seen
    for number in range(1, 11):
        current = focused(page)
        assert current["name"] == f"item_{number}", current
        assert current["outline"] != "none" and current["outlineWidth"] >= 2, current
        page.keyboard.press(KEYS[number])
    assert focused(page)["id"] == "send"
    for number, key in KEYS.items():
        expect(page.locator(f"#item_{number}-{key}")).to_be_checked()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile("^Screening result, entered by staff"))
    expected = sum(epds.item(n).options[int(key)].score for n, key in KEYS.items())
    expect(page.locator("#total-score")).to_have_text(str(expected))
    mode = page.locator("dt", has_text="Mode:").locator("xpath=following-sibling::dd[1]")
    expect(mode).to_have_text("Paper form, entered by staff")
    assert axe_violations(page) == []


def test_a_key_goes_back_to_change_an_answer_and_arrows_still_work(page: Page, live_server):
    open_entry(page, live_server, "interview")
    page.locator("#item_1-0").focus()
    page.keyboard.press("2")
    assert focused(page)["name"] == "item_2"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "item_1-2"  # back on the chosen answer
    page.keyboard.press("3")
    expect(page.locator("#item_1-3")).to_be_checked()
    page.keyboard.press("ArrowDown")  # the radio group's own keys are untouched
    expect(page.locator("#item_2-1")).to_be_checked()


def test_axe_on_the_entry_page_and_after_a_missing_answer(page: Page, live_server):
    open_entry(page, live_server, "interview")
    assert axe_violations(page) == []
    page.locator("#item_1-0").focus()
    for key in "01230123":  # items 1 to 8; 9 and 10 left out
        page.keyboard.press(key)
    press(page, "Show the result")
    expect(page).to_have_title(re.compile("^Error:"))
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#item_8-3")).to_be_checked()
    assert axe_violations(page) == []


def test_entry_works_with_javascript_disabled(browser: Browser, live_server, epds):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    open_entry(page, live_server)
    for number in range(1, 11):
        page.locator(f"label[for=item_{number}-0]").click()
    press(page, "Show the result")
    expect(page.locator("#total-score")).to_have_text(
        str(sum(item.options[0].score for item in epds.items))
    )
    context.close()
