"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA) on every page a person can reach,
keyboard-only use, phones and zoom, print, and the whole flow with JavaScript turned off."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.helpers import indexes_for_scores, pdf_text, sign_in_as_staff
from tools.testkit import codes_for_series

pytestmark = pytest.mark.browser
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
LOW = dict.fromkeys(range(1, 11), 0) | {1: 1, 2: 1}
HIGH = {1: 2, 2: 2, 3: 3, 4: 2, 5: 2, 6: 2, 7: 1, 8: 2, 9: 1, 10: 0}
SAFETY = dict.fromkeys(range(1, 10), 0) | {10: 1}
CRISIS = dict.fromkeys(range(1, 11), 2) | {10: 0}  # total 18: crisis tiers without item 10


def press(page: Page, button: str) -> None:
    """Submit with a button and wait for the next page's load event (its stylesheet included):
    a click returns as soon as the navigation starts, and a page measured or checked before its
    stylesheet arrives would be judged unstyled."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def on_a_slow_network(page: Page, latency_ms: int = 150) -> None:
    """A phone on a slow connection. It also makes a check that runs before a page has finished
    loading fail every time, not only on a busy CI machine."""
    chromium = page.context.new_cdp_session(page)
    chromium.send("Network.enable")
    chromium.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def submit_scores(
    page: Page, base_url: str, epds, scores: dict[int, int], button: str = "See my result"
) -> None:
    page.goto(base_url)
    for number, index in indexes_for_scores(epds, scores).items():
        page.locator(f"label[for=item_{number}-{index}]").click()
    press(page, button)


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG_21_AA)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


def post_oversized_form(page: Page, base_url: str) -> None:
    page.goto(base_url)
    with page.expect_navigation():
        page.evaluate(
            """() => {
                const field = document.createElement('input');
                field.type = 'hidden'; field.name = 'padding'; field.value = 'x'.repeat(20000);
                document.querySelector('form').appendChild(field);
                document.querySelector('form').submit();
            }"""
        )
    expect(page).to_have_title(re.compile("^Error: Too much was sent"))


def weeks_without_their_choice(page: Page, base_url: str, epds) -> None:
    """Every item answered, and weeks of pregnancy with "given birth" chosen: the page comes
    back with one error."""
    page.goto(base_url)
    page.get_by_label("Yes, I have given birth in the past year").check()
    page.get_by_label("Weeks of pregnancy (optional)").select_option("20")
    for number, index in indexes_for_scores(epds, LOW).items():
        page.locator(f"label[for=item_{number}-{index}]").click()
    press(page, "See my result")
    expect(page.locator("#context_weeks_pregnant-error")).to_be_visible()


def submit_intake(page: Page, base_url: str, code: str) -> None:
    sign_in_as_staff(page, base_url)
    page.get_by_label("Result code").fill(code)
    press(page, "Show the result")


def restore_at_intake(page: Page, base_url: str, epds, scores: dict[int, int]) -> None:
    """The clinician's view: a patient's result restored from its code."""
    submit_scores(page, base_url, epds, scores)
    submit_intake(page, base_url, page.locator("#result-code").inner_text())


def restore_series_at_intake(page: Page, base_url: str, epds) -> None:
    """Three screenings, the last with item 10 positive: chart, table and the safety alert."""
    answer_sets = [indexes_for_scores(epds, scores) for scores in (HIGH, CRISIS, SAFETY)]
    codes = codes_for_series(epds, answer_sets, datetime(2026, 8, 3, 10, 0, tzinfo=UTC))
    submit_intake(page, base_url, "\n".join(codes))
    expect(page.locator(".trend-chart")).to_be_visible()


PAGES = {
    "questionnaire": lambda page, url, epds: page.goto(url),
    "questionnaire with errors": lambda page, url, epds: submit_scores(page, url, epds, {}),
    "questionnaire with an error in the question before the items": lambda page, url, epds: (
        weeks_without_their_choice(page, url, epds)
    ),
    "result, low score": lambda page, url, epds: submit_scores(page, url, epds, LOW),
    "result, high score": lambda page, url, epds: submit_scores(page, url, epds, HIGH),
    "result, safety message": lambda page, url, epds: submit_scores(page, url, epds, SAFETY),
    "result, total of 15 or more": lambda page, url, epds: submit_scores(page, url, epds, CRISIS),
    "result, safety message in Ukrainian": lambda page, url, epds: submit_scores(
        page, f"{url}/?lang=uk", epds, SAFETY, "Переглянути мій результат"
    ),
    "result restored at intake": lambda page, url, epds: restore_at_intake(
        page, url, epds, SAFETY | {1: 2, 8: 3}
    ),
    "series restored at intake": restore_series_at_intake,
    "about page in Russian": lambda page, url, epds: page.goto(f"{url}/about?lang=ru"),
    "intake page": lambda page, url, epds: sign_in_as_staff(page, url),
    "staff sign-in page": lambda page, url, epds: page.goto(f"{url}/intake"),
    "about page": lambda page, url, epds: page.goto(f"{url}/about"),
    "questionnaire in Ukrainian": lambda page, url, epds: page.goto(f"{url}/?lang=uk"),
    "intake page with an error": lambda page, url, epds: submit_intake(page, url, "EPDS-1"),
    "404 page": lambda page, url, epds: page.goto(f"{url}/no-such-page"),
    "405 page": lambda page, url, epds: page.goto(f"{url}/result.pdf"),
    "413 page": lambda page, url, epds: post_oversized_form(page, url),
}


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_21_aa_violation(page: Page, live_server, epds, name):
    PAGES[name](page, live_server, epds)
    assert axe_violations(page) == []


def test_axe_on_the_access_code_page_and_its_error(page: Page, access_code_server):
    page.goto(access_code_server)
    expect(page.get_by_label("Access code")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Access code").fill("wrong")
    press(page, "Continue")
    expect(page.get_by_text("That code is not right")).to_be_visible()
    assert axe_violations(page) == []


def test_axe_catches_a_missing_legend(page: Page, live_server):
    """The gate is real: break one legend and axe must report it."""
    page.goto(live_server)
    page.evaluate("() => document.querySelector('legend').remove()")
    page.evaluate("() => document.querySelectorAll('input[name=item_1]').forEach(i => i.id = '')")
    assert any(v.startswith("label:") for v in axe_violations(page))


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {id: el.id, tag: el.tagName, name: el.name || '', text: el.textContent.trim(),
                    outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth)};
        }"""
    )


def test_keyboard_alone_completes_the_screening(page: Page, live_server, epds):
    page.goto(live_server)
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to main content"
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    for number in ("103", "112", "7333"):  # "Need help now?" comes first, under the lead
        page.keyboard.press("Tab")
        assert focused(page)["text"] == number
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "About postpartum depression and how we can help"
    # The optional question before the items: one stop for its choices, one for each weeks
    # box, and nothing to do there for someone who leaves it out.
    for control in ("context-0", "context_weeks_pregnant", "context_weeks_postpartum"):
        page.keyboard.press("Tab")
        assert focused(page)["id"] == control
    chosen = {}
    for number in range(1, 11):
        page.keyboard.press("Tab")
        current = focused(page)
        assert current["name"] == f"item_{number}", current
        assert current["outline"] != "none" and current["outlineWidth"] >= 2, current
        moves = number % 4
        if moves == 0:
            page.keyboard.press("Space")
        for _ in range(moves):
            page.keyboard.press("ArrowDown")
        chosen[number] = moves
    for number, index in chosen.items():
        expect(page.locator(f"#item_{number}-{index}")).to_be_checked()
    # Item 10 above 0 shows the crisis prompt right below it: its phone links come next.
    prompt_links = page.locator("#crisis-prompt a").all_inner_texts()
    assert prompt_links[:3] == ["103", "112", "7333"]
    for text in prompt_links:
        page.keyboard.press("Tab")
        assert focused(page)["text"] == text
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "send"
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile("^Your screening result"))
    expected = sum(epds.item(n).options[i].score for n, i in chosen.items())
    expect(page.locator("#total-score")).to_have_text(str(expected))


def test_the_question_before_the_items_by_keyboard_alone(page: Page, live_server, epds):
    """Into the choices with Tab, between them with the arrow keys, on to the weeks lists with
    Tab; a mistake there comes back with its message tied to the list and focus on the
    summary."""
    page.goto(live_server)
    page.locator("a", has_text="About postpartum depression and how we can help").focus()
    page.keyboard.press("Tab")
    current = focused(page)
    assert current["id"] == "context-0"
    assert current["outline"] != "none" and current["outlineWidth"] >= 2, current
    page.keyboard.press("ArrowDown")  # "Yes, I have given birth in the past year"
    expect(page.locator("#context-1")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "context_weeks_pregnant"
    page.keyboard.press("ArrowDown")  # 1 week of pregnancy, with "given birth" chosen
    expect(page.locator("#context_weeks_pregnant")).to_have_value("01")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "context_weeks_postpartum"
    for number, index in indexes_for_scores(epds, LOW).items():
        page.locator(f"#item_{number}-{index}").check()
    page.locator("#send").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    box = page.locator("#context_weeks_pregnant")
    expect(box).to_have_value("01")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(re.compile("To give the weeks of pregnancy"))
    expect(page.locator("#context-1")).to_be_checked()
    page.locator("#error-summary a", has_text="To give the weeks of pregnancy").click()
    expect(box).to_be_focused()
    page.keyboard.press("Home")  # back to "not given"
    expect(box).to_have_value("--")
    page.keyboard.press("Tab")
    page.keyboard.type("6")
    expect(page.locator("#context_weeks_postpartum")).to_have_value("06")
    page.locator("#send").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile("^Your screening result"))
    expect(page.locator(".context-given")).to_have_text(
        "At the start, you answered: gave birth 6 weeks ago."
    )
    assert axe_violations(page) == []


def test_focus_moves_to_the_error_summary_after_a_failed_submit(page: Page, live_server):
    page.goto(live_server)
    page.locator("label[for=item_1-0]").click()
    press(page, "See my result")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_have_attribute("role", "alert")


def test_screen_reader_structure(page: Page, live_server, epds):
    page.goto(live_server)
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("fieldset")).to_have_count(11)  # the question before the items too
    question = "Are you pregnant now, or have you given birth in the past year?"
    expect(page.get_by_role("group", name=question)).to_have_count(1)
    for item in epds.items:
        expect(page.get_by_role("group", name=f"{item.number}. {item.text}")).to_have_count(1)
        expect(page.get_by_role("radiogroup")).to_have_count(0)
    titles = {page.title()}
    submit_scores(page, live_server, epds, {})
    titles.add(page.title())
    submit_scores(page, live_server, epds, SAFETY)
    titles.add(page.title())
    # "today" while the clinic is open, "now" while it is closed (tests/test_crisis_pathway.py).
    expect(page.get_by_role("alert")).to_contain_text(re.compile("Please talk to someone now"))
    page.goto(f"{live_server}/missing")
    titles.add(page.title())
    assert len(titles) == 4, titles


@pytest.mark.parametrize("width", [320, 360, 640])
def test_no_horizontal_scrolling_on_narrow_screens_and_at_200_percent_zoom(
    browser: Browser, live_server, epds, width
):
    # 640 CSS pixels is a 1280-pixel window at 200% zoom.
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    on_a_slow_network(page)
    for load in (PAGES["questionnaire with errors"], PAGES["result, safety message"]):
        load(page, live_server, epds)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (width, page.title(), overflow)
        font_size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert font_size >= 16
    context.close()


def test_tap_targets_are_at_least_44_by_44(page: Page, live_server, epds):
    """Options, buttons and the skip link; links inside sentences are exempt, as in WCAG."""
    on_a_slow_network(page)
    for load in (PAGES["questionnaire"], PAGES["result, safety message"]):
        load(page, live_server, epds)
        page.keyboard.press("Tab")  # brings the skip link on screen
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.option label, .button, .skip-link')]
                .filter(el => el.offsetParent !== null)
                .map(el => { const r = el.getBoundingClientRect();
                             return [el.textContent.trim(), r.width, r.height]; })"""
        )
        assert len(sizes) >= 3
        small = [(text, w, h) for text, w, h in sizes if w < 44 or h < 44]
        assert small == []


def boxes(page: Page, selector: str) -> list[dict[str, float]]:
    """The visible elements' boxes in page coordinates: left, right, top, bottom."""
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)]
            .filter(el => el.offsetParent !== null)
            .map(el => { const r = el.getBoundingClientRect();
                         return {left: r.left + scrollX, right: r.right + scrollX,
                                 top: r.top + scrollY, bottom: r.bottom + scrollY}; })""",
        selector,
    )


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5
    )


def assert_questionnaire_layout(page: Page, width: int) -> None:
    (main,) = boxes(page, "main")
    assert main["left"] >= 0 and main["right"] <= width
    if width >= 1000:  # a reading column, centred, not the whole window
        assert main["right"] - main["left"] < width * 0.75
        assert abs(main["left"] - (width - main["right"])) <= 1
    (context,) = boxes(page, ".question--context")
    (instructions,) = boxes(page, ".instructions")
    assert context["bottom"] <= instructions["top"]  # above the stem, apart from the items
    assert context["left"] >= 0 and context["right"] <= width
    for weeks in boxes(page, ".text-input--weeks"):
        assert context["left"] < weeks["left"] and weeks["right"] < context["right"]
    questions = boxes(page, ".question:not(.question--context)")
    assert len(questions) == 10
    for above, below in pairwise(questions):
        assert below["top"] >= above["bottom"]  # one after another, never side by side
    for number in range(1, 11):
        options = boxes(page, f"#question-{number} .option label")
        assert len(options) == 4
        assert len({(round(o["left"]), round(o["right"])) for o in options}) == 1  # one column
        for above, below in pairwise(options):
            assert below["top"] >= above["bottom"]
    (send,) = boxes(page, ".button--submit")
    assert send["top"] >= questions[-1]["bottom"]


def assert_result_layout(page: Page, width: int, height: int) -> None:
    safety, total = boxes(page, ".safety")[0], boxes(page, "#total-score")[0]
    assert safety["top"] < height  # the safety message is on the first screen ...
    assert safety["bottom"] <= total["top"]  # ... and above the score
    assert safety["left"] >= 0 and safety["right"] <= width
    buttons = boxes(page, ".actions .button")
    assert len(buttons) >= 2
    assert not any(overlap(a, b) for i, a in enumerate(buttons) for b in buttons[i + 1 :])


def test_screenshots_for_people_to_look_at_and_their_layout(browser: Browser, live_server, epds):
    """Screenshots are kept in build/screenshots for people; the test checks layout facts
    (reading column, stacked questions and options, the safety message first) rather than
    comparing pixels, which would change with every font or wording update."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((360, 740), (1280, 800)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(live_server)
        page.screenshot(path=SCREENSHOTS / f"questionnaire-{width}x{height}.png", full_page=True)
        assert_questionnaire_layout(page, width)
        submit_scores(page, live_server, epds, SAFETY | {1: 2, 8: 3})
        page.screenshot(path=SCREENSHOTS / f"result-{width}x{height}.png", full_page=True)
        assert_result_layout(page, width, height)
        context.close()


def test_printing_the_result_page_drops_buttons_and_navigation(
    page: Page, live_server, epds, tmp_path
):
    submit_scores(page, live_server, epds, HIGH)
    page.emulate_media(media="print")
    printed = pdf_text(page.pdf(format="A4"), tmp_path)
    assert "Your score: 17 out of 30" in printed
    for hidden in ("Download PDF", "Start again", "Print", "Skip to main content"):
        assert hidden not in printed


def test_downloaded_pdf_renders_to_png_with_all_text_inside_the_page(
    page: Page, live_server, epds, tmp_path
):
    submit_scores(page, live_server, epds, dict.fromkeys(range(1, 11), 3))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    pdf = tmp_path / "result.pdf"
    pdf.write_bytes(Path(download.value.path()).read_bytes())
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    assert [p.name for p in tmp_path.glob("page*.png")] == ["page-1.png"]
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    width, height = map(
        float, re.search(r'<page width="([\d.]+)" height="([\d.]+)"', boxes).groups()
    )
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', boxes)
    assert len(words) > 300
    for x_min, y_min, x_max, y_max in (tuple(map(float, w)) for w in words):
        assert x_min >= 0 and x_max <= width and y_min >= 0 and y_max <= height


def test_whole_flow_works_with_javascript_disabled(browser: Browser, live_server, epds, tmp_path):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    submit_scores(page, live_server, epds, HIGH)
    expect(page.locator("#total-score")).to_have_text("17")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    text = pdf_text(Path(download.value.path()).read_bytes(), tmp_path)
    assert "Total score 17 out of 30" in text
    context.close()
