"""Result code version 5 on the clinician side: the text the items were read in (its language,
source, version, status and fingerprint) and the mode, sealed by the patient's result page and
said by intake, the result PDF, the series page and PDF and FHIR; a text no longer installed is
said to be so and the result still scores (issue 26, sections 2 and 4)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from screening.codes.codec import decode, encode
from screening.core.administration import Mode
from tests.helpers import indexes_for_scores, pdf_text, result_code_form
from tests.pseudo_translation import pseudo_translation, write_translation
from tests.test_crisis_pathway import visible_text
from tests.test_fhir_schema import schema_errors
from tools.old_codes import encode_v4
from tools.testkit import answers_form, hidden_fields

SOURCE = "Test fixture, not a real translation"
FLAGGED = {n: 1 for n in range(1, 10)} | {10: 2}


def installing_app(make_app, epds, tmp_path, **settings):
    """An app with the pseudo-translation installed for Ukrainian."""
    write_translation(tmp_path / "instance" / "instruments", pseudo_translation(epds))
    return make_app(**settings)


def patient_code(client, epds, language: str) -> str:
    """The code the patient's own result page seals, answered in ``language``."""
    page = client.post(f"/?lang={language}", data=answers_form(indexes_for_scores(epds, FLAGGED)))
    assert page.status_code == 200
    return hidden_fields(page.get_data(as_text=True))["result_code"]


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_result_page_seals_the_translation_it_showed_and_the_mode(make_app, epds, tmp_path):
    app = installing_app(make_app, epds, tmp_path)
    state = app.extensions["screening"]
    translation = state.translations["uk"]
    client = app.test_client()
    restored = decode(patient_code(client, epds, "uk"), epds, state.result_code_key)
    assert (restored.version, restored.read_in, restored.items_language) == (5, "uk", "uk")
    assert restored.fingerprint == translation.fingerprint[:4] != epds.fingerprint[:4]
    assert restored.mode is Mode.ONLINE
    # Russian has no translation installed: the English items, read in a Russian interface.
    english = decode(patient_code(client, epds, "ru"), epds, state.result_code_key)
    assert (english.read_in, english.items_language) == ("ru", "en")
    assert english.fingerprint == epds.fingerprint[:4]


@pytest.mark.parametrize("interface", ["en", "uk"])
def test_intake_names_the_translation_the_items_were_read_in(make_app, epds, tmp_path, interface):
    app = installing_app(make_app, epds, tmp_path)
    client = app.test_client()
    translation = app.extensions["screening"].translations["uk"]
    code = patient_code(client, epds, "uk")
    page = client.post(f"/intake?lang={interface}", data={"code": code})
    assert page.status_code == 200
    text = words(visible_text(page.get_data(as_text=True)))
    assert SOURCE in text and "0.0-test" in text
    assert translation.fingerprint[:8] in text
    if interface == "en":
        assert (
            f"Items read in Ukrainian \u2014 {SOURCE}, version 0.0-test, not validated, "
            f"fingerprint {translation.fingerprint[:8]}; interface in Ukrainian."
        ) in text
        assert "Mode: Self-completed online" in text
    else:
        assert "версія 0.0-test, статус: не валідований" in text
        assert "Спосіб проведення: Заповнено самостійно онлайн" in text


def test_english_items_read_in_another_interface_say_both(make_app, epds):
    client = make_app().test_client()
    code = patient_code(client, epds, "uk")
    text = words(visible_text(client.post("/intake?lang=en", data={"code": code}).text))
    assert "Items read in English; interface in Ukrainian." in text
    assert "no longer installed" not in text


def test_a_text_no_longer_installed_is_said_plainly_and_still_scores(make_app, epds, tmp_path):
    with_translation = installing_app(make_app, epds, tmp_path)
    code = patient_code(with_translation.test_client(), epds, "uk")
    (tmp_path / "instance" / "instruments" / "epds.uk.json").unlink()
    client = make_app().test_client()  # the same secret, the translation gone
    page = client.post("/intake?lang=en", data={"code": code})
    assert page.status_code == 200
    text = words(visible_text(page.text))
    assert (
        "The text these items were read in is no longer installed here; the score is unaffected."
        in text
    )
    total = sum(FLAGGED.values())
    assert f"{total}" in text and "Items read in Ukrainian (fingerprint" in text
    # Item 10's answer is quoted in the English installed here, which she did not read: it is
    # never called verbatim (second read, 2026-12-04).
    assert "Item 10 response, verbatim:" not in text
    assert (
        "Item 10 response, in the wording installed here (the patient's text is no longer "
        "installed):" in text
    )
    uk = words(visible_text(client.post("/intake?lang=uk", data={"code": code}).text))
    assert "тут більше немає; на підрахунок балів це не впливає" in uk


@pytest.mark.parametrize(
    ("mode", "label"),
    [
        (Mode.PAPER, "Paper form, entered by staff"),
        (Mode.INTERVIEW, "Interview: items read aloud by a clinician or interpreter"),
        (Mode.ONLINE, "Self-completed online"),
    ],
)
def test_intake_the_pdf_and_fhir_say_the_mode(app, client, tmp_path, mode, label):
    posted = result_code_form(app, FLAGGED, datetime.now(UTC).replace(second=0), mode=mode)
    text = words(visible_text(client.post("/intake", data={"code": posted["result_code"]}).text))
    assert f"Mode: {label}" in text
    pdf = client.post("/result.pdf", data=posted)
    assert f"Mode: {label}" in words(pdf_text(pdf.data, tmp_path))
    bundle = client.post("/result.fhir.json", data=posted).get_json()
    response = next(
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    [coding] = [
        extension["valueCoding"]
        for extension in response["extension"]
        if extension["url"].endswith("administration-mode")
    ]
    assert (coding["code"], coding["display"]) == (mode.value, label)


def test_staff_modes_name_no_interface_and_an_interview_asks_again_in_private(app, client):
    """On paper or in an interview there is no interface to name; answers given aloud disclose
    less, so an interview asks to ask about item 10 again in private (second read, 2026-12-04)."""
    moment = datetime.now(UTC).replace(second=0)
    state = app.extensions["screening"]
    epds = state.instrument
    for mode in (Mode.PAPER, Mode.INTERVIEW, Mode.ONLINE):
        code = encode(
            epds,
            FLAGGED,
            moment,
            state.result_code_key,
            read_in="en",
            items_language="en",
            fingerprint=epds.fingerprint,
            mode=mode,
        )
        text = words(visible_text(client.post("/intake", data={"code": code}).text))
        staff = mode is not Mode.ONLINE
        assert ("Items read in English; interface in English." in text) is not staff
        assert ("Items read in English." in text) is staff
        asked = "does not rule out risk; ask about it in private." in text
        assert asked is (mode is Mode.INTERVIEW)


def test_a_version_4_code_says_the_mode_was_not_recorded(app, client, epds):
    state = app.extensions["screening"]
    moment = datetime.now(UTC).replace(second=0, microsecond=0)
    code = encode_v4(epds, FLAGGED, moment, state.result_code_key, read_in="uk")
    text = words(visible_text(client.post("/intake", data={"code": code}).text))
    assert "Mode: not recorded" in text
    assert "Items read in English; interface in Ukrainian." in text


def test_fhir_names_the_translation_and_passes_the_official_schema(make_app, epds, tmp_path):
    app = installing_app(make_app, epds, tmp_path)
    client = app.test_client()
    translation = app.extensions["screening"].translations["uk"]
    page = client.post("/?lang=uk", data=answers_form(indexes_for_scores(epds, FLAGGED)))
    export = client.post("/result.fhir.json?lang=uk", data=hidden_fields(page.text))
    bundle = json.loads(export.data)
    response = next(
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    assert response["language"] == "uk"
    [items] = [e for e in response["extension"] if e["url"].endswith("items-text")]
    parts = {
        part["url"]: next(v for k, v in part.items() if k != "url") for part in items["extension"]
    }
    assert parts == {
        "language": "uk",
        "fingerprint": translation.fingerprint,
        "installed": True,
        "source": SOURCE,
        "version": "0.0-test",
        "status": "not validated",
    }
    panel_notes = json.dumps(bundle, ensure_ascii=False)
    assert f"Items read in Ukrainian \u2014 {SOURCE}, version 0.0-test" in panel_notes
    for entry in bundle["entry"]:
        assert schema_errors(entry["resource"]) == []
    assert schema_errors(bundle) == []


def test_the_series_page_and_pdf_say_the_text_and_the_mode(make_app, epds, tmp_path):
    app = installing_app(make_app, epds, tmp_path)
    state = app.extensions["screening"]
    translation = state.translations["uk"]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    codes = [
        encode(
            epds,
            FLAGGED,
            now - timedelta(days=days),
            state.result_code_key,
            read_in="uk",
            items_language="uk",
            fingerprint=translation.fingerprint,
            mode=Mode.INTERVIEW,
        )
        for days in (30, 1)
    ]
    client = app.test_client()
    text = words(visible_text(client.post("/intake", data={"code": "\n".join(codes)}).text))
    assert f"{SOURCE}, version 0.0-test, not validated, fingerprint" in text
    assert "Mode: Interview: items read aloud by a clinician or interpreter" in text
    pdf = client.post("/intake/series.pdf", data={"code": "\n".join(codes)})
    printed = words(pdf_text(pdf.data, tmp_path))
    assert (
        "0.0-test" in printed
        and "Interview: items read aloud by a clinician or interpreter" in printed
    )


def test_every_text_and_mode_gives_one_length_of_restored_page_pdf_and_fhir(
    make_app, epds, tmp_path, caplog
):
    """The new lines (a translation's source, version, status and fingerprint, a text no longer
    installed, each mode) are in the padded kinds' worst cases: their length never shows."""
    app = installing_app(make_app, epds, tmp_path, INTAKE_RATE_LIMIT="1000 per minute")
    state = app.extensions["screening"]
    translation = state.translations["uk"]
    client = app.test_client()
    moment = datetime.now(UTC).replace(second=0, microsecond=0)
    texts = [("uk", translation.fingerprint), ("en", epds.fingerprint), ("ru", "0" * 64)]
    codes = [
        encode(
            epds,
            FLAGGED,
            moment,
            state.result_code_key,
            read_in=read_in,
            items_language=items,
            fingerprint=fingerprint,
            mode=mode,
        )
        for read_in in ("en", "uk")
        for items, fingerprint in texts
        for mode in Mode
    ]
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        for language in ("en", "uk"):
            lengths: dict[str, set[int]] = {}
            for code in codes:
                for kind, path, data in (
                    ("restored", "/intake", {"code": code}),
                    ("pdf", "/result.pdf", {"result_code": code}),
                    ("fhir", "/result.fhir.json", {"result_code": code}),
                ):
                    response = client.post(f"{path}?lang={language}", data=data)
                    assert response.status_code == 200, (kind, code)
                    lengths.setdefault(kind, set()).add(len(response.data))
            assert {kind: len(seen) for kind, seen in lengths.items()} == dict.fromkeys(
                lengths, 1
            ), language
    assert not caplog.records  # nothing outgrew its padded length
