"""The reminder to repeat the screening: an RFC 5545 file that icalendar parses, dated by the
result's interval, with an alarm, and holding no score, band or answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from screening.documents.reminder import LINE_OCTETS, Reminder, ics
from screening.web.i18n import LANGUAGES
from tests.helpers import indexes_for_scores
from tools.testkit import answers_form, hidden_fields

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 11, 27, 21, 0, tzinfo=KYIV)
LOW = dict.fromkeys(range(1, 11), 0) | {1: 1, 2: 1}  # total 2
MID = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 2}  # total 11
HIGH = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 3, 2: 3, 3: 3}  # total 15
LOW_FLAGGED = dict.fromkeys(range(1, 10), 0) | {10: 1}


@pytest.fixture
def client(make_app):
    return make_app(CLOCK=lambda: NOW.astimezone(UTC)).test_client()


def reminder_for(client, epds, scores, language="en"):
    page = client.post(f"/?lang={language}", data=answers_form(indexes_for_scores(epds, scores)))
    body = page.get_data(as_text=True)
    form = body[body.index('action="/reminder.ics"') :]
    code = hidden_fields(form[: form.index("</form>")])["result_code"]
    return client.post(f"/reminder.ics?lang={language}", data={"result_code": code}), body


@pytest.mark.parametrize(("scores", "days"), [(LOW, 28), (MID, 14), (HIGH, 14), (LOW_FLAGGED, 14)])
def test_event_and_alarm_at_the_result_interval(client, epds, scores, days):
    response, _page = reminder_for(client, epds, scores)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"].startswith("no-store")
    calendar = icalendar.Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    starts = event.decoded("DTSTART")
    assert starts.astimezone(KYIV) == datetime.combine(
        NOW.date() + timedelta(days=days), datetime.min.time().replace(hour=10), KYIV
    )
    (alarm,) = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(0)
    assert str(event["SUMMARY"]) == "Repeat the wellbeing questionnaire"
    assert str(event["URL"]) == "http://localhost/"
    assert "+380 7373 080 88" in str(event["DESCRIPTION"])
    assert "Expio" in str(event["DESCRIPTION"])
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert event["UID"] and event["DTSTAMP"]


def test_no_result_data_inside(client, epds):
    response, page = reminder_for(client, epds, HIGH)
    text = response.data.decode("utf-8")
    unfolded = text.replace("\r\n ", "")
    code = re.search(r'id="result-code">([^<]+)<', page).group(1)
    for leak in (code, "depression", "assessment", "score", "EPDS", "item", "question "):
        assert leak.lower() not in unfolded.lower()
    event = icalendar.Calendar.from_ical(response.data).walk("VEVENT")[0]
    words = f"{event['SUMMARY']} {event['DESCRIPTION']}".replace("+380 7373 080 88", "")
    assert "15" not in words and "30" not in words  # neither the total nor its maximum
    assert "days" not in response.request.url


def test_translated_and_folded(client, epds):
    response, _page = reminder_for(client, epds, MID, "uk")
    text = response.data.decode("utf-8")
    lines = text.split("\r\n")
    assert all(len(line.encode("utf-8")) <= LINE_OCTETS for line in lines)
    assert text.endswith("\r\n")
    event = icalendar.Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Повторіть опитувальник про самопочуття"


def test_only_a_code_this_server_issued(client, epds):
    _response, page = reminder_for(client, epds, MID)
    code = re.search(r'id="result-code">([^<]+)<', page).group(1)
    altered = code[:-3] + ("0" if code[-3] != "0" else "1") + code[-2:]
    for posted in ("", "EPDS-0", altered, code + "X", "9" * 400):
        assert client.post("/reminder.ics", data={"result_code": posted}).status_code == 400
    assert client.post("/reminder.ics", data={"days": "14"}).status_code == 400
    assert client.get("/reminder.ics").status_code == 405


def test_folding_never_splits_a_character():
    text = "Ї" * 200 + ", ; \\ and a new\nline"
    calendar = ics(
        Reminder(
            summary=text,
            description=text,
            url="https://screening.example/",
            starts=NOW,
            uid="test@screening",
            stamp=NOW,
        )
    )
    calendar.decode("utf-8")  # would fail on a split character
    event = icalendar.Calendar.from_ical(calendar).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == text


def test_one_length_whatever_the_interval(client, epds):
    lengths = {len(reminder_for(client, epds, scores)[0].data) for scores in (LOW, HIGH)}
    assert len(lengths) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_second_independent_parser_validates_the_file(client, epds, language):
    """vobject, with its own RFC 5545 validation, reads what icalendar reads; and there is no
    METHOD, which RFC 5546 would pair with an ORGANIZER this file cannot have."""
    response, _page = reminder_for(client, epds, HIGH, language)
    text = response.data.decode("utf-8")
    calendar = vobject.readOne(text, validate=True)
    assert calendar.validate(raiseException=True)
    assert "METHOD" not in text and not hasattr(calendar, "method")
    event = calendar.vevent
    parsed = icalendar.Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event.summary.value == str(parsed["SUMMARY"])
    assert event.dtstart.value == parsed["DTSTART"].dt
    assert event.valarm.trigger.value == timedelta(0)
