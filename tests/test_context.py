"""The optional question before the items (pregnant, gave birth in the past year, prefer not to
say, with weeks): on the questionnaire, its checks, and where the answer shows (result page, PDF,
intake, series) without ever changing the score."""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from flask_babel import force_locale, ngettext
from flask_babel import gettext as babel_gettext

from screening.codes.codec import decode, encode
from screening.core.context import (
    NOT_ASKED,
    NOT_GIVEN,
    WEEKS,
    Context,
    Status,
    describe,
    every_context,
)
from screening.core.marks import english, english_plural
from screening.documents.qr import QUIET_ZONE, qr_runs
from screening.web.forms import WEEKS_FIELDS, weeks_value
from screening.web.i18n import LANGUAGES
from tests.helpers import indexes_for_scores, pdf_text, result_code_form, scanned_qr, visible_text
from tools.old_codes import encode_v2
from tools.testkit import answers_form, codes_for_series, context_form, hidden_fields

ANSWERS = {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 2, 7: 3, 8: 0, 9: 1, 10: 0}
PREGNANT_24 = Context(Status.PREGNANT, 24)
POSTPARTUM_6 = Context(Status.POSTPARTUM, 6)
PREFER_NOT = Context(Status.PREFER_NOT_TO_SAY)
# Each answer with what the clinician's side says and what the patient's page repeats (None:
# the patient's page says nothing of it).
SHOWN = [
    (NOT_GIVEN, "not given", None),
    (PREFER_NOT, "prefer not to say", None),
    (Context(Status.PREGNANT), "pregnant", "pregnant"),
    (PREGNANT_24, "pregnant, 24 weeks", "pregnant, 24 weeks"),
    (Context(Status.PREGNANT, 1), "pregnant, 1 week", "pregnant, 1 week"),
    (Context(Status.POSTPARTUM), "gave birth in the past year", "gave birth in the past year"),
    (Context(Status.POSTPARTUM, 0), "gave birth less than a week ago", "gave birth less than"),
    (POSTPARTUM_6, "gave birth 6 weeks ago", "gave birth 6 weeks ago"),
    (Context(Status.POSTPARTUM, 52), "gave birth 52 weeks ago", "gave birth 52 weeks ago"),
]


def submit(client, context: Context = NOT_GIVEN, answers=ANSWERS, language: str = "en"):
    return client.post(f"/?lang={language}", data=answers_form(answers) | context_form(context))


def code_of(page) -> str:
    return re.search(r'id="result-code">([^<]+)<', page.get_data(as_text=True))[1]


def told_us(page) -> str | None:
    found = re.search(r'<p class="context-given">([^<]*)</p>', page.get_data(as_text=True))
    return html.unescape(found[1]) if found else None


def clinician_says(page) -> str:
    text = page.get_data(as_text=True)
    return html.unescape(re.search(r"<dt>Pregnancy or birth</dt>\s*<dd>([^<]*)</dd>", text)[1])


# The questionnaire.


def test_the_question_stands_above_the_stem_outside_the_items(client, epds):
    page = client.get("/").get_data(as_text=True)
    question = page.index('<fieldset id="context"')
    end = page.index("</fieldset>", question)
    assert question < end < page.index(html.escape(epds.preamble, quote=True)[:40])
    items = page.index('<div lang="en">')
    assert end < items < page.index('<fieldset id="question-1"')
    block = page[question:end]
    assert (
        "<legend>Are you pregnant now, or have you given birth in the past year?</legend>" in block
    )
    assert "<fieldset" not in block[1:]  # no item inside it, and it inside no item


def test_the_question_is_accessible_without_script(client):
    page = client.get("/").get_data(as_text=True)
    block = page[page.index('<fieldset id="context"') : page.index("</fieldset>")]
    assert 'aria-describedby="context-hint"' in block and 'id="context-hint"' in block
    labels = dict(re.findall(r'<label for="([^"]+)">([^<]+)</label>', block))
    assert labels == {
        "context-0": "Yes, I am pregnant",
        "context-1": "Yes, I have given birth in the past year",
        "context-2": "My pregnancy ended, or my baby died, in the past year",
        "context-3": "Neither of these",
        "context-4": "I prefer not to say",
        "context_weeks_pregnant": "Weeks of pregnancy (optional)",
        "context_weeks_postpartum": "Weeks since the birth, roughly (optional)",
    }
    for name in ("context_weeks_pregnant", "context_weeks_postpartum"):
        assert re.search(rf'<select[^>]*id="{name}"[^>]*>', block)
    # Only the hidden "not answered" choice starts checked: no visible answer is chosen for them.
    assert re.findall(r"<input[^>]*checked[^>]*>", block) == [
        '<input type="radio" name="context" value="skip" hidden checked>'
    ]
    assert "required" not in block
    assert "<script" not in block


def test_answering_nothing_in_it_needs_nothing_more(client):
    page = submit(client)
    assert page.status_code == 200
    assert told_us(page) is None
    assert "Pregnancy or birth" not in visible_text(page)
    restored = client.post("/intake", data={"code": code_of(page)})
    assert clinician_says(restored) == "not given"


@pytest.mark.parametrize(("context", "clinician", "patient"), SHOWN)
def test_each_answer_shows_on_the_result_page_and_at_intake(client, context, clinician, patient):
    page = submit(client, context)
    assert page.status_code == 200
    said = told_us(page)
    assert (said is None) if patient is None else (patient in said)
    restored = client.post("/intake", data={"code": code_of(page)})
    assert clinician_says(restored) == clinician


@pytest.mark.parametrize("context", [PREGNANT_24, POSTPARTUM_6, PREFER_NOT])
def test_the_pdf_and_the_language_switch_keep_the_answer_from_the_code_alone(
    client, context, tmp_path
):
    page = submit(client, context)
    fields = hidden_fields(page.get_data(as_text=True))
    assert set(fields) == {"csrf_token", "result_code", "page"}  # "page": the language switch's
    text = pdf_text(client.post("/result.pdf", data=fields).data, tmp_path)
    wording = describe(context, english, english_plural)
    assert re.search(rf"Pregnancy or birth\s+{re.escape(wording)}", text), text
    switched = client.post("/language", data=fields | {"lang": "uk", "page": "result"})
    assert switched.status_code == 200
    with client.application.test_request_context(), force_locale("uk"):
        ukrainian = describe(context, babel_gettext, ngettext)
    if context.status is Status.PREFER_NOT_TO_SAY:
        assert told_us(switched) is None
    else:
        assert ukrainian in told_us(switched)


@pytest.mark.parametrize("context", [NOT_GIVEN, PREGNANT_24, POSTPARTUM_6, PREFER_NOT])
def test_the_answer_never_changes_the_score_or_the_band(client, epds, context):
    plain = submit(client).get_data(as_text=True)
    given = submit(client, context).get_data(as_text=True)

    def score_and_band(page: str) -> tuple[str, str]:
        total = re.search(r'id="total-score">(\d+)<', page)[1]
        return total, re.search(r'<h2 id="band-title">([^<]+)</h2>', page)[1]

    assert score_and_band(given) == score_and_band(plain)


WEEKS_ERRORS = [
    ("preg", {"context_weeks_pregnant": "43"}, "context_weeks_pregnant", "from 1 to 42"),
    ("preg", {"context_weeks_pregnant": "0"}, "context_weeks_pregnant", "from 1 to 42"),
    ("preg", {"context_weeks_pregnant": "2.5"}, "context_weeks_pregnant", "whole number"),
    ("preg", {"context_weeks_pregnant": "24 wks"}, "context_weeks_pregnant", "whole number"),
    ("preg", {"context_weeks_pregnant": "-3"}, "context_weeks_pregnant", "whole number"),
    ("post", {"context_weeks_postpartum": "53"}, "context_weeks_postpartum", "0 to 52"),
    ("post", {"context_weeks_postpartum": "x"}, "context_weeks_postpartum", "0 to 52"),
    ("", {"context_weeks_pregnant": "20"}, "context_weeks_pregnant", "Yes, I am pregnant"),
    ("post", {"context_weeks_pregnant": "20"}, "context_weeks_pregnant", "I am pregnant"),
    (
        "decl",
        {"context_weeks_postpartum": "3"},
        "context_weeks_postpartum",
        "Yes, I have given birth in the past year",
    ),
    (
        "preg",
        {"context_weeks_pregnant": "20", "context_weeks_postpartum": "3"},
        "context_weeks_postpartum",
        "To give the weeks since the birth",
    ),
]


@pytest.mark.parametrize(("choice", "weeks", "field", "message"), WEEKS_ERRORS)
def test_bad_weeks_come_back_400_with_the_message_by_the_box_and_every_answer_kept(
    client, choice, weeks, field, message
):
    data = answers_form(ANSWERS) | weeks | ({"context": choice} if choice else {})
    response = client.post("/", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert message in html.unescape(error[1])
    box = re.search(rf'<select[^>]*id="{field}"[^>]*>', page)[0]
    assert f'aria-describedby="{field}-error"' in box and 'aria-invalid="true"' in box
    assert f'href="#{field}"' in page  # the error summary links to the box
    kept = dict(re.findall(r'name="(item_\d+)" value="(\d)" checked', page))
    assert kept == {f"item_{n}": str(i) for n, i in ANSWERS.items()}
    for name, typed in weeks.items():
        # A week the list offers is chosen again; anything else (only a tampered post can
        # send it) leaves the list at "not given".
        chosen = re.findall(r'<option value="(\d\d)" selected>', select_of(page, name))
        offered = {weeks_value(week) for week in WEEKS[FIELD_STATUS[name]]}
        kept = weeks_value(int(typed)) if typed.isdigit() else None
        assert chosen == ([kept] if kept in offered else [])
    if choice:
        assert re.search(rf'value="{choice}" checked', page)


FIELD_STATUS = {name: status for status, name in WEEKS_FIELDS.items()}


def select_of(page: str, name: str) -> str:
    """The weeks list ``name`` with its options."""
    return re.search(rf'<select[^>]*id="{name}".*?</select>', page, re.S)[0]


def test_a_choice_that_is_none_of_them_comes_back_400_linked_to_the_question(client):
    response = client.post("/", data=answers_form(ANSWERS) | {"context": "twins"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not one of its choices" in page
    assert 'aria-describedby="context-hint context-error"' in page
    assert 'href="#context-0"' in page
    assert len(re.findall(r'name="item_\d+" value="\d" checked', page)) == 10


def test_a_missing_item_keeps_the_answer_to_the_question_too(client):
    data = answers_form({1: 0, 2: 1}) | context_form(PREGNANT_24)
    response = client.post("/", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="preg" checked' in page
    assert '<option value="24" selected>' in select_of(page, "context_weeks_pregnant")
    assert "context-error" not in page and "context_weeks_pregnant-error" not in page


@pytest.mark.parametrize(
    ("fields", "context"),
    [
        ({"context": "preg", "context_weeks_pregnant": "1"}, Context(Status.PREGNANT, 1)),
        ({"context": "preg", "context_weeks_pregnant": " 42 "}, Context(Status.PREGNANT, 42)),
        ({"context": "preg", "context_weeks_pregnant": "07"}, Context(Status.PREGNANT, 7)),
        ({"context": "post", "context_weeks_postpartum": "00"}, Context(Status.POSTPARTUM, 0)),
        ({"context": "post", "context_weeks_postpartum": "52"}, Context(Status.POSTPARTUM, 52)),
        ({"context": "post", "context_weeks_postpartum": "--"}, Context(Status.POSTPARTUM)),
        ({"context": "post", "context_weeks_postpartum": "  "}, Context(Status.POSTPARTUM)),
        ({"context": "decl"}, PREFER_NOT),
        ({"context": "loss"}, Context(Status.LOSS)),
        ({"context": "skip", "context_weeks_pregnant": "--"}, NOT_GIVEN),
        ({"context_weeks_pregnant": "", "context_weeks_postpartum": ""}, NOT_GIVEN),
    ],
)
def test_every_edge_of_the_weeks_is_accepted_and_sealed_in_the_code(client, app, fields, context):
    response = client.post("/", data=answers_form(ANSWERS) | fields)
    assert response.status_code == 200
    state = app.extensions["screening"]
    assert decode(code_of(response), state.instrument, state.result_code_key).context == context


def test_switching_language_keeps_the_answer_to_the_question(client):
    data = answers_form({1: 2}) | context_form(POSTPARTUM_6) | {"lang": "ru", "page": "x"}
    response = client.post("/language", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="post" checked' in page
    assert '<option value="06" selected>' in select_of(page, "context_weeks_postpartum")
    assert "error-summary" not in page


def test_a_re_post_without_a_valid_csrf_token_fills_the_question_in_again(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    data = result_code_form(app, ANSWERS, context=PREGNANT_24) | {"page": "result", "lang": "en"}
    response = client.post("/language", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="preg" checked' in page
    assert '<option value="24" selected>' in select_of(page, "context_weeks_pregnant")


def test_the_access_page_carries_the_answer_on(make_app):
    client = make_app(ACCESS_CODE="MAPLE-2026").test_client()
    posted = answers_form(ANSWERS) | context_form(POSTPARTUM_6)
    refused = client.post("/", data=posted)
    assert refused.status_code == 403
    carried = {k: v for k, v in hidden_fields(refused.text).items() if k != "csrf_token"}
    # Every field of the question carried at its fixed length, the unused list at "not given".
    assert carried == posted | {"context_weeks_pregnant": "--"}
    opened = client.post("/access", data=carried | {"code": "MAPLE-2026"})
    assert opened.status_code == 200
    assert 'value="post" checked' in opened.text


def test_the_answer_reaches_no_url_cookie_or_log_line(client, caplog):
    with caplog.at_level(logging.DEBUG):
        page = submit(client, Context(Status.PREGNANT, 37))
        client.post("/intake", data={"code": code_of(page)})
    assert page.status_code == 200
    assert "37" not in caplog.text and "pregnant" not in caplog.text.lower()
    assert all("pregnant" not in value for _, value in page.headers.items())
    assert 'action="/"' in client.get("/").get_data(as_text=True)


# Codes of the versions before the question.


def test_an_older_code_says_the_question_was_not_asked(client, app):
    state = app.extensions["screening"]
    moment = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    old = encode_v2(state.instrument, ANSWERS, moment, state.result_code_key)
    restored = client.post("/intake", data={"code": old})
    assert restored.status_code == 200
    assert clinician_says(restored) == "not asked (older code)"
    assert told_us(restored) is None


# The series.


def test_the_series_table_and_pdf_show_each_screenings_answer(client, app, epds, tmp_path):
    state = app.extensions["screening"]
    low = indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    contexts = [PREGNANT_24, POSTPARTUM_6, PREFER_NOT]
    codes = [
        *codes_for_series(epds, [ANSWERS, low, ANSWERS], start, contexts),
        encode_v2(epds, low, start + timedelta(days=60), state.result_code_key),
    ]
    page = client.post("/intake", data={"code": "\n".join(codes)}).get_data(as_text=True)
    cells = [
        html.unescape(cell)
        for cell in re.findall(r"<td>([^<]*)</td>\s*<td>(?:[+\-\d]+:|&mdash;)", page)
    ]
    expected = ["pregnant, 24 weeks", "gave birth 6 weeks ago", "prefer not to say"]
    assert cells == [*expected, "not asked (older code)"]
    assert '<th scope="col">Pregnancy or birth</th>' in page
    pdf = client.post("/intake/series.pdf", data={"code": "\n".join(codes)}).data
    text = pdf_text(pdf, tmp_path)
    for wording in ["pregnant, 24", "gave birth 6", "prefer not to say", "not asked (older"]:
        assert wording in text


# The wording.


@pytest.mark.parametrize(
    ("language", "weeks", "expected"),
    [
        ("uk", 1, "вагітність, 1 тиждень"),
        ("uk", 3, "вагітність, 3 тижні"),
        ("uk", 11, "вагітність, 11 тижнів"),
        ("uk", 21, "вагітність, 21 тиждень"),
        ("uk", 24, "вагітність, 24 тижні"),
        ("uk", 25, "вагітність, 25 тижнів"),
        ("ru", 1, "беременность, 1 неделя"),
        ("ru", 22, "беременность, 22 недели"),
        ("ru", 40, "беременность, 40 недель"),
        ("en", 1, "pregnant, 1 week"),
        ("en", 2, "pregnant, 2 weeks"),
    ],
)
def test_weeks_take_each_languages_plural_forms(app, language, weeks, expected):
    with app.test_request_context(), force_locale(language):
        assert describe(Context(Status.PREGNANT, weeks), babel_gettext, ngettext) == expected


def test_every_answer_has_a_wording_in_every_language(app):
    for language in LANGUAGES:
        with app.test_request_context(), force_locale(language):
            for context in [*every_context(), NOT_ASKED]:
                wording = describe(context, babel_gettext, ngettext)
                assert wording and "%" not in wording
                if context.weeks:
                    assert str(context.weeks) in wording


# The QR code carries the longer code.


def test_a_version_3_code_keeps_the_qr_symbol_of_version_2_size(epds, app):
    """31 characters stay within a version-2 QR symbol (25 modules) at error correction M, as the
    version-2 code's 29 did: a scanner reads it as before."""
    state = app.extensions["screening"]
    moment = datetime(2026, 11, 28, 23, 59, tzinfo=UTC)
    longest = max(
        (encode(epds, ANSWERS, moment, state.result_code_key, c) for c in every_context()),
        key=len,
    )
    old = encode_v2(epds, ANSWERS, moment, state.result_code_key)
    assert qr_runs(longest)[0] == qr_runs(old)[0] == 25 + 2 * QUIET_ZONE


def test_the_pdf_qr_of_a_code_with_context_scans_to_that_code(client, app, tmp_path):
    page = submit(client, Context(Status.POSTPARTUM, 52))
    fields = hidden_fields(page.get_data(as_text=True))
    scanned = scanned_qr(client.post("/result.pdf", data=fields).data, tmp_path)
    assert scanned == code_of(page)
    state = app.extensions["screening"]
    restored = decode(scanned, state.instrument, state.result_code_key)
    assert restored.context == Context(Status.POSTPARTUM, 52)


# The FHIR export (tests/test_fhir.py has the Observations themselves).


def observations(bundle: dict) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]


def test_the_export_carries_the_context_its_code_holds(app, client):
    fields = result_code_form(app, ANSWERS, context=Context(Status.POSTPARTUM, 10))
    bundle = client.post("/result.fhir.json", data=fields).get_json()
    Bundle.model_validate(bundle)
    *_, weeks = observations(bundle)
    assert weeks["valueQuantity"]["value"] == 10
    plain = client.post("/result.fhir.json", data=result_code_form(app, ANSWERS)).get_json()
    assert len(observations(plain)) == 4  # panel, total, item-10 flag, EPDS-3A


def test_control_characters_typed_in_a_weeks_box_do_not_come_back(client):
    form = answers_form(dict.fromkeys(range(1, 11), 0))
    form |= {"context": "preg", "context_weeks_pregnant": "2\x004\x07"}
    response = client.post("/", data=form)
    assert response.status_code == 200  # read as 24 weeks
    assert "\x00" not in response.get_data(as_text=True)
    response = client.post("/", data=form | {"context_weeks_pregnant": "x\x00y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "\x00" not in page and "context_weeks_pregnant-error" in page
