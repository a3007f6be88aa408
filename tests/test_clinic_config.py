"""Clinic details: defaults, instance-file and environment overrides, clear start-up errors."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from screening.core.clinic import clinic_from_config, hours_in, phone_uri
from screening.core.errors import ConfigError
from screening.settings import parse_settings
from screening.web.config import DEFAULTS
from screening.web.i18n import LANGUAGES
from screening.web.state import settings_of
from tests.helpers import built_app, pdf_text
from tools.testkit import answers_form, hidden_fields


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(path))
    for key in (
        "SECRET_KEY",
        "CLINIC_NAME",
        "CLINIC_PHONE",
        "CLINIC_EMERGENCY_NUMBERS",
        "DEVELOPMENT",
    ):
        monkeypatch.delenv(f"SCREENING_{key}", raising=False)
    # Production start-up needs the clinic's EPDS permission; test_crisis.py tests its absence.
    monkeypatch.setenv("SCREENING_EPDS_PERMISSION", "RCPsych test permission")
    return path


def test_defaults_describe_the_expio_clinic():
    clinic = clinic_from_config(DEFAULTS)
    assert clinic.name == "Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio"
    assert clinic.hours == "Mon\u2013Fri 10:00\u201319:00"
    assert clinic.phone == "+380 7373 080 88"
    assert clinic.emergency_numbers == ("103", "112")
    assert (clinic.crisis_line, clinic.crisis_line_name) == ("7333", "Lifeline Ukraine")
    assert clinic.phone_uri == "tel:+380737308088"
    assert clinic.timezone.key == "Europe/Kyiv"


def test_environment_overrides_instance_file_which_overrides_defaults(instance, monkeypatch):
    (instance / "config.py").write_text(
        'SECRET_KEY = "from-file"\nCLINIC_NAME = "File Clinic"\nCLINIC_PHONE = "+1 555 0100"\n'
    )
    monkeypatch.setenv("SCREENING_CLINIC_PHONE", "+44 20 7946 0000")
    monkeypatch.setenv("SCREENING_CLINIC_EMERGENCY_NUMBERS", "999,112")
    app = built_app()
    clinic = app.extensions["screening"].clinic
    assert clinic.name == "File Clinic"
    assert clinic.phone == "+44 20 7946 0000"
    assert clinic.emergency_numbers == ("999", "112")
    body = app.test_client().get("/").get_data(as_text=True)
    assert "File Clinic" in body and "+44 20 7946 0000" in body


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("CLINIC_NAME", "", "CLINIC_NAME is not set"),
        ("CLINIC_HOURS", "   ", "CLINIC_HOURS is not set"),
        ("CLINIC_PHONE", "call us", "CLINIC_PHONE is not a phone number"),
        ("CLINIC_PHONE", None, "CLINIC_PHONE is not set"),
        ("CLINIC_EMERGENCY_NUMBERS", "103, 11a", "CLINIC_EMERGENCY_NUMBERS must list phone"),
        ("CLINIC_EMERGENCY_NUMBERS", 112, "CLINIC_EMERGENCY_NUMBERS must be text"),
        (
            "CLINIC_EMERGENCY_NUMBER",
            "112",
            "CLINIC_EMERGENCY_NUMBER is now CLINIC_EMERGENCY_NUMBERS",
        ),
        ("CLINIC_CRISIS_LINE", "", "CLINIC_CRISIS_LINE is not set"),
        ("CLINIC_CRISIS_LINE", "73 33 x", "CLINIC_CRISIS_LINE is not a phone number"),
        ("CLINIC_CRISIS_LINE_NAME", " ", "CLINIC_CRISIS_LINE_NAME is not set"),
        (
            "CLINIC_HOURS",
            "Weekdays, 10 to 7",
            "CLINIC_HOURS: 'Weekdays, 10 to 7' is not a schedule",
        ),
        ("CLINIC_HOURS", "Mon-Fri 10:00-19:00; Fri 9:00-12:00", "CLINIC_HOURS: Fri is given twice"),
        ("CLINIC_HOURS", "Mon-Fri 19:00-10:00", "CLINIC_HOURS: 19:00.10:00 closes before"),
        ("CLINIC_HOURS", "Fri-Mon 10:00-19:00", "CLINIC_HOURS: Fri.Mon runs backwards"),
        ("CLINIC_HOURS", "Mon 25:00-26:00", "CLINIC_HOURS: '25:00' is not a time of day"),
        ("CLINIC_HOURS_UK", "пн\u2013пт 9:00\u201318:00", "CLINIC_HOURS_UK names the times"),
        ("CLINIC_PRESCRIBES", "maybe", "CLINIC_PRESCRIBES must be on or off"),
        ("CLINIC_TIMEZONE", "Mars/Olympus", "CLINIC_TIMEZONE is not a known time zone"),
        ("CLINIC_NAME", "x" * 201, "CLINIC_NAME is longer than 200"),
        ("CLINIC_NAME_UK", "x" * 201, "CLINIC_NAME_UK is longer than 200"),
        ("CLINIC_HOURS_RU", ["пн"], "CLINIC_HOURS_RU must be text"),
    ],
)
def test_bad_clinic_values_stop_start_up_naming_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        built_app({"SECRET_KEY": "k", "EPDS_PERMISSION": "ref", key: value})


def test_bad_environment_value_stops_start_up(instance, monkeypatch):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv("SCREENING_CLINIC_PHONE", "not a number")
    with pytest.raises(ConfigError, match="CLINIC_PHONE"):
        built_app()


def test_production_without_secret_key_refuses_to_start(instance):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        built_app()


def test_development_creates_one_secret_key_and_reuses_it(instance, monkeypatch):
    monkeypatch.setenv("SCREENING_DEVELOPMENT", "1")
    first = built_app().config["SECRET_KEY"]
    second = built_app().config["SECRET_KEY"]
    assert first == second and len(first) == 64
    key_file = instance / "secret_key"
    assert key_file.read_text() == first
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("number", "uri"),
    [("+380 7373 080 88", "tel:+380737308088"), ("112", "tel:112"), ("(0) 20-7946", "tel:0207946")],
)
def test_phone_links(number, uri):
    assert phone_uri(number) == uri


def test_numeric_settings_from_the_environment_become_numbers(instance, monkeypatch):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv("SCREENING_MAX_CONTENT_LENGTH", "32768")
    monkeypatch.setenv("SCREENING_TRUSTED_PROXIES", "1")
    app = built_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 32768
    assert settings_of(app).proxy.trusted_proxies == 1
    assert app.test_client().post("/", data={"x": "y" * 20_000}).status_code == 400


@pytest.mark.parametrize(
    ("key", "value"), [("MAX_CONTENT_LENGTH", "lots"), ("TRUSTED_PROXIES", "9"), ("HTTPS", "maybe")]
)
def test_malformed_settings_stop_start_up_naming_the_key(instance, monkeypatch, key, value):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv(f"SCREENING_{key}", value)
    with pytest.raises(ConfigError, match=key):
        built_app()


@pytest.mark.parametrize(
    ("language", "hours", "expected"),
    [
        ("en", "Mon\u2013Fri 10:00\u201319:00", "Mon\u2013Fri 10:00\u201319:00"),
        ("uk", "Mon\u2013Fri 10:00\u201319:00", "пн\u2013пт 10:00\u201319:00"),
        ("ru", "Mon-Fri 9:00-18:00; Sat 10:00-14:00", "пн-пт 9:00-18:00; сб 10:00-14:00"),
        ("uk", "Sun 10:00\u201314:00", "нд 10:00\u201314:00"),
        ("ru", "Sun 10:00\u201314:00", "вс 10:00\u201314:00"),
        # Anything but a plain schedule is the clinic's own wording: kept as written.
        ("uk", "Mon\u2013Fri 10:00\u201319:00, by appointment", None),
        ("ru", "Weekdays, 10 to 7", None),
        ("uk", "Monday 10:00\u201319:00", None),
    ],
)
def test_opening_hours_are_given_in_the_language_s_day_names(language, hours, expected):
    assert hours_in(language, hours) == (expected or hours)


def test_pages_and_pdf_show_the_hours_in_the_interface_language(client, tmp_path):
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Mon\u2013Fri 10:00\u201319:00" in english
    ukrainian = client.get("/?lang=uk").get_data(as_text=True)
    assert "пн\u2013пт 10:00\u201319:00" in ukrainian
    assert "Mon\u2013Fri" not in ukrainian
    result = client.post("/?lang=ru", data=answers_form(dict.fromkeys(range(1, 11), 0)))
    page = result.get_data(as_text=True)
    assert "пн\u2013пт 10:00\u201319:00" in page
    pdf = client.post("/result.pdf", data=hidden_fields(page)).data
    text = pdf_text(pdf, tmp_path)
    assert "пн\u2013пт 10:00\u201319:00" in text
    assert "Mon\u2013Fri" not in text


def test_a_name_and_hours_set_for_one_language_are_used_for_it_alone(make_app, tmp_path):
    client = make_app(
        CLINIC_HOURS="Mon-Fri 10:00-19:00",
        CLINIC_NAME_UK="Центр Expio",
        CLINIC_HOURS_UK="пн\u2013пт, з 10:00 до 19:00",
    ).test_client()
    ukrainian = client.get("/?lang=uk").get_data(as_text=True)
    assert "Центр Expio" in ukrainian and "пн\u2013пт, з 10:00 до 19:00" in ukrainian
    assert "Mon-Fri" not in ukrainian
    for language, name in (
        ("en", "Psychedelic Medicine Expio"),
        ("ru", "Центр психотерапии, психосоматики и психоделической медицины Expio"),
    ):
        page = client.get(f"/?lang={language}").get_data(as_text=True)
        assert "Центр Expio" not in page and "з 10:00 до 19:00" not in page
        assert name in page
    result = client.post("/?lang=uk", data=answers_form(dict.fromkeys(range(1, 11), 0)))
    pdf = client.post("/result.pdf", data=hidden_fields(result.get_data(as_text=True))).data
    text = pdf_text(pdf, tmp_path)
    assert "Центр Expio" in text and "з 10:00 до 19:00" in text


def test_settings_are_parsed_once_into_typed_frozen_values_without_flask(tmp_path):
    given = DEFAULTS | {"TESTING": True, "SECRET_KEY": "k", "TRUSTED_PROXIES": "2"}
    settings = parse_settings(given, tuple(LANGUAGES), tmp_path)
    assert settings.proxy.trusted_proxies == 2 and settings.server.https is True
    assert settings.codes.v1_until == date(2027, 2, 28) and settings.callback.mail is None
    assert settings.clinic.for_language("uk").name == DEFAULTS["CLINIC_NAME_UK"]
    with pytest.raises(FrozenInstanceError):
        settings.server.https = False
    assert given["TRUSTED_PROXIES"] == "2"  # the mapping read is left as it was
