"""The printable blank form: one A4 page in each language, with the installed text's items (the
English ones when none is installed, never translated here), tick boxes, name and date lines,
the crisis tiers, the clinic's numbers, the RCPsych notice and the citation."""

from __future__ import annotations

import re
import subprocess

import pytest
from flask_babel import force_locale, gettext, ngettext

from screening.core.translator import Translator
from screening.documents.blank_form import BlankFormRenderer
from screening.web.i18n import LANGUAGES
from tests.helpers import pdf_info
from tests.pseudo_translation import cyrillic_pseudo_translation, write_translation
from tools.testkit import STAFF_PASSWORD, STAFF_PASSWORD_HASH

WORDS = {
    "en": ("Name:", "Date:", "Tick one answer for each question.", "If you need help now"),
    "uk": ("Ім’я та прізвище:", "Дата:", "Позначте одну відповідь", "Якщо вам потрібна допомога"),
    "ru": ("Имя и фамилия:", "Дата:", "Отметьте один ответ", "Если вам нужна помощь"),
}
ENGLISH_ITEMS_NOTICE = {
    "uk": "показано англійською",
    "ru": "Вопросы показаны на английском",
}


def text_of(pdf: bytes, tmp_path) -> str:
    """The page's text in the order it was drawn (pdftotext -raw), whitespace folded: the
    items stand in two columns, which -layout would interleave line by line."""
    path = tmp_path / "blank.pdf"
    path.write_bytes(pdf)
    raw = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return flat(raw)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def blank_form(client, language: str):
    response = client.get(f"/intake/blank-form.pdf?lang={language}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"].startswith("no-store")
    return response.data


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_a4_page_with_items_boxes_numbers_and_the_notice(client, epds, tmp_path, language):
    pdf = blank_form(client, language)
    info = pdf_info(pdf, tmp_path)
    assert info["Pages"] == "1"
    assert info["Page size"].startswith("595.276 x 841.89")  # A4 in points
    text = text_of(pdf, tmp_path)
    for word in WORDS[language]:
        assert word in text, word
    for item in epds.items:
        assert flat(item.text) in text
        for option in item.options:
            assert option.label in text
    assert flat(epds.preamble) in text and epds.lead_in in text
    # One empty box per option, and the example's chosen answer ticked.
    assert text.count("\u2610") == len(epds.items) * 4 + len(epds.example.options) - 1
    assert text.count("\u2612") == 1
    for number in ("7333", "103", "112", "+380 7373 080 88"):
        assert number in text
    assert "Royal College of Psychiatrists" in text and "doi:10.1192/bjp.150.6.782" in text
    assert "score" not in text.lower().replace("scores", "")  # nobody adds up on paper
    notice = ENGLISH_ITEMS_NOTICE.get(language)
    assert (notice in text) if notice else not any(n in text for n in ENGLISH_ITEMS_NOTICE.values())


def test_an_installed_translation_gives_its_own_items_and_source(make_app, epds, tmp_path):
    write_translation(tmp_path / "instance" / "instruments", cyrillic_pseudo_translation(epds))
    client = make_app().test_client()
    text = text_of(blank_form(client, "uk"), tmp_path)
    assert "[хх] пункт 10" in text and "[хх] варіант 10.4" in text
    assert epds.item(10).text not in text
    assert "Test fixture, not a real translation" in text
    assert ENGLISH_ITEMS_NOTICE["uk"] not in text
    russian = text_of(blank_form(client, "ru"), tmp_path)
    assert epds.item(10).text in russian and ENGLISH_ITEMS_NOTICE["ru"] in russian


def test_the_permission_reference_is_printed_when_the_clinic_has_one(make_app, tmp_path):
    client = make_app(EPDS_PERMISSION="RCPsych-TEST-42").test_client()
    text = text_of(blank_form(client, "en"), tmp_path)
    assert "Reproduced with the written permission of the Royal College of Psychiatrists" in text
    assert "RCPsych-TEST-42" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_usual_form_fits_without_being_scaled_down(make_app, language):
    app = make_app(EPDS_PERMISSION="RCPsych-TEST-42")
    state = app.extensions["screening"]
    with app.test_request_context(), force_locale(language):
        instrument, clinic = state.instrument_for(language), state.clinic_for(language)
        translator = Translator(gettext, ngettext, language)
        renderer = BlankFormRenderer(instrument, clinic, translator)
        assert renderer.build(fit_to_one_page=False)[1] == 1


def test_the_intake_page_links_the_form_in_every_language(client):
    page = client.get("/intake?lang=uk").get_data(as_text=True)
    for code in LANGUAGES:
        assert f'href="/intake/blank-form.pdf?lang={code}"' in page


def test_the_form_is_for_signed_in_staff_when_a_staff_password_is_set(make_app):
    client = make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH).test_client()
    refused = client.get("/intake/blank-form.pdf?lang=uk")
    assert refused.mimetype == "text/html" and 'id="password"' in refused.text
    signed_in = client.post("/staff/sign-in", data={"password": STAFF_PASSWORD})
    assert signed_in.status_code == 303
    assert blank_form(client, "uk").startswith(b"%PDF-")
