"""Interface languages: choice, switching without losing answers, English items with a notice,
licensed instrument translations as data, complete catalogues and Cyrillic in the PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from flask_babel import force_locale, gettext
from wtforms.i18n import messages_path

from screening.core.scoring import score
from screening.web import forms
from screening.web.i18n import DEFAULT_LANGUAGE, LANGUAGES
from tests.helpers import built_app, pdf_info, pdf_text
from tests.pseudo_translation import PSEUDO_PROVENANCE
from tools.testkit import TEST_SECRET, all_first_options, answers_form, hidden_fields

PROJECT = Path(__file__).resolve().parent.parent
CATALOGUES = PROJECT / "screening" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)s")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Every interface language but the source one needs a catalogue: read from the code, so a
# language added there is checked here at once.
TRANSLATED = sorted(set(LANGUAGES) - {DEFAULT_LANGUAGE})


def translated(app, language: str, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(message, **variables)


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))[1]


def test_the_catalogue_folders_are_the_languages_offered():
    folders = sorted(path.parent.parent.name for path in CATALOGUES.glob("*/LC_MESSAGES/*.po"))
    assert folders == TRANSLATED


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalogue_is_complete_and_keeps_its_placeholders(language):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalogue = read_po(file)
    assert not catalogue.fuzzy, "the catalogue header is marked fuzzy: pybabel would skip it"
    problems = [
        message.id
        for message in catalogue
        if message.id
        and (
            message.fuzzy
            or any(
                not translation or placeholders(source) != placeholders(translation)
                for source, translation in pairs(message)
            )
        )
    ]
    assert problems == []


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def pairs(message) -> list[tuple[str, str]]:
    """(source, translation) for each form: a message with a plural has one translation per plural
    form of the language, each holding the plural's placeholders (Ukrainian's 21 takes the first
    form, so no form may drop the number)."""
    if not message.pluralizable:
        return [(message.id, message.string)]
    return [(message.id[1], form) for form in message.string]


def test_accept_language_chooses_the_interface_language(client, app):
    response = client.get("/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert html_lang(response) == "uk"
    heading = translated(app, "uk", "How have you been feeling?")
    assert heading != "How have you been feeling?" and CYRILLIC.search(heading)
    assert heading in response.get_data(as_text=True)
    assert html_lang(client.get("/", headers={"Accept-Language": "de"})) == "en"


def test_a_chosen_language_is_remembered_in_a_cookie(client):
    response = client.get("/about?lang=ru")
    assert html_lang(response) == "ru"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ru;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert html_lang(client.get("/")) == "ru"


def test_switching_language_keeps_the_answers_given_so_far(client):
    given = {1: 2, 4: 1, 9: 3}
    response = client.post(
        "/language", data=answers_form(given) | {"lang": "uk", "page": "questionnaire"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert html_lang(response) == "uk"
    assert dict(re.findall(r'name="(item_\d+)" value="(\d)" checked', page)) == {
        f"item_{n}": str(i) for n, i in given.items()
    }
    assert "error-summary" not in page
    assert response.headers["Set-Cookie"].startswith("lang=uk;")


def test_switching_language_on_the_result_page_keeps_the_result(client, epds):
    result = client.post("/", data=answers_form(all_first_options())).get_data(as_text=True)
    fields = hidden_fields(result) | {"lang": "ru", "page": "result"}
    response = client.post("/language", data=fields)
    assert response.status_code == 200 and html_lang(response) == "ru"
    total = score(epds, all_first_options()).total
    assert re.search(rf'id="total-score">{total}<', response.get_data(as_text=True))
    assert hidden_fields(response.get_data(as_text=True))["result_code"] == fields["result_code"]


def test_an_unknown_language_is_refused(client):
    assert client.post("/language", data={"lang": "xx"}).status_code == 400


def test_items_stay_in_english_with_a_notice_when_no_validated_translation(client, app, epds):
    response = client.get("/?lang=uk")
    page = response.get_data(as_text=True)
    notice = translated(
        app,
        "uk",
        "The questions are shown in English. Only validated translations of this questionnaire "
        "are used, so that answers can be compared with the published scores, and none is "
        "installed for your language yet.",
    )
    assert CYRILLIC.search(notice) and notice in page
    assert epds.items[0].text in page
    assert '<div lang="en">' in page
    assert 'id="instrument-language"' not in client.get("/?lang=en").get_data(as_text=True)


SYNTHETIC_TRANSLATION = {
    # Obviously synthetic test text, standing in for a licensed, validated translation.
    "language": "uk",
    "provenance": PSEUDO_PROVENANCE,
    "title": "TEST title",
    "preamble": "TEST preamble",
    "example": {
        "intro": "TEST intro",
        "stem": "TEST stem",
        "options": ["T0", "T1", "T2", "T3"],
        "explanation": "TEST explanation",
    },
    "lead_in": "TEST lead-in",
    "items": [
        {"number": n, "text": f"TEST item {n}", "options": [f"TEST {n}.{i}" for i in range(4)]}
        for n in range(1, 11)
    ],
    "notice": "TEST notice",
}


@pytest.fixture
def translated_app(make_app, tmp_path):
    instruments = tmp_path / "instance" / "instruments"
    instruments.mkdir(parents=True)
    (instruments / "epds.uk.json").write_text(json.dumps(SYNTHETIC_TRANSLATION), encoding="utf-8")
    return make_app()


def test_a_translation_file_in_the_instance_folder_is_used_without_code_changes(translated_app):
    client = translated_app.test_client()
    page = client.get("/?lang=uk").get_data(as_text=True)
    assert "TEST item 7" in page and "TEST 7.2" in page and "TEST notice" in page
    assert 'id="instrument-language"' not in page
    assert '<div lang="uk">' in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "TEST item 7" not in english


@pytest.mark.parametrize("answers", [all_first_options(), {n: n % 4 for n in range(1, 11)}])
def test_scores_do_not_change_with_language(translated_app, answers):
    client = translated_app.test_client()
    totals = {}
    for language in LANGUAGES:
        page = client.post(f"/?lang={language}", data=answers_form(answers)).get_data(as_text=True)
        totals[language] = re.search(r'id="total-score">(\d+)<', page)[1]
    assert len(set(totals.values())) == 1


def test_a_malformed_translation_file_stops_start_up(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    (instance / "instruments").mkdir(parents=True)
    broken = SYNTHETIC_TRANSLATION | {"items": SYNTHETIC_TRANSLATION["items"][:9]}
    (instance / "instruments" / "epds.uk.json").write_text(json.dumps(broken), encoding="utf-8")
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(instance))
    with pytest.raises(ValueError, match="has 9 items"):
        built_app({"TESTING": True, "SECRET_KEY": TEST_SECRET})


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_pdf_is_in_the_interface_language_with_cyrillic_text(client, app, tmp_path, language):
    result = client.post(f"/?lang={language}", data=answers_form(all_first_options()))
    fields = hidden_fields(result.get_data(as_text=True))
    pdf = client.post("/result.pdf", data=fields).data
    text = pdf_text(pdf, tmp_path)
    for message in ("Total score", "For the clinician", "Patient name:"):
        expected = translated(app, language, message)
        assert CYRILLIC.search(expected), message
        assert expected in text
    assert f"/Lang ({language})".encode() in pdf
    assert pdf_info(pdf, tmp_path)["Pages"] == "1"
    item_10 = "The thought of harming myself has occurred to me"
    assert f"«{item_10}»: «Yes, quite often»" in " ".join(text.split())


def test_dates_are_written_in_the_interface_language(client):
    result = client.post("/?lang=uk", data=answers_form(all_first_options()))
    completed = re.search(r'<p class="completed">([^<]+)<', result.get_data(as_text=True))[1]
    assert CYRILLIC.search(completed)


@pytest.mark.parametrize(
    ("language", "flagged", "below"),
    [("uk", "Бал 5 або вище", "Нижче порога 5,"), ("ru", "Балл 5 или выше", "Ниже порога 5,")],
)
def test_the_subscale_cut_off_comes_from_the_data_in_every_language(
    client, language, flagged, below
):
    """On the clinician's view of a result (restored at intake); the patient reads a plain
    sentence instead (tests/test_crisis_pathway.py)."""

    def restored(answers: dict[int, int]) -> str:
        page = client.post(f"/?lang={language}", data=answers_form(answers)).get_data(as_text=True)
        code = hidden_fields(page)["result_code"]
        return client.post(f"/intake?lang={language}", data={"code": code}).get_data(as_text=True)

    high = all_first_options() | {3: 0, 4: 3, 5: 0}
    page = restored(high)
    assert flagged in page and "%(threshold)s" not in page
    assert below in restored({n: 0 for n in range(1, 11)} | {3: 3, 4: 0, 5: 3})


@pytest.mark.parametrize("language", TRANSLATED)
def test_wtforms_own_messages_are_in_the_interface_language_from_one_load_per_process(
    app, language, monkeypatch
):
    loads: list[tuple] = []
    real_load = Translations.load

    def counted_load(*args, **kwargs):
        loads.append(args)
        return real_load(*args, **kwargs)

    forms.wtforms_catalogue.cache_clear()
    monkeypatch.setattr(forms.Translations, "load", counted_load)
    expected = real_load(messages_path(), [language], domain="wtforms").gettext(
        "Not a valid choice."
    )
    assert expected != "Not a valid choice."  # WTForms ships this language
    for _ in range(3):  # three requests
        with app.test_request_context(f"/?lang={language}"):
            form = forms.PostedForm(formdata=None)
            assert form.meta.get_translations(form).gettext("Not a valid choice.") == expected
    assert len(loads) == 1
    forms.wtforms_catalogue.cache_clear()
