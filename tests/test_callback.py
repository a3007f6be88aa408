""" "Ask the clinic to call me": one email to the intake address, received here by an in-process
SMTP server (aiosmtpd) on loopback, over plain SMTP and over STARTTLS with a self-signed
certificate; failures (down, refusing, timing out) tell the person at once and log nothing
personal; the rate limit; hostile input; and the start-up checks of the settings."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import AuthResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from screening.codes.codec import decode
from screening.core.call_request import (
    PhoneRefused,
    call_slots,
    is_only_a_name,
    normalised_phone,
    plain_name,
)
from screening.core.errors import ConfigError
from screening.core.hours import parse_schedule
from screening.core.scoring import score
from screening.delivery.callback_email import CallBackRequest, email_body, email_subject
from screening.web.i18n import LANGUAGES
from tests.helpers import (
    TEST_APP_SETTINGS,
    built_app,
    indexes_for_scores,
    result_code_form,
    visible_text,
)
from tests.mailbox import Mailbox, smtp_server
from tools.servers import free_port
from tools.testkit import TEST_SECRET, answers_form, hidden_fields

KYIV = ZoneInfo("Europe/Kyiv")
INTAKE = "intake@clinic.example"
# Friday 28 November 2026, 21:00 in Kyiv: the clinic is closed until Monday 10:00.
FRIDAY_NIGHT = datetime(2026, 11, 27, 21, 0, tzinfo=KYIV)
WEDNESDAY_MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=KYIV)
TOTAL_14 = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 3, 2: 3, 3: 2}
FLAGGED = dict.fromkeys(range(1, 10), 0) | {10: 1}
NAME = "Оксана"
PHONE_TYPED = "067 123 45 67"
PHONE_NORMALISED = "+380 67 123 4567"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_mailbox(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with smtp_server(
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    ) as box:
        yield box


def mail_settings(port: int, **more: object) -> dict[str, object]:
    return {
        "CLINIC_INTAKE_EMAIL": INTAKE,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT": 2,
        "CLOCK": lambda: FRIDAY_NIGHT.astimezone(UTC),
    } | more


def result_code(client, epds, scores, language="en") -> str:
    response = client.post(
        f"/?lang={language}", data=answers_form(indexes_for_scores(epds, scores))
    )
    return re.search(r'id="result-code">([^<]+)<', response.get_data(as_text=True)).group(1)


def request_form(code: str = "", **more: str) -> dict[str, str]:
    form = {"name": NAME, "phone": PHONE_TYPED, "best_time": "any", "language": "uk"}
    if code:
        form["result_code"] = code
    return form | more


# The form shows only where the clinic has an intake address.


def test_no_form_without_an_intake_email(client, epds):
    page = client.post("/", data=answers_form(indexes_for_scores(epds, TOTAL_14)))
    assert 'id="callback-form"' not in page.get_data(as_text=True)
    assert 'id="callback-form"' not in client.get("/about").get_data(as_text=True)
    assert client.post("/call-back", data=request_form()).status_code == 404
    assert client.get("/call-back").status_code == 404


def test_form_on_the_result_page_and_about(make_app, epds):
    client = make_app(**mail_settings(1)).test_client()
    result = client.post("/", data=answers_form(indexes_for_scores(epds, TOTAL_14)))
    page = result.get_data(as_text=True)
    assert 'id="callback-form"' in page
    assert 'id="callback-include-code" name="include_code"' in page
    assert ' checked aria-describedby="callback-include-code-hint"' not in page  # off by default
    about = client.get("/about").get_data(as_text=True)
    assert 'id="callback-form"' in about
    assert 'name="include_code"' not in about  # no result, no code to include
    # Friday night: the times offered start on Monday, within the clinic's hours.
    assert "Monday 30 November, morning (10:00\u201312:00)" in page
    assert "evening (17:00\u201319:00)" in page
    assert "Today" not in page and "Tomorrow," not in page


def test_the_form_on_its_own_page_in_another_language(make_app):
    client = make_app(**mail_settings(1)).test_client()
    page = client.get("/call-back?lang=ru")
    assert page.status_code == 200
    assert "Попросите клинику вам перезвонить" in page.get_data(as_text=True)


def test_no_form_on_a_restored_result(make_app, epds):
    client = make_app(**mail_settings(1)).test_client()
    code = result_code(client, epds, TOTAL_14)
    restored = client.post("/intake", data={"code": code}).get_data(as_text=True)
    assert 'id="callback-form"' not in restored


# The email.


def test_done_means(make_app, epds, mailbox):
    """Score 14 at 21:00 on a Friday, in Ukrainian, with the code: the page says the clinic is
    closed until Monday 10:00 and what to do meanwhile; the mailbox holds one email."""
    client = make_app(**mail_settings(mailbox.port)).test_client()
    code = result_code(client, epds, TOTAL_14, "uk")
    response = client.post(
        "/call-back?lang=uk",
        data=request_form(code, best_time="2026-11-30-morning", include_code="y"),
    )
    assert response.status_code == 200
    page = visible_text(response)
    assert "Клініка зараз зачинена. Відкриється в понеділок о 10:00." in page
    assert "103" in page and "7333" in page  # the tiers
    assert PHONE_NORMALISED in page
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert mailbox.envelopes[0][1] == [INTAKE]
    assert message["To"] == INTAKE
    body = message.get_content()
    assert PHONE_NORMALISED in body and NAME in body
    assert "Понеділок, 30 листопада, вранці (10:00–12:00)" in body
    assert code in body and "/intake" in body
    assert "Українська" in body
    subject = message["Subject"]
    assert NAME not in subject and "67" not in subject and "EPDS-" not in subject
    assert "термінов" not in subject.lower()


def test_result_code_only_when_ticked(make_app, epds, mailbox):
    client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE="en")).test_client()
    code = result_code(client, epds, TOTAL_14)
    assert client.post("/call-back", data=request_form(code)).status_code == 200
    body = mailbox.messages[0].get_content()
    assert code not in body and "EPDS-" not in body
    assert "Result code: not shared" in body
    assert "14" not in body.replace("2026", "")  # no score either
    assert mailbox.messages[0]["Subject"] == "Call-back request from the wellbeing questionnaire"


def test_the_posted_code_is_decoded_once_for_the_email_and_the_confirmation(
    make_app, epds, mailbox, monkeypatch
):
    client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE="en")).test_client()
    code = result_code(client, epds, FLAGGED)
    decoded = []

    def counting_decode(*args, **kwargs):
        decoded.append(args[0])
        return decode(*args, **kwargs)

    monkeypatch.setattr("screening.codes.codec.decode", counting_decode)
    # Were the route to decode again on its own, it would count too.
    monkeypatch.setattr("screening.web.callback.decode", counting_decode, raising=False)
    posted = f"  {code.lower()} "  # as a person might paste it
    response = client.post("/call-back", data=request_form(posted, include_code="y"))
    assert response.status_code == 200
    assert len(decoded) == 1
    body = mailbox.messages[0].get_content()
    assert f"Result code: {code}" in body  # the server's own rendering, not the posted text


def test_the_email_text_is_built_without_flask(epds):
    """The message builder is plain Python: a result, what the form checked, a translator."""
    flagged = score(epds, indexes_for_scores(epds, FLAGGED))
    request = CallBackRequest(
        name="",
        phone="+380 67 123 4567",
        best_time="Any time the clinic is open",
        call_language="English",
        result=flagged,
        shared_code=None,
        intake_url="/intake",
        sent_at=FRIDAY_NIGHT,
        timezone=ZoneInfo("Europe/Kyiv"),
    )

    def untranslated(text, **values):
        return text % values if values else text

    lines = email_body(request, "en", untranslated).splitlines()
    assert lines[0].startswith("Priority: their answers call for a conversation")
    assert "Name: not given" in lines and "Result code: not shared" in lines
    assert email_subject(untranslated) == "Call-back request from the wellbeing questionnaire"


def test_priority_in_the_first_line_and_one_neutral_subject(make_app, epds, mailbox):
    """Mail providers and lock-screen previews read the subject: it never says which request is
    a priority. The clinic reads that on the body's first line."""
    client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE="en")).test_client()
    code = result_code(client, epds, FLAGGED)
    response = client.post("/call-back", data=request_form(code))
    assert response.status_code == 200
    message = mailbox.messages[0]
    assert message["Subject"] == "Call-back request from the wellbeing questionnaire"
    assert message.get_content().startswith("Priority: their answers call for a conversation")
    assert code not in message.get_content()  # flagged, but the code not ticked
    # The page shows the crisis tiers first.
    page = response.get_data(as_text=True)
    main = page[page.index('<main id="main"') :]
    assert main.index('class="safety"') < main.index("<h1>")


def test_the_confirmation_has_one_length_with_or_without_the_flag(make_app, epds, mailbox):
    client = make_app(**mail_settings(mailbox.port)).test_client()
    lengths = {
        len(client.post("/call-back", data=request_form(result_code(client, epds, s))).data)
        for s in (FLAGGED, TOTAL_14)
    }
    assert len(lengths) == 1
    assert len({m["Subject"] for m in mailbox.messages}) == 1
    firsts = [m.get_content().splitlines()[0] for m in mailbox.messages]
    assert [first.startswith("Терміново") for first in firsts] == [True, False]


def test_a_posted_flag_is_not_trusted(make_app, epds, mailbox):
    client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE="en")).test_client()
    form = request_form(safety_flag="1", priority="1", to="attacker@example.com")
    assert client.post("/call-back", data=form).status_code == 200
    assert mailbox.messages[0]["Subject"].startswith("Call-back request")
    assert mailbox.envelopes[0][1] == [INTAKE]


def test_a_forged_result_code_is_refused(make_app, epds, mailbox):
    client = make_app(**mail_settings(mailbox.port)).test_client()
    code = result_code(client, epds, TOTAL_14)
    forged = code[:-6] + ("0000" if code[-6:-2] != "0000" else "1111") + code[-2:]
    assert client.post("/call-back", data=request_form(forged)).status_code == 400
    assert mailbox.messages == []


def test_starttls_with_a_self_signed_certificate_and_login(make_app, tls_mailbox, certificate):
    cert, _key = certificate
    settings = mail_settings(
        tls_mailbox.port,
        SMTP_STARTTLS=True,
        SMTP_CA_FILE=str(cert),
        SMTP_USER="mailer",
        SMTP_PASSWORD="s3cret",
    )
    client = make_app(**settings).test_client()
    assert client.post("/call-back", data=request_form()).status_code == 200
    assert len(tls_mailbox.messages) == 1


def test_starttls_refuses_a_certificate_it_does_not_trust(make_app, tls_mailbox):
    client = make_app(**mail_settings(tls_mailbox.port, SMTP_STARTTLS=True)).test_client()
    response = client.post("/call-back", data=request_form())
    assert response.status_code == 503
    assert tls_mailbox.messages == []


# Failures: the person knows at once, keeps what they typed, and the log holds nothing personal.


@pytest.fixture
def silent_server():
    """A server that accepts the connection and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield listener.getsockname()[1]


@pytest.fixture
def refusing_mailbox():
    with smtp_server(Mailbox(refuse=True)) as box:
        yield box.port


@pytest.mark.parametrize("server", ["down", "refusing", "timeout"])
def test_failure_is_clear_keeps_fields_and_logs_nothing_personal(
    make_app, epds, caplog, server, request
):
    port = {
        "down": free_port,
        "refusing": lambda: request.getfixturevalue("refusing_mailbox"),
        "timeout": lambda: request.getfixturevalue("silent_server"),
    }[server]()
    client = make_app(**mail_settings(port, SMTP_TIMEOUT=1)).test_client()
    code = result_code(client, epds, FLAGGED)
    caplog.set_level(logging.DEBUG)
    response = client.post(
        "/call-back",
        data=request_form(code, include_code="y", best_time="2026-11-30-evening"),
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Your request did not reach the clinic" in page
    assert "+380 7373 080 88" in page and "Mon–Fri 10:00–19:00" in page
    assert f'value="{NAME}"' in page and f'value="{PHONE_TYPED}"' in page
    assert 'value="2026-11-30-evening" checked' in page
    assert 'value="uk" checked' in page
    assert 'name="include_code" value="y" checked' in page
    assert f'name="result_code" value="{code}"' in page
    # Every record but the test SMTP server's own ("mail.log"), which logs the whole session.
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if not record.name.startswith("mail.log")
    )
    assert "call-back request not sent" in logged
    for personal in (NAME, PHONE_TYPED, PHONE_NORMALISED, "671234567", code):
        assert personal not in logged


# Checks on what is typed.


def test_invalid_input_keeps_fields_and_explains(make_app, mailbox):
    client = make_app(**mail_settings(mailbox.port)).test_client()
    response = client.post(
        "/call-back", data=request_form(phone="12", best_time="2020-01-01-morning")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    assert 'href="#callback-phone"' in page and 'href="#callback-time-0"' in page
    assert "050 123 4567" in page  # an example number from the clinic's country
    assert "The time you chose has passed" in page
    assert f'value="{NAME}"' in page
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0671234567", "+380 67 123 4567"),
        ("+380 (67) 123-45-67", "+380 67 123 4567"),
        ("044 123 4567", "+380 44 123 4567"),  # a Kyiv landline
        ("067 123", "not_a_number"),
        ("call me", "not_a_number"),
        ("", "not_a_number"),
        ("+380" + "6" * 60, "not_a_number"),
        ("+48 512 345 678", "not_callable"),  # Polish mobile: another country
        ("+44 909 879 0000", "not_callable"),  # UK premium rate (the attack run's)
        ("+1 900 555 0100", "not_callable"),  # US premium rate
        ("0 900 212 345", "not_callable"),  # Ukrainian premium rate
        ("0 800 123 456", "not_callable"),  # Ukrainian toll-free
        ("089 123 4567", "not_callable"),  # Ukrainian VoIP
    ],
)
def test_only_mobile_and_landline_numbers_of_the_clinics_country(typed, expected):
    try:
        outcome = normalised_phone(typed, "UA")
    except PhoneRefused as refused:
        outcome = refused.reason
    assert outcome == expected


def test_other_countries_only_when_the_clinic_lists_them(make_app, mailbox):
    assert normalised_phone("+48 512 345 678", "UA", frozenset({"UA", "PL"})) == "+48 512 345 678"
    with pytest.raises(PhoneRefused):
        normalised_phone("+48 701 234 567", "UA", frozenset({"UA", "PL"}))  # Polish premium rate
    client = make_app(**mail_settings(mailbox.port, CALLBACK_COUNTRIES="pl")).test_client()
    assert client.post("/call-back", data=request_form(phone="+48 512 345 678")).status_code == 200
    with pytest.raises(ConfigError, match="CALLBACK_COUNTRIES"):
        make_app(**mail_settings(mailbox.port, CALLBACK_COUNTRIES="UA, Narnia"))


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The clinic can call only mobile and landline numbers (Ukraine)."),
        ("uk", "Клініка може телефонувати лише на мобільні та стаціонарні номери (Україна)."),
        ("ru", "Клиника может звонить только на мобильные и стационарные номера (Украина)."),
    ],
)
def test_a_premium_rate_number_is_refused_clearly_with_the_answers_kept(
    make_app, mailbox, language, message
):
    client = make_app(**mail_settings(mailbox.port)).test_client()
    form = request_form(phone="+44 909 879 0000", best_time="2026-11-30-evening")
    response = client.post(f"/call-back?lang={language}", data=form)
    assert response.status_code == 400
    page = visible_text(response)
    assert message in page and "050 123 4567" in page
    html = response.get_data(as_text=True)
    assert 'value="+44 909 879 0000"' in html and f'value="{NAME}"' in html
    assert 'value="2026-11-30-evening" checked' in html
    assert mailbox.messages == []


@pytest.mark.parametrize(
    "name",
    [
        "Call +1-900-555-0100 https://evil.example/login",  # the attack run's, verbatim
        "evil.example/login",
        "www.bank-login",
        "Оксана, пишіть на a@evil.example",
        "Оксана 067 123 45 67",
        "Code 4711",
        # The fourth attack run's, which a list of what is refused let through.
        "Call 09,31,23,45,67",
        "Olena 09_31_23_45_67",
        "I,2,3,4,5,6",
        "pay 1O0 UAH",
        "evil .com/login",
        "evil[.]com",
        "evil\u00b7com",  # middle dot
        "evil.\u200bcom",  # a zero-width space after the dot: the email showed "evil. com"
        "Олена 2",  # no digit at all: a name has none
        "\u2460\u2461\u2462",  # circled digits
    ],
)
def test_a_name_with_a_link_or_a_number_is_refused_with_the_answers_kept(make_app, mailbox, name):
    client = make_app(**mail_settings(mailbox.port)).test_client()
    form = request_form(name=name, best_time="2026-11-30-evening", language="ru")
    response = client.post("/call-back", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please write only a name here, without numbers or web addresses." in page
    assert 'href="#callback-name"' in page
    assert f'value="{escape(name)}"' in page and f'value="{PHONE_TYPED}"' in page
    assert 'value="2026-11-30-evening" checked' in page and 'value="ru" checked' in page
    assert mailbox.messages == []


@pytest.mark.parametrize(
    "name",
    [
        # Ukrainian: the apostrophe in any of its three forms, a double surname, an initial.
        "Оксана",
        "Мар'яна",
        "Мар\u2019яна Коваленко-Шевчук",
        "Марʼяна",
        "Анна-Марія",
        "О. Петренко",
        "Ольга Іванівна",
        # Russian.
        "Алёна",
        "Дарья Соколова-Иванова",
        "Н. В. Смирнова",
        # English.
        "Dr. Ann Lee",
        "O'Neil",
        "Mary-Jane O\u2019Brien",
        "St. John",
        "J. R. R. Tolkien",
        # Other scripts, and combining marks.
        "José",
        "Jose\u0301",
        "Zoë",
        "Łucja Wałęsa",
        "Ștefan Şahin",
        "Ґанна Їжакевич-Євтушенко",
        "Nguyễn Văn An",
        "Trần Thị Bích",
        "Əliyev",
        "Хав\u2018ярова",
        "Ма\u0301рія",  # a stress mark
        "S\u0326tefan",  # s and a comma below: NFKC makes it ș
        "",  # the name is optional
    ],
)
def test_names_are_still_names(make_app, mailbox, name):
    client = make_app(**mail_settings(mailbox.port)).test_client()
    assert client.post("/call-back", data=request_form(name=name)).status_code == 200
    assert plain_name(name) in mailbox.messages[0].get_content()


@pytest.mark.parametrize(
    "name",
    [
        "evil\uff0ecom/login",  # fullwidth full stop
        "evil\uff61com",  # halfwidth ideographic full stop
        "evil\u3002com\u2215login",  # ideographic full stop, division slash
        "evil\u2024com",  # one dot leader
        "a\uff20evil",  # fullwidth commercial at
        "Code \uff14\uff17\uff11\uff11",  # fullwidth digits
        # Attack read five: letters drawn as punctuation or digits, overlays, mixed scripts.
        "evil\ua4f8com",  # LISU LETTER TONE MYA TI, a full stop
        "evil\ua78fcom",  # LATIN LETTER SINOLOGICAL DOT, a middle dot
        "Olena \u02d0 pay",  # MODIFIER LETTER TRIANGULAR COLON
        "https\u02d0\u141f\u141fevil\ua4f8com",  # a colon and CANADIAN SYLLABICS slashes
        "a\u0338b",  # COMBINING LONG SOLIDUS OVERLAY
        "O\u0431\u01bc \u0406\u01a7\u0417 \u0427\u01bc\u0431\u0222",  # a number in letters
        "Ol\u0435na",  # a Cyrillic ie (U+0435) inside a Latin word
        # Attack read six: marks below that compose with nothing read as punctuation, marks
        # after a space, and a number spelt in Cyrillic letters drawn as digits.
        "evil \u0323com",
        "evilcorp\u0323com",  # a dot below a p: "evilcorp.com"
        "evil\u0326com",  # a comma below
        "evil\u02d9com",  # DOT ABOVE, which NFKC makes a space and a combining dot
        "a\u0301\u0301\u0301b",
        "\u041e\u0431\u04c0 \u04c0\u0417\u0417 \u0427\u0405\u0431\u04e0",  # palochka, dze
    ],
)
def test_a_link_in_look_alike_characters_is_not_a_name(name):
    assert not is_only_a_name(name)


def test_names_cannot_break_a_line():
    assert plain_name("Olena\r\nBcc: x@example.com\u2028\x00") == "Olena Bcc: x@example.com"
    assert len(plain_name("я" * 500)) == 60


def test_call_times_follow_the_opening_hours():
    openings = parse_schedule("Mon\u2013Fri 10:00\u201319:00; Sat 10:00\u201314:00")
    slots = call_slots(openings, WEDNESDAY_MORNING, KYIV)
    assert [slot.value for slot in slots[:3]] == [
        "2026-11-25-morning",
        "2026-11-25-afternoon",
        "2026-11-25-evening",
    ]
    assert len(slots) == 9 and len({slot.day for slot in slots}) == 3  # Wed, Thu, Fri
    saturday = [
        slot
        for slot in call_slots(openings, WEDNESDAY_MORNING, KYIV, count=12)
        if slot.day.weekday() == 5
    ]
    assert [(slot.part, str(slot.ends)) for slot in saturday] == [
        ("morning", "12:00:00"),
        ("afternoon", "14:00:00"),
    ]
    late = call_slots(openings, datetime(2026, 11, 25, 18, 30, tzinfo=KYIV), KYIV)
    assert late[0].value == "2026-11-25-evening"
    assert len(late) == 9  # always the same number of times: the page keeps its length
    assert late[-1].value == "2026-11-28-afternoon"  # on to Saturday


# Abuse: the rate limit, and hostile input.


def test_rate_limited_per_address(make_app, mailbox):
    app = make_app(**mail_settings(mailbox.port, CALLBACK_RATE_LIMIT="2 per minute"))
    client = app.test_client()
    statuses = [client.post("/call-back", data=request_form()).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(mailbox.messages) == 2


def post_from(client, address: str, **form: str):
    return client.post(
        "/call-back", data=request_form(**form), environ_base={"REMOTE_ADDR": address}
    )


@pytest.mark.parametrize(
    ("same_network", "other_network"),
    [
        (["198.51.100.7", "198.51.100.8", "198.51.100.250"], "198.51.101.7"),  # IPv4 /24
        # IPv6 /56: a subscriber's 256 /64s, each with 2^64 addresses
        (["2001:db8:0:1::1", "2001:db8:0:2::2", "2001:db8:0:ff:ffff::9"], "2001:db8:0:100::1"),
    ],
)
def test_rate_limited_per_network_not_per_address(make_app, mailbox, same_network, other_network):
    """Hopping between the addresses of one /24 or one IPv6 /56 gains nothing; another network
    has its own count."""
    app = make_app(**mail_settings(mailbox.port, CALLBACK_RATE_LIMIT="2 per minute"))
    client = app.test_client()
    assert [post_from(client, address).status_code for address in same_network] == [200, 200, 429]
    assert post_from(client, other_network).status_code == 200
    assert len(mailbox.messages) == 3


def test_a_global_cap_on_call_backs_from_every_address(make_app, mailbox, caplog):
    """The attack run sent 100 emails from 20 addresses in 21 s. Beyond CALLBACK_GLOBAL_LIMIT
    emails from all clients together, the person is told at once that the request did not go
    (with what they typed kept) and the operator reads why in the log."""
    app = make_app(
        **mail_settings(
            mailbox.port, CALLBACK_GLOBAL_LIMIT="3 per hour", CALLBACK_RATE_LIMIT="100 per minute"
        )
    )
    client = app.test_client()
    # Refused forms do not use the cap up.
    assert post_from(client, "192.0.2.1", phone="12").status_code == 400
    sent = [post_from(client, f"203.0.{n}.1").status_code for n in range(3)]
    assert sent == [200, 200, 200]
    caplog.set_level(logging.WARNING)
    refused = post_from(client, "2001:db8:9::1", best_time="2026-11-30-evening")
    assert refused.status_code == 503
    page = refused.get_data(as_text=True)
    assert "The clinic cannot take more call-back requests just now" in page
    assert "your request was not sent and the clinic will not call you" in page
    assert "+380 7373 080 88" in page and "7333" in page and "103" in page
    assert f'value="{NAME}"' in page and 'value="2026-11-30-evening" checked' in page
    assert len(mailbox.messages) == 3
    assert any("CALLBACK_GLOBAL_LIMIT" in record.getMessage() for record in caplog.records)
    assert not any(NAME in record.getMessage() for record in caplog.records)


TOTAL_15 = TOTAL_14 | {3: 3}


def busy_section(page: str) -> str:
    return page[page.index('aria-labelledby="busy-title"') : page.index("</section>")]


def test_at_the_cap_help_now_leads_after_a_flagged_result_and_the_result_stays_reachable(
    make_app, epds, mailbox
):
    """Past CALLBACK_GLOBAL_LIMIT (a flood from a handful of networks can reach it) the page is
    never a dead end: the clinic's number and hours, and, after a flagged result or a total of
    15 or more, the numbers that answer now first, as on the confirmation; the same length
    either way; and a way back to the result page from its code."""
    app = make_app(
        **mail_settings(
            mailbox.port, CALLBACK_GLOBAL_LIMIT="1 per hour", CALLBACK_RATE_LIMIT="100 per minute"
        )
    )
    client = app.test_client()
    codes = {name: result_code(client, epds, s) for name, s in (
        ("flagged", FLAGGED), ("total 15", TOTAL_15), ("total 14", TOTAL_14)
    )}  # fmt: skip
    assert post_from(client, "203.0.113.1").status_code == 200  # the cap is used up
    pages = {}
    for n, (name, code) in enumerate(codes.items()):
        response = client.post(
            "/call-back", data=request_form(code), environ_base={"REMOTE_ADDR": f"198.51.{n}.1"}
        )
        assert response.status_code == 503
        pages[name] = response.get_data(as_text=True)
    for name, page in pages.items():
        tiers = re.findall(r'<li class="tiers__tier[^"]*">(.*?)</li>', busy_section(page), re.S)
        assert len(tiers) == 3
        first = tiers[0]
        if name == "total 14":
            assert "+380 7373 080 88" in first and "(Mon" in first  # the clinic, with its hours
        else:
            assert "7333" in first and "+380 7373 080 88" not in first  # help now leads
            assert "103" in tiers[1] and "112" in tiers[1]
    assert len({len(page.encode()) for page in pages.values()}) == 1
    # The way back to the result: its code posted to the language switch, as the result page does.
    back = re.search(r'<form [^>]*id="back-to-result">.*?</form>', pages["flagged"], re.S)
    assert back is not None and 'action="/language"' in back.group(0)
    result = client.post("/language", data=hidden_fields(back.group(0)))
    assert result.status_code == 200
    assert codes["flagged"] in result.get_data(as_text=True)
    # No way back where there is no result to go back to (no code, or an altered one).
    assert 'id="back-to-result"' not in post_from(client, "192.0.2.9").get_data(as_text=True)
    altered = codes["flagged"][:-1] + ("0" if codes["flagged"][-1] != "0" else "1")
    refused = client.post("/call-back", data=request_form(altered))
    assert refused.status_code == 503 and 'id="back-to-result"' not in refused.get_data(
        as_text=True
    )
    assert len(mailbox.messages) == 1


FIELDS = ["name", "phone", "best_time", "language", "include_code", "result_code", "csrf_token"]
HOSTILE = st.one_of(
    st.sampled_from(
        ["", "any", "uk", "y", "\r\nBcc: victim@example.com", "+380671234567\r\nX-Evil: 1"]
    ),
    st.text(max_size=300),
    st.text(min_size=1_000, max_size=5_000, alphabet="ab\r\n:<>&"),
)


@pytest.fixture(scope="module")
def hostile_mailbox():
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def hostile_client(hostile_mailbox, tmp_path_factory):
    """The test apps' settings (no hostile value can be a signed code, so codes that do not age
    change nothing here) and the call-back apps' mail, so that this app shares their response
    budgets rather than measuring its own; an instance folder of its own, not the checkout's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        app = built_app(
            TEST_APP_SETTINGS
            | mail_settings(
                hostile_mailbox.port,
                CALLBACK_RATE_LIMIT="10000 per minute",
                CALLBACK_GLOBAL_LIMIT="10000 per minute",
            )
        )
    return app.test_client()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=7),
    st.booleans(),
)
def test_hostile_input_never_5xx_nor_a_header(hostile_client, hostile_mailbox, fields, valid_phone):
    if valid_phone:
        fields = fields | {"phone": PHONE_TYPED, "best_time": "any", "language": "ru"}
        fields.pop("result_code", None)
    before = len(hostile_mailbox.messages)
    response = hostile_client.post("/call-back", data=fields)
    assert response.status_code < 500, response.status_code
    for message in hostile_mailbox.messages[before:]:
        assert sorted(message.keys()) == sorted(
            [
                *("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted"),
                *("Content-Type", "Content-Transfer-Encoding", "MIME-Version"),
            ]
        )
        assert message["To"] == INTAKE
        assert "\n" not in message["Subject"]
        assert "X-Evil" not in message.as_string().split("\n\n")[0]
    assert len(hostile_mailbox.messages) - before <= 1


# Start-up checks: a bad setting stops start-up and names its key.


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"CLINIC_INTAKE_EMAIL": "not an address", "SMTP_HOST": "mail"}, "CLINIC_INTAKE_EMAIL"),
        ({"CLINIC_INTAKE_EMAIL": INTAKE}, "SMTP_HOST"),
        ({"CLINIC_INTAKE_EMAIL": INTAKE, "SMTP_HOST": "mail", "SMTP_PORT": "0"}, "SMTP_PORT"),
        ({"CLINIC_INTAKE_EMAIL": INTAKE, "SMTP_HOST": "mail", "SMTP_USER": "u"}, "SMTP_USER"),
        (
            {"CLINIC_INTAKE_EMAIL": INTAKE, "SMTP_HOST": "mail", "SMTP_CA_FILE": "/nowhere.pem"},
            "SMTP_CA_FILE",
        ),
        (
            {
                "CLINIC_INTAKE_EMAIL": INTAKE,
                "SMTP_HOST": "mail.example",
                "SMTP_USER": "u",
                "SMTP_PASSWORD": "p",
                "SMTP_STARTTLS": "0",
            },
            "SMTP_STARTTLS",
        ),
        ({"CLINIC_INTAKE_EMAIL": INTAKE, "SMTP_HOST": "m", "SMTP_STARTTLS": "maybe"}, "STARTTLS"),
        ({"CLINIC_INTAKE_EMAIL": INTAKE, "SMTP_HOST": "m", "SMTP_FROM": "a\nb"}, "SMTP_FROM"),
        ({"CLINIC_COUNTRY": "Ukraine"}, "CLINIC_COUNTRY"),
        ({"CLINIC_LANGUAGE": "de"}, "CLINIC_LANGUAGE"),
        ({"REMINDER_DAYS": "0"}, "REMINDER_DAYS"),
    ],
)
def test_bad_settings_stop_start_up(make_app, settings, key):
    with pytest.raises(ConfigError, match=key):
        make_app(**settings)


def test_settings_from_the_environment(monkeypatch, tmp_path, mailbox):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path))
    for key, value in {
        "SECRET_KEY": TEST_SECRET,
        "HTTPS": "0",
        "EPDS_PERMISSION": "test",
        "CLINIC_INTAKE_EMAIL": INTAKE,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "SMTP_STARTTLS": "off",
        "CLINIC_COUNTRY": "pl",
    }.items():
        monkeypatch.setenv(f"SCREENING_{key}", value)
    app = built_app()
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/call-back", data=request_form(phone="512 345 678"))
    assert response.status_code == 200
    assert "+48 512 345 678" in mailbox.messages[0].get_content()


# The padded result page (screening/documents/padding.py) keeps one length with the form on it.


@pytest.mark.parametrize("language", LANGUAGES)
def test_result_page_keeps_one_length_at_any_time_of_day(make_app, epds, caplog, language):
    """The call times change through the day and the week; the page's length must not, or it
    would outgrow the length measured at the first request."""
    now = [FRIDAY_NIGHT]
    client = make_app(**mail_settings(1, CLOCK=lambda: now[0].astimezone(UTC))).test_client()
    moments = [
        FRIDAY_NIGHT,
        WEDNESDAY_MORNING,
        datetime(2026, 11, 25, 18, 30, tzinfo=KYIV),  # Wednesday evening: today's evening only
        datetime(2026, 11, 29, 12, 0, tzinfo=KYIV),  # Sunday: "Tomorrow" and weekday names
        datetime(2026, 9, 24, 11, 0, tzinfo=KYIV),  # long month names
    ]
    lengths = set()
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        for moment in moments:
            now[0] = moment
            for scores in (TOTAL_14, FLAGGED, dict.fromkeys(range(1, 11), 0)):
                page = client.post(
                    f"/?lang={language}", data=answers_form(indexes_for_scores(epds, scores))
                )
                assert 'id="callback-form"' in page.get_data(as_text=True)
                lengths.add(len(page.data))
    assert not caplog.records  # nothing outgrew its padded length
    assert len(lengths) == 1


# Found by the attack run on the call-back.


DRIP = 0.3  # seconds between the lines (or bytes) a dripping server sends


@contextlib.contextmanager
def dripping(phase: str) -> Iterator[int]:
    """An SMTP server on loopback that drips, for ever, one line or byte every DRIP seconds:
    its greeting ("greeting"); its reply to EHLO ("ehlo"); or, after an EHLO reply dripped for
    1.5 s and a prompt "220" to STARTTLS, the TLS handshake ("tls"). Each read meets
    smtplib's per-read timeout, so only a deadline on the whole conversation ends it. Yields the
    port; stops when the client's side is shut, or on exit."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        listener.settimeout(5)
        with contextlib.suppress(OSError):
            connection = listener.accept()[0]
            with connection, connection.makefile("rb") as reader:

                def drip(piece: bytes) -> None:
                    while not stop.wait(DRIP):
                        connection.sendall(piece)

                if phase == "greeting":
                    return drip(b"220-still here\r\n")
                connection.sendall(b"220 clinic.example ready\r\n")
                reader.readline()  # EHLO
                if phase == "ehlo":
                    return drip(b"250-still here\r\n")
                for _ in range(round(1.5 / DRIP)):
                    connection.sendall(b"250-still here\r\n")
                    stop.wait(DRIP)
                connection.sendall(b"250 STARTTLS\r\n")
                reader.readline()  # STARTTLS
                connection.sendall(b"220 go ahead\r\n")
                # A TLS record's header (a handshake, 16 KB long), then its body 5 bytes a time.
                drip(b"\x16\x03\x03\x40\x00")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(10)
        listener.close()


@pytest.fixture
def dripping_server():
    with dripping("greeting") as port:
        yield port


def test_a_dripping_mail_server_cannot_hold_the_request(make_app, epds, dripping_server):
    client = make_app(**mail_settings(dripping_server, SMTP_TIMEOUT=2)).test_client()
    started = time.monotonic()
    response = client.post("/call-back", data=request_form())
    assert response.status_code == 503
    # Bounded by SMTP_TIMEOUT, not by the server (a generous bound: this is no speed test).
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("phase", ["greeting", "ehlo", "tls"])
def test_the_deadline_ends_a_dripping_conversation_and_the_next_call_back_goes(
    make_app, mailbox, phase
):
    """A server dripping its greeting kept the worker's one conversation for as long as it
    dripped (the attack run: 31 s, and every call-back meanwhile failed with "another message
    is being sent"): smtplib reads the whole greeting before the connection could be closed.
    At the deadline the conversation ends whatever its phase, and the next call-back, to a
    server that answers, goes at once."""
    healthy = make_app(**mail_settings(mailbox.port)).test_client()
    with dripping(phase) as port:
        stuck = make_app(**mail_settings(port, SMTP_TIMEOUT=2, SMTP_STARTTLS=phase == "tls"))
        started = time.monotonic()
        response = stuck.test_client().post("/call-back", data=request_form())
        assert response.status_code == 503
        assert time.monotonic() - started < 15  # a generous bound: this is no speed test
        # Right after the page said it did not go: no app to build in between.
        assert healthy.post("/call-back", data=request_form()).status_code == 200
    assert len(mailbox.messages) == 1


STALL = 0.8  # seconds before each of MAIL, RCPT and the end of DATA is answered


@pytest.fixture
def stalled_mailbox():
    with smtp_server(Mailbox(reply_delay=STALL)) as box:
        yield box


def test_nothing_is_delivered_after_the_page_says_it_was_not(make_app, stalled_mailbox):
    """With a server that answers each command late, the deadline (2 s) comes before the
    message's end: the person reads "did not reach the clinic", and the clinic never gets it
    (the attack run saw it arrive 44 s after that page)."""
    client = make_app(**mail_settings(stalled_mailbox.port, SMTP_TIMEOUT=2)).test_client()
    started = time.monotonic()
    response = client.post("/call-back", data=request_form())
    assert response.status_code == 503
    assert "Your request did not reach the clinic" in response.get_data(as_text=True)
    assert time.monotonic() - started < 2 + STALL
    # Long enough for the whole conversation to have ended at the server's pace.
    time.sleep(4 * STALL)
    assert stalled_mailbox.messages == []


def test_one_conversation_at_a_time_the_others_fail_at_once(make_app, stalled_mailbox, mailbox):
    """While a stalled server holds one conversation, another request in the same worker is
    told at once that it did not go, rather than queue behind it or open another."""
    stalled = make_app(**mail_settings(stalled_mailbox.port, SMTP_TIMEOUT=2)).test_client()
    first = threading.Thread(
        target=stalled.post, args=("/call-back",), kwargs={"data": request_form()}
    )
    first.start()
    time.sleep(0.3)  # the first conversation has begun
    healthy = make_app(**mail_settings(mailbox.port)).test_client()
    started = time.monotonic()
    second = healthy.post("/call-back", data=request_form())
    assert second.status_code == 503
    assert time.monotonic() - started < 1
    first.join(10)
    assert not first.is_alive()
    time.sleep(0.3)  # the first conversation's thread has closed its connection
    assert healthy.post("/call-back", data=request_form()).status_code == 200
    assert len(mailbox.messages) == 1


def test_a_prompt_server_still_gets_the_message_under_a_short_deadline(make_app, mailbox):
    client = make_app(**mail_settings(mailbox.port, SMTP_TIMEOUT=1)).test_client()
    assert client.post("/call-back", data=request_form()).status_code == 200
    assert len(mailbox.messages) == 1


def test_the_email_link_never_comes_from_an_untrusted_host(make_app, epds, mailbox):
    client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE="en")).test_client()
    code = result_code(client, epds, TOTAL_14)
    form = request_form(code, include_code="y")
    assert client.post("/call-back", data=form, headers={"Host": "evil.example"}).status_code == 200
    body = mailbox.messages[0].get_content()
    assert "evil.example" not in body and "Open it at /intake" in body
    trusted = make_app(
        **mail_settings(mailbox.port, CLINIC_LANGUAGE="en", TRUSTED_HOSTS="clinic.example")
    )
    forged = trusted.test_client().post("/call-back", data=form, headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert (
        trusted.test_client()
        .post("/call-back", data=form, headers={"Host": "clinic.example"})
        .status_code
        == 200
    )
    assert "http://clinic.example/intake" in mailbox.messages[-1].get_content()


def test_the_email_carries_the_code_as_the_server_writes_it(make_app, epds, mailbox):
    client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE="en")).test_client()
    code = result_code(client, epds, TOTAL_14)
    mangled = code.lower().replace("-", "\r\n\r\n---\r\n", 1)  # as the attack run posted it
    assert (
        client.post("/call-back", data=request_form(mangled, include_code="y")).status_code == 200
    )
    body = mailbox.messages[0].get_content()
    assert f"Result code: {code}\r\n" in body and "---" not in body


def test_call_back_and_reminder_refuse_a_code_past_the_maximum_age(make_app, epds, mailbox):
    app = make_app(**mail_settings(mailbox.port, RESULT_CODE_MAX_AGE_DAYS=1))
    old = result_code_form(app, indexes_for_scores(epds, FLAGGED), datetime(2026, 8, 1, tzinfo=UTC))
    client = app.test_client()
    assert client.post("/call-back", data=request_form(old["result_code"])).status_code == 400
    assert client.post("/reminder.ics", data=old).status_code == 400
    assert mailbox.messages == []
