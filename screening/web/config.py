"""Configuration: defaults, then instance/config.py, then SCREENING_* and FLASK_* variables.

The defaults describe the Expio clinic and are enough for ``make run``. Production must set
SECRET_KEY (the same for every worker, or CSRF tokens fail between workers).
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import date
from pathlib import Path

from flask import Flask

from screening.core.clinic import LIFELINE_UKRAINE, flag
from screening.core.errors import ConfigError

DEFAULTS: dict[str, object] = {
    "SECRET_KEY": None,
    # Development only: without SECRET_KEY, create one in the instance folder and reuse it.
    "DEVELOPMENT": False,
    # Served over HTTPS (directly or behind a proxy): Secure cookies and HSTS. Default: on,
    # except in development.
    "HTTPS": None,
    # How many reverse proxies in front set X-Forwarded-* headers (0: trust none).
    "TRUSTED_PROXIES": 0,
    # Their addresses: X-Forwarded-* is believed from these peers only (gunicorn reads it too).
    "PROXY_ADDRESSES": "127.0.0.1, ::1",
    "CLINIC_NAME": "Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio",
    # The name as the clinic writes it in Ukrainian and Russian (its brand stays in Latin
    # letters). A clinic that sets its own CLINIC_NAME and not these gets its own in every language.
    "CLINIC_NAME_UK": "Центр психотерапії, психосоматики та психоделічної медицини Expio",
    "CLINIC_NAME_RU": "Центр психотерапии, психосоматики и психоделической медицины Expio",
    # A schedule, stated once: the open-now status and each language's display text come from it.
    "CLINIC_HOURS": "Mon\u2013Fri 10:00\u201319:00",
    "CLINIC_PHONE": "+380 7373 080 88",
    # Ambulance, and the single emergency number (rolled out region by region).
    "CLINIC_EMERGENCY_NUMBERS": "103, 112",
    # Lifeline Ukraine: the national suicide-prevention and emotional-support line, 24/7, free.
    "CLINIC_CRISIS_LINE": "7333",
    "CLINIC_CRISIS_LINE_NAME": LIFELINE_UKRAINE,
    "CLINIC_TIMEZONE": "Europe/Kyiv",
    "CLINIC_ADDRESS": "",
    # Days closed although CLINIC_HOURS says open: ISO dates and ranges, both ends included, e.g.
    # "2026-12-25, 2026-12-31..2027-01-02". Empty by default: the clinic names its own closures
    # (no public-holiday list is assumed for it).
    "CLINIC_CLOSED_DATES": "",
    # Whether the clinic prescribes medication such as antidepressants (/about says so).
    "CLINIC_PRESCRIBES": True,
    # The clinic's written permission from the Royal College of Psychiatrists to reproduce the
    # EPDS online (e.g. its reference number): production refuses to start without it.
    "EPDS_PERMISSION": "",
    # Whether the clinician is also shown the cut-offs an installed translation's own validation
    # gives (its provenance.local_cut_offs). Off: only the scale's published cut-offs are used.
    "LOCAL_CUT_OFFS": False,
    # Set to require the code the clinic gives each patient before the questionnaire opens.
    "ACCESS_CODE": "",
    "ACCESS_CODE_RATE_LIMIT": "5 per minute; 20 per hour",
    # How long an entered access code keeps the questionnaire open in that browser.
    "ACCESS_GRANT_HOURS": 12,
    # Result codes typed at /intake: enough for a busy desk, too few to guess a code's MAC.
    "INTAKE_RATE_LIMIT": "30 per minute; 300 per hour",
    # PDF, FHIR and calendar downloads from one client address together: each costs a worker
    # 20-30 ms, so an unlimited stream of them queues every patient behind it. A clinic's desk
    # behind one address prints far fewer.
    "DOCUMENT_RATE_LIMIT": "30 per minute; 300 per hour",
    # Every document response (PDF, FHIR, series PDF) leaves no sooner than this after its view
    # began, so that its timing does not tell a flagged result from another: above the time the
    # slowest one takes to render on a busy worker (about 100 ms; screening/web/timing.py).
    "DOCUMENT_MIN_MILLISECONDS": 250,
    # Refuse result codes completed more than this many days ago, everywhere (0: no maximum).
    # A year: the EPDS is repeated through pregnancy and the first year after birth, and intake
    # puts such screenings side by side; an older screening no longer describes the person now,
    # and a code should not stay a key to someone's answers for ever.
    "RESULT_CODE_MAX_AGE_DAYS": 365,
    # The last day version-1 codes (answers in clear, a 25-bit MAC; issued until November 2026)
    # are accepted at intake, as YYYY-MM-DD (empty: no end): time to hand over screenings made
    # before the sealed codes, and no longer.
    "RESULT_CODE_V1_UNTIL": "2027-02-28",
    # The clinician side (intake, its series and PDF, the FHIR export, codes re-posted after the
    # patient's result page has expired) asks for the staff password whose hash this is: a
    # scrypt hash from `python -m screening.web.staff`. Production refuses to start without it;
    # in development and tests an empty value leaves the clinician side open.
    "STAFF_PASSWORD_HASH": "",
    # How long a staff sign-in lasts in that browser: a working day.
    "STAFF_SIGN_IN_HOURS": 10,
    # Sign-in attempts per client network (an IPv4 /24, an IPv6 /56): enough for typos, and
    # with a scrypt hash and a password of 12 characters or more, guessing is out of reach.
    "STAFF_SIGN_IN_RATE_LIMIT": "5 per minute; 20 per hour",
    # Wrong passwords from every client together (in RATELIMIT_STORAGE_URI, shared by every
    # worker with Redis): guessing from many networks at once stops there, with a log line.
    "STAFF_SIGN_IN_GLOBAL_LIMIT": "30 per minute; 200 per hour",
    # "Ask the clinic to call me": the address that receives call-back requests by email.
    # Empty: no call-back form is shown. The recipient is never taken from a request.
    "CLINIC_INTAKE_EMAIL": "",
    # The country a phone number typed without its country code belongs to (ISO 3166 code).
    # Call-backs go to its mobile and landline numbers only.
    "CLINIC_COUNTRY": "UA",
    # Further countries whose mobile and landline numbers the clinic calls back, e.g. "PL, MD".
    # Empty: the clinic's own country only (no premium-rate or foreign numbers, no toll fraud).
    "CALLBACK_COUNTRIES": "",
    # The language the clinic's staff read call-back emails in (en, uk or ru).
    "CLINIC_LANGUAGE": "uk",
    # The SMTP server that sends call-back emails. STARTTLS stays on unless the relay is on this
    # host; SMTP_CA_FILE trusts a private CA; SMTP_FROM defaults to CLINIC_INTAKE_EMAIL.
    "SMTP_HOST": "",
    "SMTP_PORT": 587,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": True,
    "SMTP_CA_FILE": "",
    "SMTP_FROM": "",
    # Seconds to wait for the SMTP server before telling the person the request did not go. A
    # submission server answers a whole conversation in about a second; a worker held longer
    # than that is one fewer for every patient.
    "SMTP_TIMEOUT": 5,
    # Call-back posts per client network (an IPv4 /24, an IPv6 /56): enough to correct a typo,
    # too few to flood a mailbox.
    "CALLBACK_RATE_LIMIT": "5 per 10 minutes; 20 per day",
    # Call-back emails sent from every client together (counted in RATELIMIT_STORAGE_URI, so
    # shared by every worker with Redis): far above a clinic's day, far below a flood of its
    # mailbox from many addresses. Beyond it a person is told at once that the request did not
    # go, with the clinic's number, and the log says so for the operator.
    "CALLBACK_GLOBAL_LIMIT": "30 per hour; 100 per day",
    # The reminder to repeat the screening: days ahead for a result below the screening
    # threshold, and (sooner) for one above it or with item 10 above 0 ("repeat in 2-4 weeks").
    "REMINDER_DAYS": 28,
    "REMINDER_DAYS_SOONER": 14,
    # Per-worker memory by default; point every worker at one store (e.g. redis://) to share limits.
    "RATELIMIT_STORAGE_URI": "memory://",
    # When that store cannot be reached, count in each worker's memory (one warning line) rather
    # than fail the request, and go back to the store once it answers again.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Seconds to wait for the store: an unreachable Redis host must not hold a worker for long.
    "RATELIMIT_STORAGE_TIMEOUT": 0.5,
    "RATELIMIT_HEADERS_ENABLED": False,
    "MAX_CONTENT_LENGTH": 16 * 1024,
    "MAX_FORM_PARTS": 100,
    # A patient may read the result for a while before downloading the PDF.
    "WTF_CSRF_TIME_LIMIT": 4 * 60 * 60,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}

DEV_SECRET_FILE = "secret_key"


def load_config(app: Flask, test_config: dict[str, object] | None) -> None:
    """Fill app.config from defaults, the instance file and the environment, or from test_config."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("FLASK")
        # Clinic values stay text: a phone or emergency number such as 112 must not become an int.
        app.config.from_prefixed_env("SCREENING", loads=str)
    else:
        app.config.from_mapping(test_config)
    app.config["DEVELOPMENT"] = flag(app.config, "DEVELOPMENT")
    app.config["LOCAL_CUT_OFFS"] = flag(app.config, "LOCAL_CUT_OFFS")
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = flag(
        app.config, "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"
    )
    _storage_timeout(app.config)
    if app.config["HTTPS"] is None:
        app.config["HTTPS"] = not app.config["DEVELOPMENT"]
    app.config["HTTPS"] = flag(app.config, "HTTPS")
    app.config["TRUSTED_PROXIES"] = _whole_number(app.config, "TRUSTED_PROXIES", 0, 5)
    for key, minimum, maximum in NUMBER_KEYS:
        app.config[key] = _whole_number(app.config, key, minimum, maximum)
    app.config["SECRET_KEY"] = _secret_key(app)
    app.config["RESULT_CODE_V1_UNTIL"] = _last_day(app.config, "RESULT_CODE_V1_UNTIL")
    _require_permission(app)
    _own_name_everywhere(app.config)


# Defaults that translate the default clinic's name: they do not belong to another clinic.
NAME_TRANSLATIONS = ("CLINIC_NAME_UK", "CLINIC_NAME_RU")


def _own_name_everywhere(config: dict[str, object]) -> None:
    """A clinic that set its own CLINIC_NAME but no per-language name shows its own in every
    language, never Expio's translated one."""
    if config["CLINIC_NAME"] != DEFAULTS["CLINIC_NAME"]:
        for key in NAME_TRANSLATIONS:
            if config.get(key) == DEFAULTS[key]:
                config[key] = ""


# Settings that environment variables give as text but Flask and Flask-WTF need as numbers.
NUMBER_KEYS = (
    ("MAX_CONTENT_LENGTH", 1024, 10 * 1024 * 1024),
    ("MAX_FORM_PARTS", 20, 10_000),
    ("WTF_CSRF_TIME_LIMIT", 60, 7 * 24 * 60 * 60),
    ("RESULT_CODE_MAX_AGE_DAYS", 0, 100 * 366),
    ("ACCESS_GRANT_HOURS", 1, 31 * 24),
    ("STAFF_SIGN_IN_HOURS", 1, 7 * 24),
    ("DOCUMENT_MIN_MILLISECONDS", 0, 5000),
    ("SMTP_PORT", 1, 65535),
    # Well under gunicorn's 30 s worker timeout: a slow mail server must not cost a worker.
    ("SMTP_TIMEOUT", 1, 20),
    ("REMINDER_DAYS", 1, 365),
    ("REMINDER_DAYS_SOONER", 1, 365),
)


def _storage_timeout(config: dict[str, object]) -> None:
    """Give a Redis store connect and read timeouts (redis-py waits forever by default)."""
    value = config["RATELIMIT_STORAGE_TIMEOUT"]
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= 30:
        raise ConfigError(f"RATELIMIT_STORAGE_TIMEOUT must be 0 to 30 seconds, got {value!r}")
    config["RATELIMIT_STORAGE_TIMEOUT"] = seconds
    if str(config["RATELIMIT_STORAGE_URI"]).startswith(
        ("redis://", "rediss://", "redis+unix://", "unix://")
    ):
        given = config.get("RATELIMIT_STORAGE_OPTIONS") or {}
        if not isinstance(given, dict):
            raise ConfigError(f"RATELIMIT_STORAGE_OPTIONS must be a dict, got {given!r}")
        options = {"socket_connect_timeout": seconds, "socket_timeout": seconds}
        config["RATELIMIT_STORAGE_OPTIONS"] = options | given


def _whole_number(config: dict[str, object], key: str, minimum: int, maximum: int) -> int:
    value = config[key]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(
            f"{key} must be a whole number from {minimum} to {maximum}, got {value!r}"
        )
    return value


def _last_day(config: dict[str, object], key: str) -> date | None:
    """A YYYY-MM-DD setting as a date; None when empty."""
    value = config[key]
    if isinstance(value, date):
        return value
    if value is None or not str(value).strip():
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(
            f"{key} must be a date such as 2027-02-28, or empty, got {value!r}"
        ) from None


# What werkzeug.security.generate_password_hash writes: a KDF with its parameters, salt, hash.
PASSWORD_HASH = re.compile(r"^(?:scrypt:\d+:\d+:\d+|pbkdf2:sha256:\d+)\$[^$\s]+\$[0-9a-f]{64,}$")


def require_staff_password(app: Flask) -> None:
    """The clinician side shows a patient's every answer: a production server has a staff
    password (its hash) or does not start. Development and tests may leave it open."""
    value = app.config.get("STAFF_PASSWORD_HASH") or ""
    if not isinstance(value, str):
        raise ConfigError("STAFF_PASSWORD_HASH must be text")
    app.config["STAFF_PASSWORD_HASH"] = value = value.strip()
    if value and not PASSWORD_HASH.match(value):
        raise ConfigError(
            "STAFF_PASSWORD_HASH is not a password hash (it must never be the password itself). "
            "Make one with: python -m screening.web.staff"
        )
    if value or app.config["DEVELOPMENT"] or app.config.get("TESTING"):
        return
    raise ConfigError(
        "STAFF_PASSWORD_HASH is not set. The clinician side (/intake, the series, the FHIR "
        "export) shows every answer a result code holds, so it needs a staff password. Run "
        "'python -m screening.web.staff', type the password twice, and set "
        "SCREENING_STAFF_PASSWORD_HASH (or STAFF_PASSWORD_HASH in instance/config.py) to the "
        "line it prints, in single quotes in a shell: it contains '$'."
    )


def _require_permission(app: Flask) -> None:
    """The EPDS may be put online only with the RCPsych's written permission: a production
    server records it or does not start. Development and tests run without it."""
    if app.config["DEVELOPMENT"] or app.config.get("TESTING"):
        return
    permission = app.config.get("EPDS_PERMISSION")
    if not isinstance(permission, str) or not permission.strip():
        raise ConfigError(
            "EPDS_PERMISSION is not set. The Royal College of Psychiatrists holds the copyright "
            "of the EPDS and requires written permission to reproduce it online. Ask the College "
            "for it (the 2014 reprint of the 1987 paper gives permissions@rcpsych.ac.uk) and "
            "set SCREENING_EPDS_PERMISSION (or EPDS_PERMISSION in instance/config.py) to the "
            "permission's reference; it is shown in the page footer and on the PDF."
        )


def _secret_key(app: Flask) -> str:
    key = app.config.get("SECRET_KEY")
    if key:
        return str(key)
    if not app.config["DEVELOPMENT"]:
        raise ConfigError(
            "SECRET_KEY is not set. Set the environment variable SCREENING_SECRET_KEY (or "
            "SECRET_KEY in instance/config.py) to a long random value, the same for every worker; "
            'for example: python -c "import secrets; print(secrets.token_hex(32))"'
        )
    return _development_secret(Path(app.instance_path) / DEV_SECRET_FILE)


def _development_secret(path: Path) -> str:
    """Create the development key once, owner-only; every worker and restart reads the same one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write aside, then link into place: a second worker never reads a half-written key.
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text(encoding="ascii").strip()
