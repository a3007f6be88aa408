"""Screenings entered by staff (issue 26, section 4): a paper form or an interview entered at
/intake/entry gives the same total, band, flag and code as the same answers online, its page,
PDF and FHIR say the mode, a missing answer keeps the others, the page is staff-only and
rate-limited, and nothing is stored. Local cut-offs (section 1) are named when the clinic turns
them on."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from screening.codes.codec import decode
from screening.core.administration import Mode
from screening.core.context import Context, Status
from tests.helpers import checked_items, indexes_for_scores, pdf_text, visible_text
from tests.pseudo_translation import cyrillic_pseudo_translation, write_translation
from tools.testkit import (
    STAFF_PASSWORD,
    STAFF_PASSWORD_HASH,
    answers_form,
    context_form,
    hidden_fields,
)

ANSWERS = {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 2, 7: 3, 8: 0, 9: 1, 10: 2}
MODE_WORDS = {
    "paper": "Paper form, entered by staff",
    "interview": "Interview: items read aloud by a clinician or interpreter",
}
CUT_OFF = {
    "min_total": 11,
    "meaning": "probable depression in the test population",
    "source": "Test fixture validation study, not real",
}


def from_this_site(app):
    """A test client whose posts say, as a browser's do, that they come from the site's own
    pages (Sec-Fetch-Site): an entry is carried through the sign-in only then."""
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    return client


def entered(client, mode: str, answers=ANSWERS, language: str = "en", **fields: str):
    data = answers_form(answers) | {"mode": mode, "items_language": language} | fields
    return client.post("/intake/entry", data=data)


def facts(page: str) -> tuple[str, str, bool]:
    """The total, the band's heading and whether the safety message is on the page."""
    total = re.search(r'id="total-score">(\d+)<', page)[1]
    band = re.search(r'<h2 id="band-title">([^<]+)<', page)[1]
    return total, band, "Please talk to someone now" in page


def test_the_intake_page_links_the_entry_next_to_the_blank_form(client):
    page = client.get("/intake").get_data(as_text=True)
    assert page.index('id="blank-form"') < page.index('id="entry-links"')
    assert 'href="/intake/entry?mode=paper"' in page
    assert 'href="/intake/entry?mode=interview"' in page


def test_the_entry_page_is_the_questionnaires_items_with_the_chosen_mode(client, epds):
    page = client.get("/intake/entry?mode=interview").get_data(as_text=True)
    assert hidden_fields(page)["mode"] == "interview"
    assert hidden_fields(page)["items_language"] == "en"
    assert re.search(r'<input type="radio" id="setup-mode-interview"[^>]*checked', page)
    for item in epds.items:
        assert item.text in page
        assert f'name="item_{item.number}" value="{len(item.options) - 1}"' in page
    assert 'name="context"' in page  # the question before the items too
    assert "keys 0 to 3 choose the first to the fourth answer in the order the paper form" in page
    assert "The score is added up here, and nothing is stored." in page


def test_an_unknown_mode_or_language_in_the_address_gets_the_paper_form_in_english(client):
    fields = hidden_fields(client.get("/intake/entry?mode=online&items=xx").get_data(as_text=True))
    assert fields["mode"] == "paper" and fields["items_language"] == "en"


@pytest.mark.parametrize("mode", ["paper", "interview"])
def test_an_entry_gives_the_same_result_and_code_as_the_same_answers_online(client, app, mode):
    online = client.post("/", data=answers_form(ANSWERS)).get_data(as_text=True)
    response = entered(client, mode)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store, no-transform"
    page = response.get_data(as_text=True)
    assert facts(page) == facts(online)
    assert "Screening result, entered by staff" in page
    assert f"Mode: {MODE_WORDS[mode]}" in " ".join(visible_text(page).split())
    state = app.extensions["screening"]
    with app.test_request_context():
        codes = [
            decode(hidden_fields(p)["result_code"], state.instrument, state.result_code_key)
            for p in (page, online)
        ]
    assert codes[0].answers == codes[1].answers == ANSWERS
    assert codes[0].read_in == codes[1].read_in == "en"
    # Result code version 5 seals the mode: the entry's, and the patient's own page's online.
    assert (codes[0].mode, codes[1].mode) == (Mode(mode), Mode.ONLINE)


@pytest.mark.parametrize("mode", ["paper", "interview"])
def test_an_entrys_pdf_and_fhir_say_the_mode(client, mode, tmp_path):
    fields = hidden_fields(entered(client, mode).get_data(as_text=True))
    assert set(fields) >= {"result_code"} and "mode" not in fields  # sealed in the code
    text = " ".join(pdf_text(client.post("/result.pdf", data=fields).data, tmp_path).split())
    assert f"Mode: {MODE_WORDS[mode]}" in text
    bundle = client.post("/result.fhir.json", data=fields).get_json()
    response = bundle["entry"][0]["resource"]
    assert response["resourceType"] == "QuestionnaireResponse"
    [coding] = [
        extension["valueCoding"]
        for extension in response["extension"]
        if extension["url"].endswith("administration-mode")
    ]
    assert (coding["code"], coding["display"]) == (mode, MODE_WORDS[mode])
    online = hidden_fields(client.post("/", data=answers_form(ANSWERS)).get_data(as_text=True))
    online_text = " ".join(pdf_text(client.post("/result.pdf", data=online).data, tmp_path).split())
    assert "Mode: Self-completed online" in online_text


def test_the_entry_page_asks_the_question_before_the_items_of_staff(client):
    """Staff enter the patient's answer: the page does not address them as the patient (second
    read, 2026-12-04); the patient's own questionnaire still asks her."""
    page = client.get("/intake/entry?mode=paper").get_data(as_text=True)
    assert "The patient's answer: pregnant now, or given birth in the past year?" in page
    assert "Are you pregnant now" not in page and "your score" not in page
    assert "Are you pregnant now, or have you given birth in the past year?" in client.get("/").text


def test_a_missing_answer_brings_the_form_back_with_every_other_answer_kept(client):
    answers = {n: a for n, a in ANSWERS.items() if n != 3}
    context = context_form(Context(Status.PREGNANT, 20))
    response = entered(client, "interview", answers, **context)
    assert response.status_code == 400  # as the online form
    page = response.get_data(as_text=True)
    assert "Choose an answer for question 3" in page
    assert checked_items(page) == 9
    for number, index in answers.items():
        assert f'name="item_{number}" value="{index}" checked' in page
    assert 'value="preg" checked' in page
    fields = hidden_fields(page)
    assert (fields["mode"], fields["items_language"]) == ("interview", "en")


def test_a_mode_that_is_not_a_choice_is_said_and_the_answers_kept(client):
    response = entered(client, "online")  # online is the patient's own page, never entered
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "was not one of the choices" in page and 'href="#entry-setup"' in page
    assert checked_items(page) == 10


def test_a_positive_item_10_entered_by_staff_brings_the_crisis_wording(client, epds):
    answers = indexes_for_scores(epds, dict.fromkeys(range(1, 10), 0) | {10: 1})
    page = entered(client, "paper", answers).get_data(as_text=True)
    assert "Please talk to someone now" in page
    assert page.index('class="safety"') < page.index("<h1>")


@pytest.fixture
def staff_app(make_app):
    return make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH)


def test_the_entry_page_needs_the_staff_sign_in(staff_app):
    client = from_this_site(staff_app)
    page = client.get("/intake/entry?mode=paper").get_data(as_text=True)
    assert "Staff password" in page and "item_1" not in page
    posted = entered(client, "paper")
    assert posted.status_code == 403
    assert "This entry was not processed" in posted.get_data(as_text=True)
    assert 'id="total-score"' not in posted.get_data(as_text=True)
    client.post("/staff/sign-in", data={"password": STAFF_PASSWORD})
    assert entered(client, "paper").status_code == 200


def test_an_entry_posted_after_the_sign_in_ended_is_carried_through_the_sign_in(make_app, caplog):
    """Signed out in another tab (a Redis restart or STAFF_SIGN_IN_HOURS does the same) while
    typing a paper form: the sign-in page says the entry was not saved and carries it in its
    own form, never a URL; CSRF still guards the sign-in; after it the entry form is back with
    everything typed, not yet scored."""
    app = make_app(WTF_CSRF_ENABLED=True, STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH)
    client = from_this_site(app)

    def sign_in(fields: dict[str, str], password: str = STAFF_PASSWORD):
        return client.post("/staff/sign-in", data=fields | {"password": password})

    sign_in(hidden_fields(client.get("/staff/sign-in").get_data(as_text=True)))
    token = hidden_fields(client.get("/intake/entry").get_data(as_text=True))["csrf_token"]
    assert client.post("/staff/sign-out").status_code == 303
    caplog.set_level("DEBUG")
    typed = {"context": "post", "context_weeks_postpartum": "07", "csrf_token": token}
    ended = entered(client, "interview", **typed)
    page = ended.get_data(as_text=True)
    assert ended.status_code == 403 and "This entry was not processed" in page
    assert 'id="total-score"' not in page
    carried = hidden_fields(page)
    assert {f"item_{n}": str(index) for n, index in ANSWERS.items()}.items() <= carried.items()
    assert carried["mode"] == "interview" and carried["context_weeks_postpartum"] == "07"
    assert re.search(r'<form method="post" action="/staff/sign-in"', page)
    # A wrong password, or a sign-in post without its token, keeps carrying it.
    wrong = sign_in(carried, "not the password")
    assert wrong.status_code == 403 and hidden_fields(wrong.get_data(as_text=True)) == carried
    forged = sign_in(carried | {"csrf_token": "forged"})
    assert forged.status_code == 400 and "item_10" in hidden_fields(forged.get_data(as_text=True))
    assert 'id="password"' in client.get("/intake").get_data(as_text=True)  # not signed in
    back = sign_in(carried)
    form = back.get_data(as_text=True)
    assert back.status_code == 200 and 'action="/intake/entry"' in form
    assert checked_items(form) == 10 and '<option value="07" selected>' in form
    assert 'id="total-score"' not in form and "Location" not in back.headers
    again = hidden_fields(form) | answers_form(ANSWERS) | {"context": "post"}
    again["context_weeks_postpartum"] = "07"
    result = client.post("/intake/entry", data=again)
    assert result.status_code == 200 and 'id="total-score"' in result.get_data(as_text=True)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "item_" not in logged and "context_weeks" not in logged


def test_a_carried_entry_stays_carried_past_the_sign_in_limit(make_app):
    app = make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH, STAFF_SIGN_IN_RATE_LIMIT="1 per hour")
    client = from_this_site(app)
    carried = hidden_fields(entered(client, "paper").get_data(as_text=True))
    assert client.post("/staff/sign-in", data=carried | {"password": "typo"}).status_code == 403
    limited = client.post("/staff/sign-in", data=carried | {"password": STAFF_PASSWORD})
    page = limited.get_data(as_text=True)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3600"
    assert hidden_fields(page) == carried and "This entry was not processed" in page
    assert re.search(r"You can send it again after \d\d:\d\d\.", page)


def test_entries_are_rate_limited(make_app):
    client = make_app(INTAKE_RATE_LIMIT="3 per minute").test_client()
    statuses = [entered(client, "paper").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("language", ["en", "uk", "ru"])
def test_an_entry_over_the_limit_comes_back_with_everything_typed_and_when_to_send_it(
    make_app, language
):
    """A clinic behind one address shares INTAKE_RATE_LIMIT: the entry typed from a paper form
    comes back as it was posted, saying in staff's words when it can go, and never leads to
    the patient's questionnaire."""
    client = make_app(INTAKE_RATE_LIMIT="1 per minute").test_client()
    assert entered(client, "interview").status_code == 200
    weeks = {"context": "post", "context_weeks_postpartum": "07"}
    client.set_cookie("lang", language)
    limited = entered(client, "interview", **weeks)
    page = limited.get_data(as_text=True)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert checked_items(page) == 10
    for number, index in ANSWERS.items():
        assert re.search(rf'name="item_{number}" value="{index}"[^>]*checked', page), number
    assert '<option value="07" selected>' in page and 'value="post" checked' in page
    assert 'value="interview" checked' in page
    text = visible_text(page)
    expected = {
        "en": "You can send it again after",
        "uk": "Надіслати ще раз можна буде після",
        "ru": "Отправить ещё раз можно будет после",
    }[language]
    assert re.search(re.escape(expected) + r" \d\d:\d\d\.", text), text[:600]
    assert 'href="/"' not in page and "questionnaire" not in text.lower()


def test_nothing_is_stored(app, client, tmp_path):
    before = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    entered(client, "paper")
    entered(client, "interview", {1: 0})
    after = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    assert after == before


def _with_translation(make_app, epds, tmp_path, **settings):
    data = cyrillic_pseudo_translation(epds)
    data["provenance"]["local_cut_offs"] = [CUT_OFF]
    write_translation(tmp_path / "instance" / "instruments", data)
    return make_app(**settings).test_client()


def test_the_installed_translation_is_a_language_of_administration(make_app, epds, tmp_path):
    client = _with_translation(make_app, epds, tmp_path)
    page = client.get("/intake/entry?mode=paper&items=uk").get_data(as_text=True)
    assert "[хх] пункт 10" in page and epds.item(10).text not in page
    assert 'id="setup-items-en"' in page and 'id="setup-items-uk"' in page
    assert 'id="setup-items-ru"' not in page  # no Russian text installed
    english = client.get("/intake/entry?mode=paper&items=en").get_data(as_text=True)
    assert epds.item(10).text in english


@pytest.mark.parametrize("setting", [True, False])
def test_local_cut_offs_are_named_on_the_page_and_pdf_only_when_the_clinic_uses_them(
    make_app, epds, tmp_path, setting
):
    client = _with_translation(make_app, epds, tmp_path, LOCAL_CUT_OFFS=setting)
    answers = indexes_for_scores(epds, dict.fromkeys(range(1, 10), 2) | {10: 0})  # total 18
    response = entered(client, "paper", answers, language="uk")
    page = response.get_data(as_text=True)
    fields = hidden_fields(page)
    text = " ".join(pdf_text(client.post("/result.pdf", data=fields).data, tmp_path).split())
    note = (
        "a total of 11 or more: probable depression in the test population (Test fixture "
        "validation study, not real). This total, 18, is at or above it."
    )
    assert (note in page) is setting
    assert (note in text) is setting
    assert ("Local cut-off:" in text) is setting
    # The same code restored at intake: the clinician's page names them the same way.
    restored = client.post("/intake", data={"code": fields["result_code"]})
    assert (note in restored.get_data(as_text=True)) is setting
    # And the series page, for its latest screening.
    earlier = indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0))
    first = hidden_fields(entered(client, "paper", earlier, language="uk").get_data(as_text=True))
    codes = f"{first['result_code']}\n{fields['result_code']}"
    series = client.post("/intake", data={"code": codes}).get_data(as_text=True)
    assert "EPDS totals over time" in series
    assert ("Local cut-off:" in series and CUT_OFF["source"] in series) is setting
    # And the series PDF, for its latest screening.
    series_pdf = client.post("/intake/series.pdf", data={"code": codes}).data
    assert ("Local cut-off:" in " ".join(pdf_text(series_pdf, tmp_path).split())) is setting
    # Items in English: a translation's cut-offs never apply.
    english = entered(client, "paper", answers, language="en").get_data(as_text=True)
    assert "Local cut-off" not in english


def test_the_sign_in_carrying_an_entry_uploads_one_length_whatever_the_context(staff_app):
    """The entry form posts the question before the items and both weeks always (a hidden "not
    answered" choice, "--" for no weeks), so its upload says nothing of the answer; the sign-in
    that carries it must not either: an observer sees a request's length to the byte."""
    contexts = [
        {},
        {"context": "skip"},
        {"context": "none"},
        {"context": "loss"},
        {"context": "post"},
        {"context": "post", "context_weeks_postpartum": "07"},
        {"context": "preg", "context_weeks_pregnant": "38"},
        {"context": "preg", "context_weeks_pregnant": "--", "context_weeks_postpartum": "--"},
    ]
    lengths = {}
    for typed in contexts:
        client = from_this_site(staff_app)
        page = entered(client, "paper", **typed).get_data(as_text=True)
        upload = hidden_fields(page) | {"password": STAFF_PASSWORD}
        lengths[str(typed)] = len(urlencode(upload))
    assert len(set(lengths.values())) == 1, lengths


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.localhost"},
        {"Origin": "https://evil.example"},
        {},
    ],
    ids=["cross-site", "same-site", "other-origin", "no-headers"],
)
def test_an_entry_posted_from_another_site_is_never_carried(staff_app, headers):
    """Another site's self-submitting form (no valid CSRF token: it has no session) must not put
    answers of its choosing in front of staff as "everything you typed"."""
    client = staff_app.test_client()
    posted = client.post(
        "/intake/entry", data=answers_form(ANSWERS) | {"mode": "paper"}, headers=headers
    )
    page = posted.get_data(as_text=True)
    assert posted.status_code == 403 and "Staff password" in page
    assert not any(name.startswith("item_") for name in hidden_fields(page))
    assert "everything you typed" not in page
    forged = client.post(
        "/staff/sign-in",
        data={"carried": "entry", "item_10": "3", "password": STAFF_PASSWORD},
        headers=headers,
    )
    assert 'name="item_10"' not in forged.get_data(as_text=True)
