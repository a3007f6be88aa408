"""What Chromium itself uploads for the questionnaire: one body length whatever is answered to
the question before the items (issue 25, finding 1), read from the request the browser sends."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.helpers import indexes_for_scores

LOW = dict.fromkeys(range(1, 11), 0) | {1: 1}
HIGH = dict.fromkeys(range(1, 11), 3)
pytestmark = pytest.mark.browser
CHOICES = [
    None,
    "Yes, I am pregnant",
    "Yes, I have given birth in the past year",
    "My pregnancy ended, or my baby died, in the past year",
    "Neither of these",
    "I prefer not to say",
]


def uploaded_length(page: Page, base_url: str, epds, choice, scores, weeks=None) -> int:
    page.goto(base_url)
    if choice:
        page.get_by_label(choice).check()
    for label, value in (weeks or {}).items():
        page.get_by_label(label).select_option(value)
    for number, index in indexes_for_scores(epds, scores).items():
        page.locator(f"label[for=item_{number}-{index}]").click()
    with page.expect_request(lambda request: request.method == "POST") as sent:
        page.get_by_role("button", name="See my result").click()
    body = sent.value.post_data_buffer
    assert body is not None
    return len(body)


def test_chromium_uploads_one_length_for_every_answer(page: Page, live_server, epds):
    lengths = {
        (choice, str(scores)): uploaded_length(page, live_server, epds, choice, scores)
        for choice in CHOICES
        for scores in (LOW, HIGH)
    }
    lengths["pregnant, 7 weeks"] = uploaded_length(
        page, live_server, epds, CHOICES[1], LOW, {"Weeks of pregnancy (optional)": "07"}
    )
    lengths["given birth, 40 weeks"] = uploaded_length(
        page,
        live_server,
        epds,
        CHOICES[2],
        HIGH,
        {"Weeks since the birth, roughly (optional)": "40"},
    )
    assert len(set(lengths.values())) == 1, lengths
