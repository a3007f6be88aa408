"""In Chromium: the crisis prompt below item 10 (keyboard only, a polite live region, focus kept,
axe clean, nothing without JavaScript), and the call-back form and its pages on a 360 px phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_accessibility import axe_violations, press, submit_scores
from tests.html_checker import record_pages
from tests.mailbox import Mailbox, smtp_server
from tools.servers import free_port
from tools.testkit import serve_in_thread

pytestmark = pytest.mark.browser
PROMPT = "Help is available now"
TOTAL_14 = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 3, 2: 3, 3: 2}


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement.id")


def tab_to(page: Page, name: str, limit: int = 80) -> None:
    """Press Tab until a control of the radio group ``name`` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == name:
            return
    raise AssertionError(f"Tab never reached {name}")


def test_item_10_prompt_with_the_keyboard_only(page: Page, live_server):
    page.goto(live_server)
    region = page.locator("#crisis-prompt")
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_be_empty()
    tab_to(page, "item_10")
    page.keyboard.press("Space")  # the first option, "Yes, quite often"
    expect(region.get_by_text(PROMPT)).to_be_visible()
    expect(region.locator("a[href='tel:7333']").first).to_be_visible()
    assert focused(page) == "item_10-0"  # focus not moved
    assert axe_violations(page) == []
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # to "Never", the option that scores 0
    assert focused(page) == "item_10-3"
    expect(region).to_be_empty()
    page.keyboard.press("ArrowUp")  # "Hardly ever"
    expect(region.get_by_text(PROMPT)).to_be_visible()
    assert focused(page) == "item_10-2"


def test_prompt_shown_again_when_a_kept_answer_comes_back(page: Page, live_server):
    page.goto(live_server)
    page.locator("label[for=item_10-1]").click()
    press(page, "See my result")  # nine answers missing: the page comes back with 400
    expect(page.locator("#item_10-1")).to_be_checked()
    expect(page.locator("#crisis-prompt").get_by_text(PROMPT)).to_be_visible()


BABY = "thoughts of harming your baby"


def test_after_a_loss_the_prompt_does_not_speak_of_your_baby(page: Page, live_server):
    """The question before the items answered "my pregnancy ended, or my baby died": the help
    below item 10 drops "your baby", and it follows that answer if it is changed afterwards."""
    page.goto(live_server)
    region = page.locator("#crisis-prompt")
    page.get_by_label("My pregnancy ended, or my baby died, in the past year").check()
    page.locator("label[for=item_10-0]").click()
    expect(region.get_by_text(PROMPT)).to_be_visible()
    expect(region.locator("a[href='tel:103']").first).to_be_visible()
    assert BABY not in region.inner_text()
    page.get_by_label("Yes, I have given birth in the past year").check()
    expect(region).to_contain_text(BABY)
    page.get_by_label("My pregnancy ended, or my baby died, in the past year").check()
    expect(region).not_to_contain_text(BABY)
    expect(region.get_by_text(PROMPT)).to_be_visible()


def test_nothing_changes_without_javascript(browser: Browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server)
    page.locator("label[for=item_10-0]").click()
    expect(page.locator("#crisis-prompt")).to_be_empty()
    expect(page.get_by_text(PROMPT)).to_be_hidden()
    context.close()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def callback_server(mailbox) -> Iterator[str]:
    with serve_in_thread(
        {
            "CLINIC_INTAKE_EMAIL": "intake@clinic.example",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": mailbox.port,
            "SMTP_STARTTLS": False,
            "SMTP_TIMEOUT": 2,
        },
        prepare=record_pages,
    ) as url:
        yield url


def fits_the_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_call_back_form_on_a_phone(page: Page, callback_server, epds, mailbox):
    submit_scores(page, callback_server, epds, TOTAL_14)
    form = page.locator("#callback-form")
    expect(form).to_be_visible()
    assert fits_the_width(page)
    assert axe_violations(page) == []
    press(page, "Ask the clinic to call me")  # no phone number: the form comes back, explained
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator("#error-summary")).to_be_focused()
    assert fits_the_width(page)
    assert axe_violations(page) == []
    page.get_by_label("Phone number").fill("067 123 45 67")
    page.get_by_label("Include my result code").check()
    press(page, "Ask the clinic to call me")
    expect(page).to_have_title(re.compile("^Your request has been sent"))
    expect(page.get_by_text("+380 67 123 4567")).to_be_visible()
    assert fits_the_width(page)
    assert axe_violations(page) == []
    assert len(mailbox.messages) == 1


def test_a_failed_request_is_clear_on_a_phone(page: Page, epds):
    """The SMTP server is down: the person sees at once that the clinic does not have it."""
    settings = {
        "CLINIC_INTAKE_EMAIL": "intake@clinic.example",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": free_port(),
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT": 2,
    }
    with serve_in_thread(settings, prepare=record_pages) as url:
        submit_scores(page, url, epds, TOTAL_14)
        page.get_by_label("Phone number").fill("067 123 45 67")
        press(page, "Ask the clinic to call me")
        expect(page).to_have_title(re.compile("^Your request did not reach the clinic"))
        expect(page.get_by_role("alert")).to_contain_text("+380 7373 080 88")
        expect(page.get_by_label("Phone number")).to_have_value("067 123 45 67")
        assert fits_the_width(page)
        assert axe_violations(page) == []
