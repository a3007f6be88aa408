"""Views through the Flask test client: questionnaire, errors that keep answers, result, PDF."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from markupsafe import escape

from screening.codes.symbols import ALPHABET
from screening.web.pages import _questionnaire_html
from tests.helpers import (
    checked_items,
    indexes_for_scores,
    pdf_text,
    result_code_form,
    visible_text,
)
from tools.testkit import all_first_options, answers_form, hidden_fields


def checked_values(response) -> dict[str, str]:
    return dict(
        re.findall(r'name="(item_\d+)" value="(\d)" checked', response.get_data(as_text=True))
    )


def total_score(response) -> str:
    return re.search(r'<strong id="total-score">([^<]*)</strong>', response.get_data(as_text=True))[
        1
    ]


def test_questionnaire_shows_every_item_and_option_verbatim_in_order(client, epds):
    response = client.get("/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio" in text
    assert epds.preamble in text
    assert epds.example.explanation in text
    body = response.get_data(as_text=True)
    # Ten items, and the optional question before them (tests/test_context.py).
    assert body.count("<fieldset") == 11 and body.count("<legend>") == 11
    position = 0
    for item in epds.items:
        position = text.index(html.unescape(item.text), position)
        for index, option in enumerate(item.options):
            label = f'<label for="item_{item.number}-{index}">{escape(option.label)}</label>'
            assert label in body
            position = text.index(option.label, position)
    assert text.index(epds.notice) > position
    # One small script, the item-10 crisis prompt; the questionnaire works without it.
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/crisis-prompt.js" defer>']


def test_incomplete_submission_keeps_answers_and_links_each_missing_item(client):
    given = {1: 2, 2: 0, 5: 3, 9: 1}
    response = client.post("/", data=answers_form(given))
    assert response.status_code == 400
    text = visible_text(response)
    assert re.search(r"<title>Error: ", response.get_data(as_text=True))
    assert checked_values(response) == {f"item_{n}": str(i) for n, i in given.items()}
    for missing in (3, 4, 6, 7, 8, 10):
        assert f'href="#item_{missing}-0"' in response.get_data(as_text=True)
        assert f"Choose an answer for question {missing}" in text
        assert f'id="item_{missing}-error"' in response.get_data(as_text=True)
    assert 'href="#item_1-0"' not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store, no-transform"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("item_3", "7", "The answer sent for question 3 is not one of its options"),
        ("item_3", "two", "The answer sent for question 3 is not one of its options"),
        ("item_3", "-1", "The answer sent for question 3 is not one of its options"),
        ("item_3", "", "Choose an answer for question 3"),
    ],
)
def test_tampered_values_get_400_with_a_clear_message_and_other_answers_kept(
    client, field, value, message
):
    data = answers_form(all_first_options()) | {field: value}
    response = client.post("/", data=data)
    assert response.status_code == 400
    assert message in visible_text(response)
    kept = checked_values(response)
    assert field not in kept and len(kept) == 9


def test_complete_submission_shows_total_band_anxiety_and_contacts(client, epds):
    scores = {1: 1, 2: 1, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 0}
    response = client.post("/", data=answers_form(indexes_for_scores(epds, scores)))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store, no-transform"
    assert total_score(response) == "11"
    text = visible_text(response)
    assert "11 out of 30" in text
    assert "Some signs worth talking about" in text
    assert "repeating this screening in 2 to 4 weeks" in text
    # The anxiety subscale in a plain sentence: its research cut-off is the clinician's.
    assert "Anxiety symptoms (EPDS-3A)" in text
    assert "questions 3, 4, 5 suggest that worry or anxiety has been weighing on you" in text
    assert "research cut-off" not in text
    # Research apparatus is the clinician's (PDF, intake), not the patient's.
    assert "BMC Psychology" not in text and "doi:" not in text and "FHIR" not in text
    assert "This result applies to the person who is pregnant or has given birth" in text
    assert "This is a screening, not a diagnosis" in text
    assert "+380 7373 080 88" in text and "Mon\u2013Fri 10:00\u201319:00" in text
    for label in ("Download PDF", "Print", "Start again"):
        assert label in text
    assert "talk to a professional today" not in text
    assert "Help is there for you now" not in text
    assert "normal" not in text.lower()


def test_a_low_total_still_invites_a_conversation(client, epds):
    zero_scores = indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0))
    response = client.post("/", data=answers_form(zero_scores))
    assert total_score(response) == "0"
    text = visible_text(response)
    assert "Below the usual screening threshold" in text
    assert "please still talk to someone" in text


def test_item_10_shows_the_safety_message_first_whatever_the_total(make_app, epds):
    open_now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday, 14:00 in Kyiv
    client = make_app(CLOCK=lambda: open_now).test_client()
    scores = dict.fromkeys(range(1, 10), 0) | {10: 1}
    response = client.post("/", data=answers_form(indexes_for_scores(epds, scores)))
    assert total_score(response) == "1"
    body = response.get_data(as_text=True)
    main = body[body.index('<main id="main"') :]
    first_element = re.search(r"<main[^>]*>\s*<(\w+)[^>]*>", main)
    assert first_element[0].endswith(
        '<section class="safety" role="alert" aria-labelledby="safety-title">'
    )
    text = visible_text(response)
    assert "Please talk to someone now" in text
    assert 'href="tel:+380737308088"' in body
    assert "Call 103 or 112 now" in text
    assert "Call 7333 (Lifeline Ukraine) to talk to someone now, day or night" in text


def test_result_page_carries_only_its_result_code_for_the_pdf(client):
    response = client.post("/", data=answers_form({n: n % 4 for n in range(1, 11)}))
    page = response.get_data(as_text=True)
    hidden = hidden_fields(page)
    assert set(hidden) == {"csrf_token", "result_code", "page"}
    assert hidden["result_code"] == re.search(r'id="result-code">([^<]+)<', page)[1]


def test_pdf_download_is_a_one_page_attachment_with_the_answers(app, client, epds, tmp_path):
    answers = {n: n % 4 for n in range(1, 11)}
    response = client.post("/result.pdf", data=result_code_form(app, answers))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="epds-result-2026-11-20.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store, no-transform"
    text = pdf_text(response.data, tmp_path)
    for number, index in answers.items():
        assert epds.item(number).options[index].label in text
    assert "20 November 2026, 11:30 (Europe/Kyiv)" in text


RE_POST_ROUTES = ["/result.pdf", "/result.fhir.json", "/language"]


@pytest.mark.parametrize("path", RE_POST_ROUTES)
@pytest.mark.parametrize(
    "completed_at",
    ["2026-11-20T09:30:00+00:00", "2023-12-31T23:59:00+00:00", "0001-01-01T00:00:00+23:59"],
)
def test_re_posted_answers_and_completion_times_are_refused(client, path, completed_at):
    """The server signs only what it attested: raw answers and a time are not a result code."""
    data = answers_form(all_first_options()) | {"completed_at": completed_at}
    response = client.post(path, data=data | {"lang": "uk", "page": "result"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", RE_POST_ROUTES)
def test_every_single_character_change_of_the_code_is_refused(app, client, path):
    code = result_code_form(app, all_first_options())["result_code"]
    refused = set()
    for position, original in enumerate(code):
        if original == "-" or position < len("EPDS-"):
            continue  # the prefix is optional and hyphens are ignored
        for replacement in ALPHABET:
            if replacement != original:
                changed = code[:position] + replacement + code[position + 1 :]
                response = client.post(
                    path, data={"result_code": changed, "lang": "en", "page": "result"}
                )
                refused.add(response.status_code)
                assert "This result code was not accepted" in response.get_data(as_text=True)
    assert refused == {400}


@pytest.mark.parametrize("path", RE_POST_ROUTES)
def test_a_re_post_shows_the_time_the_code_holds_not_one_sent_beside_it(app, client, path):
    data = result_code_form(app, all_first_options()) | {
        "completed_at": "2025-01-01T00:00:00+00:00",
        "lang": "en",
        "page": "result",
    }
    body = client.post(path, data=data).get_data()
    assert b"2025-01-01" not in body and b"1 January 2025" not in body


def test_an_altered_code_gets_intake_s_message(app, client):
    code = result_code_form(app, all_first_options())["result_code"]
    changed = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = client.post("/result.pdf", data={"result_code": changed})
    assert response.status_code == 400
    assert "This code has a typing mistake" in visible_text(response)


def test_health(client):
    response = client.get("/health")
    assert (response.status_code, response.data) == (200, b"ok")


def test_health_says_when_the_limits_fell_back_to_memory_and_still_answers_200(make_app):
    app = make_app(
        RATELIMIT_STORAGE_URI="redis+unix:///nonexistent/redis.sock",
        INTAKE_RATE_LIMIT="5 per minute",
    )
    client = app.test_client()
    # Asked of the store itself (its public check()), so said before any limited request has
    # found it gone: flask-limiter's own flag, read before, said "ok" here.
    response = client.get("/health")
    assert (response.status_code, response.data) == (200, b"ok\nstorage: memory-fallback")
    assert client.post("/intake", data={"code": "EPDS-0000"}).status_code == 400  # falls back
    response = client.get("/health")
    assert (response.status_code, response.data) == (200, b"ok\nstorage: memory-fallback")
    # The next app's store is its own: it starts as reachable.
    assert make_app().test_client().get("/health").data == b"ok"


def test_health_through_the_proxy_never_says_that_the_limits_fell_back(make_app):
    # The public /health (through Caddy, which adds X-Forwarded-For) told anyone when guessing
    # had become N workers times cheaper; Caddy's own checks go to the sockets without it.
    client = make_app(RATELIMIT_STORAGE_URI="redis+unix:///nonexistent/redis.sock").test_client()
    for forwarded in ("203.0.113.7", "203.0.113.7, 10.0.0.1", ""):
        response = client.get("/health", headers={"X-Forwarded-For": forwarded})
        assert (response.status_code, response.data) == (200, b"ok")
    assert client.get("/health").data == b"ok\nstorage: memory-fallback"


class StallingStore:
    """A rate-limit store whose ping stalls (as a stopped Redis does, up to the timeout) and
    then fails, counting its pings."""

    def __init__(self) -> None:
        self.pings = 0
        self.answers = False

    def check(self) -> bool:
        self.pings += 1
        time.sleep(0.05)
        return self.answers


def test_health_pings_a_stalled_store_at_most_once_a_second(make_app, monkeypatch):
    # Each /health pinged the store: with Redis stalled, every one held a sync worker for
    # RATELIMIT_STORAGE_TIMEOUT, and a /health flood slowed the questionnaire to 0.5-2 s.
    from screening.web import extensions

    client = make_app().test_client()
    store = StallingStore()
    monkeypatch.setattr(extensions.limiter, "_storage", store)
    assert extensions.limiter.storage is store
    clock = [1000.0]
    monkeypatch.setattr(extensions, "monotonic", lambda: clock[0], raising=False)
    for _ in range(20):
        response = client.get("/health")
        assert response.data == b"ok\nstorage: memory-fallback"
        clock[0] += 0.04  # 20 requests within 0.8 s
    assert store.pings == 1
    # The store is back: said within the second, by the next ping.
    store.answers = True
    clock[0] += 0.3
    assert client.get("/health").data == b"ok"
    assert store.pings == 2
    for _ in range(10):
        assert client.get("/health").data == b"ok"
    assert store.pings == 2


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/nowhere", 404), ("get", "/result.pdf", 405), ("put", "/", 405)],
)
def test_error_pages_are_styled_and_keep_the_clinic_contacts(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    text = visible_text(response)
    assert "<title>Error: " in response.get_data(as_text=True)
    assert "+380 7373 080 88" in text and "Go to the questionnaire" in text


def test_a_low_band_under_the_safety_message_points_back_to_it(client, epds):
    scores = dict.fromkeys(range(1, 10), 0) | {10: 1}
    text = visible_text(client.post("/", data=answers_form(indexes_for_scores(epds, scores))))
    assert "Your answer to question 10 needs attention now" in text
    assert "Below the usual screening threshold" not in text
    assert "your answer to question 10 matters most" in text
    calm = visible_text(
        client.post(
            "/", data=answers_form(indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0)))
        )
    )
    assert "matters most" not in calm


@pytest.mark.parametrize("path", RE_POST_ROUTES)
def test_re_posts_refuse_version_1_codes_whose_short_mac_only_intake_rate_limits(make_app, path):
    client = make_app(SECRET_KEY="one secret").test_client()
    version_1 = {"result_code": "EPDS-443S-3MV3-CD28-0NT6", "lang": "en", "page": "result"}
    response = client.post(path, data=version_1)
    assert response.status_code == 400
    assert "for a different questionnaire or version" in visible_text(response)
    assert client.post("/intake", data={"code": version_1["result_code"]}).status_code == 200


def test_pages_link_under_the_prefix_of_their_own_request(client):
    """One process mounted under two prefixes: every page's links follow its own request."""
    for prefix, other in (("/clinic-a", "/clinic-b"), ("/clinic-b", "/clinic-a")):
        page = client.get("/", base_url=f"http://localhost{prefix}/").get_data(as_text=True)
        assert f'href="{prefix}/about"' in page
        assert other not in page


@pytest.mark.parametrize("route", ["/result.pdf", "/result.fhir.json", "/language"])
def test_a_re_post_without_a_valid_csrf_token_keeps_every_answer(make_app, route):
    """Found by the attack run: a stale or missing token on a re-post gave a 500."""
    app = make_app(WTF_CSRF_ENABLED=True)
    answers = dict.fromkeys(range(1, 11), 1)
    data = result_code_form(app, answers) | {"page": "result", "lang": "en"}
    response = app.test_client().post(route, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert checked_items(page) == 10
    assert "could not be sent safely" in page


@pytest.mark.parametrize("route", ["/result.pdf", "/result.fhir.json", "/language"])
def test_re_posts_refuse_a_code_older_than_the_maximum_age(make_app, route):
    """Found by the attack run: RESULT_CODE_MAX_AGE_DAYS held at intake but not on re-posts."""
    app = make_app(RESULT_CODE_MAX_AGE_DAYS=30)
    old = datetime(2025, 10, 25, 9, 30, tzinfo=UTC)
    data = result_code_form(app, all_first_options(), old) | {"page": "result", "lang": "en"}
    response = app.test_client().post(route, data=data)
    assert response.status_code == 400
    assert "days old" in response.get_data(as_text=True)


def test_the_readme_says_the_maximum_age_holds_on_the_re_posts_too():
    """Issue 25, item 14: the README said the PDF and FHIR downloads ignore the maximum age,
    which the code (test above) applies everywhere."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("`RESULT_CODE_MAX_AGE_DAYS` (default") :].split("\n\n")[0]
    assert "not limited" not in paragraph
    for route in ("intake", "the PDF", "FHIR", "language"):
        assert route in paragraph, route


# The blank questionnaire is rendered once per language; only its token and open-now line vary.


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', page)[1]


@pytest.mark.parametrize("language", ["en", "uk"])
def test_the_blank_questionnaire_is_a_fresh_render_but_for_its_own_token(make_app, language):
    app = make_app(WTF_CSRF_ENABLED=True)
    first, second = app.test_client(), app.test_client()
    pages_served = [
        client.get(f"/?lang={language}").get_data(as_text=True) for client in (first, second)
    ]
    with app.test_request_context(f"/?lang={language}"):
        fresh = _questionnaire_html({})
    assert token_of(pages_served[0]) != token_of(pages_served[1])
    assert {page.replace(token_of(page), "") for page in pages_served} == {
        fresh.replace(token_of(fresh), "")
    }


def test_the_blank_questionnaire_says_whether_the_clinic_is_open_now(make_app):
    now = [datetime(2026, 11, 23, 12, 0, tzinfo=UTC)]  # a Monday, 14:00 in Kyiv
    client = make_app(CLOCK=lambda: now[0]).test_client()
    open_page = client.get("/?lang=en").get_data(as_text=True)
    now[0] = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 22:00 in Kyiv
    closed_page = client.get("/?lang=en").get_data(as_text=True)
    assert "The clinic is open now" in open_page
    assert "The clinic is closed now" in closed_page and "@@" not in closed_page
