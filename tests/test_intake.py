"""Clinician intake: a result code restores the same result page, PDF and FHIR export."""

from __future__ import annotations

import re
from html import escape

import pytest

from screening.web.intake import MAX_LENGTH
from tests.helpers import built_app, indexes_for_scores, pdf_text, scanned_qr
from tests.mailbox import smtp_server
from tests.test_callback import FLAGGED, TOTAL_14, mail_settings, request_form, result_code
from tests.test_result_code import SPELLINGS
from tools.testkit import TEST_SECRET, answers_form, hidden_fields

ANSWERS = {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 2, 7: 3, 8: 0, 9: 1, 10: 2}


def screen(client) -> tuple[str, dict[str, str]]:
    """Complete a screening; return the page's result code and its hidden PDF fields."""
    page = client.post("/", data=answers_form(ANSWERS)).get_data(as_text=True)
    return re.search(r'id="result-code">([^<]+)<', page)[1], hidden_fields(page)


def test_result_page_shows_the_code_and_its_qr(client):
    page = client.post("/", data=answers_form(ANSWERS)).get_data(as_text=True)
    assert re.search(r'id="result-code">EPDS(-[0-9A-Z]{4}){6}-[0-9A-Z]{2}<', page)
    assert re.search(r'<img class="result-code__qr" src="data:image/svg\+xml;base64,', page)


def test_the_intake_hint_shows_a_code_as_long_as_those_issued_today(client):
    page = client.get("/intake").get_data(as_text=True)
    example = re.search(r"It looks like (EPDS[-X]+)\.", page)[1]
    code, _ = screen(client)
    assert re.sub("[0-9A-Z]", "X", code.removeprefix("EPDS")) == example.removeprefix("EPDS")


def test_intake_page_autofocuses_the_code_field(client):
    page = client.get("/intake").get_data(as_text=True)
    assert re.search(r'<textarea[^>]*id="code"[^>]*autofocus', page)
    assert 'method="post"' in page


def test_a_typed_code_restores_the_same_result_and_pdf(client, tmp_path):
    code, fields = screen(client)
    restored = client.post("/intake", data={"code": code.lower().replace("-", " ")})
    assert restored.status_code == 200
    assert restored.headers["Cache-Control"] == "no-store, no-transform"
    page = restored.get_data(as_text=True)
    assert "Restored from result code" in page
    original = client.post("/", data=answers_form(ANSWERS)).get_data(as_text=True)
    for pattern in (r'id="total-score">(\d+)<', r"<h2 id=\"band-title\">([^<]+)<"):
        assert re.search(pattern, page)[1] == re.search(pattern, original)[1]
    restored_fields = hidden_fields(page)
    assert restored_fields["result_code"] == fields["result_code"] == code
    first = pdf_text(client.post("/result.pdf", data=fields).data, tmp_path)
    again = pdf_text(client.post("/result.pdf", data=restored_fields).data, tmp_path)
    assert first == again
    assert code in again


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Please type or scan the result code."),
        ("EPDS-1234-5678", "After “EPDS-” a result code has 26 letters and digits"),
        ("x" * (MAX_LENGTH + 1), "That is longer than 12 result codes."),
    ],
)
def test_wrong_or_empty_codes_get_a_clear_message_and_keep_what_was_typed(client, typed, message):
    response = client.post("/intake", data={"code": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert re.search(rf'<textarea[^>]*id="code"[^>]*aria-invalid="true">{typed}</textarea>', page)
    assert "<title>Error: " in page


def test_an_altered_code_is_refused(client):
    code, _ = screen(client)
    position = len(code) - 2  # the last data symbol: the code ends "-XC", C its check symbol
    assert code[position] != "-" and code[-3] == "-"
    altered = code[:position] + ("A" if code[position] != "A" else "B") + code[position + 1 :]
    response = client.post("/intake", data={"code": altered})
    assert response.status_code == 400
    assert "typing mistake" in response.get_data(as_text=True)


def test_a_code_issued_under_another_secret_is_refused(client, tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "other"))
    other = built_app({"TESTING": True, "SECRET_KEY": "other", "WTF_CSRF_ENABLED": False})
    code, _ = screen(other.test_client())
    response = client.post("/intake", data={"code": code})
    assert response.status_code == 400
    assert "not issued by this service" in response.get_data(as_text=True)


def test_the_code_never_reaches_a_url_or_a_log_line(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "instance"))
    app = built_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "HTTPS": False})
    client = app.test_client()
    caplog.set_level("DEBUG")
    token = hidden_fields(client.get("/intake").get_data(as_text=True))["csrf_token"]
    form = client.get("/").get_data(as_text=True)
    page = client.post(
        "/", data=answers_form(ANSWERS) | {"csrf_token": hidden_fields(form)["csrf_token"]}
    ).get_data(as_text=True)
    code = re.search(r'id="result-code">([^<]+)<', page)[1]
    response = client.post("/intake", data={"code": code, "csrf_token": token})
    assert response.status_code == 200 and "Location" not in response.headers
    assert code not in "\n".join(record.getMessage() for record in caplog.records)
    assert client.get(f"/intake?code={code}").get_data(as_text=True).count(code) == 0


def test_intake_attempts_are_rate_limited(make_app):
    client = make_app(INTAKE_RATE_LIMIT="3 per minute").test_client()
    statuses = [client.post("/intake", data={"code": "EPDS-0"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_codes_over_the_limit_stay_in_the_box_with_when_to_send_them(make_app):
    client = make_app(INTAKE_RATE_LIMIT="1 per minute").test_client()
    assert client.post("/intake", data={"code": "EPDS-0"}).status_code == 400
    typed = "EPDS-0000 first\nEPDS-1111 second"
    limited = client.post("/intake", data={"code": typed})
    page = limited.get_data(as_text=True)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert f">{escape(typed)}</textarea>" in page
    assert re.search(r"You can send it again after \d\d:\d\d\.", page)
    assert 'href="/"' not in page and "Go to the questionnaire" not in page


def test_the_pdf_qr_decodes_to_the_result_code(client, tmp_path):
    code, fields = screen(client)
    assert scanned_qr(client.post("/result.pdf", data=fields).data, tmp_path) == code


def test_a_version_1_code_still_restores_at_intake(make_app):
    client = make_app(SECRET_KEY="one secret").test_client()
    page = client.post("/intake", data={"code": "EPDS-443S-3MV3-CD28-0NT6"})
    assert page.status_code == 200
    assert "20 November 2026, 11:30" in page.get_data(as_text=True)


def test_codes_older_than_the_maximum_age_are_refused_with_a_clear_message(make_app):
    old = {"code": "EPDS-4000-01ZZ-ZYZ0-4A6Z"}  # version 1, completed on 2024-01-01
    assert (
        make_app(SECRET_KEY="one secret").test_client().post("/intake", data=old).status_code == 200
    )
    client = make_app(SECRET_KEY="one secret", RESULT_CODE_MAX_AGE_DAYS=90).test_client()
    refused = client.post("/intake", data=old)
    assert refused.status_code == 400
    assert "more than 90 days old" in refused.get_data(as_text=True)
    code, _ = screen(client)
    assert client.post("/intake", data={"code": code}).status_code == 200


def test_the_restored_result_shows_the_band_source_and_the_scales_citation(client, epds):
    code, _ = screen(client)
    page = client.post("/intake", data={"code": code}).get_data(as_text=True)
    total = sum(epds.item(n).options[i].score for n, i in ANSWERS.items())
    assert escape(epds.band_for(total).source) in page
    assert f"<li>{escape(epds.citation)}</li>" in page


def test_for_the_clinician_never_names_the_lowest_band_beside_a_positive_item_10(client, epds):
    low_but_flagged = indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0) | {10: 1})
    page = client.post("/", data=answers_form(low_but_flagged)).get_data(as_text=True)
    code = re.search(r'id="result-code">([^<]+)<', page)[1]
    restored = client.post("/intake", data={"code": code}).get_data(as_text=True)
    clinician = restored[restored.index('id="clinician-title"') :]
    assert "Below the usual screening threshold (0" not in clinician
    assert "item 10 is positive: assess today, whatever the total" in clinician
    assert "Next step" in clinician


def test_for_the_clinician_names_the_epds_3a_and_its_research_cut_off(client):
    code, _ = screen(client)
    restored = client.post("/intake", data={"code": code}).get_data(as_text=True)
    clinician = restored[restored.index('id="clinician-title"') :]
    assert "Anxiety symptoms (EPDS-3A)" in clinician and "research cut-off of 5" in clinician


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_route_that_reads_a_typed_code_reads_its_look_alike_spellings(
    make_app, epds, spelling
):
    """Intake, the series and its PDF, the patient's re-posts and the call-back all read a code
    through the one normalisation: a correct code in Cyrillic look-alikes, other dashes or with
    invisible characters restores as the code itself."""
    spell = SPELLINGS[spelling]
    with smtp_server() as mailbox:
        client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE="en")).test_client()
        first, second = result_code(client, epds, TOTAL_14), result_code(client, epds, FLAGGED)
        restored = client.post("/intake", data={"code": spell(first)})
        assert restored.status_code == 200, spelling
        assert hidden_fields(restored.text)["result_code"] == first
        # Two codes on one line, each found by its prefix, however it was spelt.
        series = client.post("/intake", data={"code": f"{spell(first)}, {spell(second)}"})
        assert series.status_code == 200 and 'class="trend-chart"' in series.text
        pdf = client.post("/intake/series.pdf", data={"code": f"{spell(first)}\n{spell(second)}"})
        assert pdf.mimetype == "application/pdf"
        for path in ("/result.pdf", "/reminder.ics", "/language"):
            reposted = client.post(path, data={"result_code": spell(first), "lang": "uk"})
            assert reposted.status_code == 200, path
        form = request_form(spell(first), include_code="y")
        assert client.post("/call-back", data=form).status_code == 200
    assert f"Result code: {first}" in mailbox.messages[0].get_content()
