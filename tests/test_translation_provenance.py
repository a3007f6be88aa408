"""A licensed translation installed with its provenance: the permission start-up insists on,
the log's warning before it ends, what happens after, and the fingerprint of every text."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from screening.core.instrument import InstrumentError, normalised
from screening.core.instrument_file import overlay
from tests.pseudo_translation import pseudo_translation, write_translation

GRANTED_UNTIL = "2027-03-31"


def clock_at(day: str):
    moment = datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=UTC)
    return lambda: moment


@pytest.fixture
def instruments(tmp_path):
    return tmp_path / "instance" / "instruments"


def test_an_installed_translation_carries_its_provenance(make_app, instruments, epds):
    data = pseudo_translation(epds)
    data["provenance"]["permission"]["expires"] = GRANTED_UNTIL
    data["provenance"]["source"]["doi"] = "10.0000/not-a-real-doi"
    write_translation(instruments, data)
    state = make_app(CLOCK=clock_at("2026-12-04")).extensions["screening"]
    provenance = state.instrument_for("uk").provenance
    assert provenance.source.citation == "Test fixture, not a real translation"
    assert provenance.source.version == "0.0-test"
    assert provenance.source.doi == "10.0000/not-a-real-doi"
    assert provenance.permission.reference == "TEST-PERMISSION-0"
    assert provenance.permission.granted == date(2026, 1, 1)
    assert provenance.permission.expires == date(2027, 3, 31)
    assert provenance.status == "not validated"
    assert state.instrument_for("uk").item(1).text.startswith("[xx] ")
    assert state.instrument_for("en").provenance is None


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.pop("permission"),
        lambda p: p["permission"].pop("reference"),
        lambda p: p["permission"].update(reference="  "),
        lambda p: p["permission"].update(reference=None),
    ],
)
def test_start_up_refuses_a_translation_without_a_permission_reference(
    make_app, instruments, epds, change
):
    data = pseudo_translation(epds)
    change(data["provenance"])
    write_translation(instruments, data)
    with pytest.raises(
        InstrumentError,
        match=r"^translation epds\.uk\.json: provenance\.permission\.reference: no permission "
        r"reference\. The Royal College of Psychiatrists",
    ):
        make_app()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(status="validated-ish"), r"provenance\.status: 'validated-ish' is not"),
        (
            lambda p: p["permission"].update(granted="2026-02-30"),
            r"provenance\.permission\.granted: .2026-02-30. is not a date",
        ),
        (
            lambda p: p["permission"].update(expires="2025-12-31"),
            r"provenance\.permission\.expires: 2025-12-31 is before the date granted, 2026-01-01",
        ),
        (lambda p: p["source"].pop("version"), r"provenance\.source: 'version' is a required"),
        (lambda p: p.update(method=[]), r"provenance\.method: \[\] should be non-empty"),
        (lambda p: p.update(licence="x"), r"provenance: Additional properties"),
    ],
)
def test_a_malformed_provenance_is_refused_naming_the_field(epds, change, message):
    data = pseudo_translation(epds)
    change(data["provenance"])
    with pytest.raises(InstrumentError, match=rf"^translation epds\.uk\.json: {message}"):
        overlay(epds, data, "translation epds.uk.json")


@pytest.mark.parametrize(("today", "warned"), [("2027-03-01", True), ("2027-02-28", False)])
def test_the_log_warns_within_30_days_of_the_permission_ending(
    make_app, instruments, epds, caplog, today, warned
):
    data = pseudo_translation(epds)
    data["provenance"]["permission"]["expires"] = GRANTED_UNTIL
    write_translation(instruments, data)
    with caplog.at_level(logging.WARNING, logger="screening.core.instrument_file"):
        state = make_app(CLOCK=clock_at(today)).extensions["screening"]
    assert state.instrument_for("uk").item(1).text.startswith("[xx] ")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    expected = "translation epds.uk.json: the permission 'TEST-PERMISSION-0' from Nobody (test "
    expected += "fixture) ends on 2027-03-31, in 30 days: ask for its renewal now"
    assert any(w.startswith(expected) for w in warnings) is warned, warnings


def test_after_the_permission_ends_the_translation_is_not_installed_and_the_log_says_so(
    make_app, instruments, epds, caplog
):
    data = pseudo_translation(epds)
    data["provenance"]["permission"]["expires"] = GRANTED_UNTIL
    write_translation(instruments, data)
    with caplog.at_level(logging.ERROR, logger="screening.core.instrument_file"):
        app = make_app(CLOCK=clock_at("2027-04-01"))
    assert (
        app.extensions["screening"].instrument_for("uk") is app.extensions["screening"].instrument
    )
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("ended on 2027-03-31: this translation is not installed" in e for e in errors)
    page = app.test_client().get("/?lang=uk").get_data(as_text=True)
    assert "[xx]" not in page and epds.item(1).text in page


def test_a_server_running_past_the_last_day_stops_showing_the_translation(
    make_app, instruments, epds
):
    data = pseudo_translation(epds)
    data["provenance"]["permission"]["expires"] = GRANTED_UNTIL
    write_translation(instruments, data)
    state = make_app(CLOCK=clock_at("2027-03-31")).extensions["screening"]
    assert state.instrument_for("uk").item(1).text.startswith("[xx] ")
    later = replace(state, clock=clock_at("2027-04-01"))
    assert later.instrument_for("uk") is state.instrument


def test_every_installed_text_has_a_fingerprint_logged_at_start_up(
    make_app, instruments, epds, caplog
):
    write_translation(instruments, pseudo_translation(epds))
    with caplog.at_level(logging.INFO, logger="screening.core.instrument_file"):
        state = make_app().extensions["screening"]
    english, translated = state.instrument, state.instrument_for("uk")
    assert re.fullmatch(r"[0-9a-f]{64}", english.fingerprint)
    assert re.fullmatch(r"[0-9a-f]{64}", translated.fingerprint)
    assert english.fingerprint != translated.fingerprint
    log = caplog.text
    assert f"instrument epds (en): fingerprint {english.fingerprint}" in log
    assert f"not validated; fingerprint {translated.fingerprint}" in log


def test_the_fingerprint_is_stable_and_changes_with_one_character(epds):
    data = pseudo_translation(epds)
    first = overlay(epds, data, "t").fingerprint
    assert overlay(epds, pseudo_translation(epds), "t").fingerprint == first
    data["items"][9]["options"][2] = data["items"][9]["options"][2] + "."
    assert overlay(epds, data, "t").fingerprint != first
    data = pseudo_translation(epds)
    data["example"]["explanation"] = data["example"]["explanation"].replace("e", "é", 1)
    assert overlay(epds, data, "t").fingerprint != first


def test_the_fingerprint_ignores_whitespace_unicode_composition_and_what_is_not_answered(epds):
    data = pseudo_translation(epds)
    first = overlay(epds, data, "t").fingerprint
    data["items"][0]["text"] = "  " + data["items"][0]["text"].replace(" ", " \n\t\u00a0 ") + " "
    data["title"] = "[xx] another title"
    data["notice"] = "[xx] another notice"
    data["provenance"]["source"]["version"] = "0.1-test"
    assert overlay(epds, data, "t").fingerprint == first
    decomposed = unicodedata.normalize("NFD", "й")
    assert normalised(f" {decomposed}\u2003x ") == "й x"


def test_the_english_fingerprint_is_over_its_answered_texts_in_reading_order(epds):
    texts = epds.fingerprinted_texts
    assert texts[0] == epds.preamble and texts[-1] == epds.item(10).options[-1].label
    assert epds.lead_in in texts and epds.item(3).text in texts
    assert epds.title not in texts and epds.notice not in texts
    assert len(texts) == 1 + 2 + 4 + 1 + 1 + 10 * 5
