"""Every setting of the app, parsed and checked once at start-up into one frozen ``Settings``.

Pure: no Flask. ``screening/web/config.py`` merges the defaults, instance/config.py and the
SCREENING_* variables into one mapping; ``parse_settings()`` turns that mapping into typed
values, raising ``ConfigError`` naming the first bad key, and nothing reads the mapping again.

A setting is one field here: ``setting(KEY, default, parser)`` declares its key, its default
(``DEFAULTS`` is built from these) and how its value is read; README's settings table gives it a
row (``tests/test_settings_documented.py`` fails for a field without one). A value built from
several keys (the clinic, the mail settings) is one field whose parser reads them all.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from screening.core.clinic import (
    LIFELINE_UKRAINE,
    Clinic,
    clinic_from_config,
    clinics_by_language,
    flag,
)
from screening.core.errors import ConfigError
from screening.delivery.mail import (
    MailSettings,
    country_code,
    country_codes,
    mail_settings_from_config,
    setting_text,
)


@dataclass(frozen=True)
class Source:
    """What the parsers read: the merged mapping, the interface languages and the instance
    folder (where development keeps its secret key)."""

    config: Mapping[str, Any]
    languages: tuple[str, ...]
    instance_path: Path


Parser = Callable[[Source], Any]
# Field metadata: the keys a field reads, with their defaults, and its parser.
KEYS = "settings.keys"
PARSE = "settings.parse"


def setting(key: str, default: object, parse: Callable[[Mapping[str, Any], str], Any]) -> Any:
    """A field read from one key with ``parse(config, key)``, which raises ConfigError naming
    the key for a bad value."""
    return field(metadata={KEYS: {key: default}, PARSE: lambda source: parse(source.config, key)})


def built_from(defaults: Mapping[str, object], parse: Parser | None = None) -> Any:
    """A field built from several keys (``defaults`` gives each key a documented default), by
    ``parse`` or by its group's own ``parse``."""
    return field(metadata={KEYS: dict(defaults), PARSE: parse})


def whole(minimum: int, maximum: int) -> Callable[[Mapping[str, Any], str], int]:
    """A whole number in range, also from an environment variable's text."""

    def parse(config: Mapping[str, Any], key: str) -> int:
        value = config.get(key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ConfigError(
                f"{key} must be a whole number from {minimum} to {maximum}, got {value!r}"
            )
        return value

    return parse


def words(config: Mapping[str, Any], key: str) -> str:
    """Text as given, such as a rate limit ("5 per minute; 20 per hour")."""
    return str(config.get(key))


def last_day(config: Mapping[str, Any], key: str) -> date | None:
    """A YYYY-MM-DD setting as a date; None when empty."""
    value = config.get(key)
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


def seconds_up_to_30(config: Mapping[str, Any], key: str) -> float:
    """Seconds to wait for a store: an unreachable Redis host must not hold a worker for long."""
    value = config.get(key)
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= 30:
        raise ConfigError(f"{key} must be 0 to 30 seconds, got {value!r}")
    return seconds


def _production(config: Mapping[str, Any]) -> bool:
    """Neither development nor tests: the checks that guard real patients apply."""
    return not (flag(config, "DEVELOPMENT") or config.get("TESTING"))


# --- The server -----------------------------------------------------------------------------


def _https(config: Mapping[str, Any], key: str) -> bool:
    """On unless set, except in development."""
    if config.get(key) is None:
        return not flag(config, "DEVELOPMENT")
    return flag(config, key)


DEV_SECRET_FILE = "secret_key"


def _secret_key(source: Source) -> str:
    key = source.config.get("SECRET_KEY")
    if key:
        return str(key)
    if not flag(source.config, "DEVELOPMENT"):
        raise ConfigError(
            "SECRET_KEY is not set. Set the environment variable SCREENING_SECRET_KEY (or "
            "SECRET_KEY in instance/config.py) to a long random value, the same for every worker; "
            'for example: python -c "import secrets; print(secrets.token_hex(32))"'
        )
    return _development_secret(source.instance_path / DEV_SECRET_FILE)


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


@dataclass(frozen=True)
class Server:
    # Development only: without SECRET_KEY, create one in the instance folder and reuse it.
    development: bool = setting("DEVELOPMENT", False, flag)
    # Served over HTTPS (directly or behind a proxy): Secure cookies and HSTS. Default: on,
    # except in development.
    https: bool = setting("HTTPS", None, _https)
    # The largest request body, and the most parts a posted form may have.
    max_content_length: int = setting("MAX_CONTENT_LENGTH", 16 * 1024, whole(1024, 10 * 2**20))
    max_form_parts: int = setting("MAX_FORM_PARTS", 100, whole(20, 10_000))
    # A patient may read the result for a while before downloading the PDF.
    csrf_time_limit: int = setting("WTF_CSRF_TIME_LIMIT", 4 * 60 * 60, whole(60, 7 * 24 * 3600))
    # Production must set it, the same for every worker, or CSRF tokens fail between workers.
    secret_key: str = built_from({"SECRET_KEY": None}, _secret_key)


# --- Reverse proxies and host names ---------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# In PROXY_ADDRESSES: connections on a Unix socket, which have no address (gunicorn gives an
# empty REMOTE_ADDR). Only a process the socket's permissions let in can make one: the proxy.
UNIX_SOCKET = "unix"


@dataclass(frozen=True)
class ProxyAddresses:
    """Where the proxies connect from: their networks, and whether a Unix socket is theirs."""

    networks: tuple[Network, ...]
    unix_socket: bool


def _parts_of(setting: object) -> list[str]:
    parts = setting.split(",") if isinstance(setting, str) else setting
    if not isinstance(parts, list | tuple) or not all(isinstance(part, str) for part in parts):
        return []
    return [part.strip() for part in parts if part.strip()]


def proxy_addresses(config: Mapping[str, Any], key: str) -> ProxyAddresses:
    """The proxies' addresses or networks, comma-separated, and ``unix`` for connections on a
    Unix socket."""
    setting = config.get(key)
    parts = _parts_of(setting)
    try:
        if not parts and setting not in ("", [], ()):
            raise TypeError
        networks = tuple(
            ipaddress.ip_network(part, strict=False) for part in parts if part != UNIX_SOCKET
        )
    except (TypeError, ValueError):
        raise ConfigError(
            f"{key} must be IP addresses or networks separated by commas, and 'unix' "
            f"for a Unix socket (e.g. 127.0.0.1, ::1, 10.0.0.0/24), got {setting!r}"
        ) from None
    return ProxyAddresses(networks, UNIX_SOCKET in parts)


def trusted_hosts(config: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    """Host names, from a comma-separated environment variable too, in lower case (the app
    compares a request's Host in lower case: host names are case-insensitive); None (any Host
    accepted) when empty."""
    setting = config.get(key)
    if isinstance(setting, str):
        setting = [host.strip() for host in setting.split(",")]
    if not setting:
        return None
    if not isinstance(setting, list | tuple) or not all(isinstance(h, str) for h in setting):
        raise ConfigError(f"{key} must be host names separated by commas, got {setting!r}")
    return tuple(host.strip().lower() for host in setting if host.strip()) or None


@dataclass(frozen=True)
class Proxy:
    # How many reverse proxies in front set X-Forwarded-* headers (0: trust none).
    trusted_proxies: int = setting("TRUSTED_PROXIES", 0, whole(0, 5))
    # Their addresses: X-Forwarded-* is believed from these peers only (gunicorn reads it too).
    addresses: ProxyAddresses = setting("PROXY_ADDRESSES", "127.0.0.1, ::1", proxy_addresses)
    # The host names the app answers to (Flask's TRUSTED_HOSTS); None: any.
    trusted_hosts: tuple[str, ...] | None = setting("TRUSTED_HOSTS", "", trusted_hosts)


# --- The clinic -----------------------------------------------------------------------------

CLINIC_DEFAULTS: dict[str, object] = {
    "CLINIC_NAME": "Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio",
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
}
# The name as the clinic writes it in Ukrainian and Russian (its brand stays in Latin letters).
# A clinic that sets its own CLINIC_NAME and not these gets its own in every language.
NAME_TRANSLATIONS: dict[str, object] = {
    "CLINIC_NAME_UK": "Центр психотерапії, психосоматики та психоделічної медицини Expio",
    "CLINIC_NAME_RU": "Центр психотерапии, психосоматики и психоделической медицины Expio",
}


def _require_permission(config: Mapping[str, Any]) -> None:
    """The EPDS may be put online only with the RCPsych's written permission: a production
    server records it or does not start. Development and tests run without it."""
    if not _production(config):
        return
    permission = config.get("EPDS_PERMISSION")
    if not isinstance(permission, str) or not permission.strip():
        raise ConfigError(
            "EPDS_PERMISSION is not set. The Royal College of Psychiatrists holds the copyright "
            "of the EPDS and requires written permission to reproduce it online. Ask the College "
            "for it (the 2014 reprint of the 1987 paper gives permissions@rcpsych.ac.uk) and "
            "set SCREENING_EPDS_PERMISSION (or EPDS_PERMISSION in instance/config.py) to the "
            "permission's reference; it is shown in the page footer and on the PDF."
        )


def _own_name_everywhere(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """A clinic that set its own CLINIC_NAME but no per-language name shows its own in every
    language, never Expio's translated one."""
    if config.get("CLINIC_NAME") == CLINIC_DEFAULTS["CLINIC_NAME"]:
        return config
    blanks = {key: "" for key, default in NAME_TRANSLATIONS.items() if config.get(key) == default}
    return ChainMap(blanks, dict(config))


@dataclass(frozen=True)
class ClinicSettings:
    """The clinic's contact facts (screening/core/clinic.py parses them), and as each
    interface language shows them."""

    main: Clinic = built_from(CLINIC_DEFAULTS)
    by_language: Mapping[str, Clinic] = built_from(NAME_TRANSLATIONS)

    @classmethod
    def parse(cls, source: Source) -> ClinicSettings:
        _require_permission(source.config)
        main = clinic_from_config(source.config)
        named = _own_name_everywhere(source.config)
        return cls(main, clinics_by_language(named, main, source.languages))

    def for_language(self, language: str) -> Clinic:
        return self.by_language.get(language, self.main)


# --- What is shown, who may open it, and how often ------------------------------------------


@dataclass(frozen=True)
class Results:
    # Whether the clinician is also shown the cut-offs an installed translation's own validation
    # gives (its provenance.local_cut_offs). Off: only the scale's published cut-offs are used.
    local_cut_offs: bool = setting("LOCAL_CUT_OFFS", False, flag)


@dataclass(frozen=True)
class Codes:
    # Refuse result codes completed more than this many days ago, everywhere (0: no maximum).
    # A year: the EPDS is repeated through pregnancy and the first year after birth, and intake
    # puts such screenings side by side; an older screening no longer describes the person now,
    # and a code should not stay a key to someone's answers for ever.
    max_age_days: int = setting("RESULT_CODE_MAX_AGE_DAYS", 365, whole(0, 100 * 366))
    # The last day version-1 codes (answers in clear, a 25-bit MAC; issued until November 2026)
    # are accepted at intake, as YYYY-MM-DD (empty: no end): time to hand over screenings made
    # before the sealed codes, and no longer.
    v1_until: date | None = setting("RESULT_CODE_V1_UNTIL", "2027-02-28", last_day)


@dataclass(frozen=True)
class Access:
    # Set to require the code the clinic gives each patient before the questionnaire opens.
    code: str = setting("ACCESS_CODE", "", setting_text)
    # How long an entered access code keeps the questionnaire open in that browser.
    grant_hours: int = setting("ACCESS_GRANT_HOURS", 12, whole(1, 31 * 24))


# What werkzeug.security.generate_password_hash writes: a KDF with its parameters, salt, hash.
PASSWORD_HASH = re.compile(r"^(?:scrypt:\d+:\d+:\d+|pbkdf2:sha256:\d+)\$[^$\s]+\$[0-9a-f]{64,}$")


def _staff_password_hash(source: Source) -> str:
    """The clinician side shows a patient's every answer: a production server has a staff
    password (its hash) or does not start. Development and tests may leave it open."""
    value = source.config.get("STAFF_PASSWORD_HASH") or ""
    if not isinstance(value, str):
        raise ConfigError("STAFF_PASSWORD_HASH must be text")
    value = value.strip()
    if value and not PASSWORD_HASH.match(value):
        raise ConfigError(
            "STAFF_PASSWORD_HASH is not a password hash (it must never be the password itself). "
            "Make one with: python -m screening.web.staff"
        )
    if value or not _production(source.config):
        return value
    raise ConfigError(
        "STAFF_PASSWORD_HASH is not set. The clinician side (/intake, the series, the FHIR "
        "export) shows every answer a result code holds, so it needs a staff password. Run "
        "'python -m screening.web.staff', type the password twice, and set "
        "SCREENING_STAFF_PASSWORD_HASH (or STAFF_PASSWORD_HASH in instance/config.py) to the "
        "line it prints, in single quotes in a shell: it contains '$'."
    )


@dataclass(frozen=True)
class Staff:
    # How long a staff sign-in lasts in that browser: a working day.
    sign_in_hours: int = setting("STAFF_SIGN_IN_HOURS", 10, whole(1, 7 * 24))
    # How long a browser that signed in stays a trusted device (screening/web/staff_device.py):
    # its sign-in attempts count per device, never against the shared caps a guesser can fill.
    device_cookie_days: int = setting("STAFF_DEVICE_COOKIE_DAYS", 180, whole(1, 3650))
    # The clinician side (intake, its series and PDF, the FHIR export, codes re-posted after the
    # patient's result page has expired) asks for the staff password whose hash this is: a
    # scrypt hash from `python -m screening.web.staff`. Production refuses to start without it;
    # in development and tests an empty value leaves the clinician side open. Checked after the
    # clinic's own settings.
    password_hash: str = built_from({"STAFF_PASSWORD_HASH": ""}, _staff_password_hash)


@dataclass(frozen=True)
class Limits:
    # Access codes tried per client address.
    access_code: str = setting("ACCESS_CODE_RATE_LIMIT", "5 per minute; 20 per hour", words)
    # Result codes typed at /intake: enough for a busy desk, too few to guess a code's MAC.
    intake: str = setting("INTAKE_RATE_LIMIT", "30 per minute; 300 per hour", words)
    # PDF, FHIR and calendar downloads from one client address together: each costs a worker
    # 20-30 ms, so an unlimited stream of them queues every patient behind it. A clinic's desk
    # behind one address prints far fewer.
    document: str = setting("DOCUMENT_RATE_LIMIT", "30 per minute; 300 per hour", words)
    # Sign-in attempts per client network (an IPv4 /24, an IPv6 /56): enough for typos, and
    # with a scrypt hash and a password of 12 characters or more, guessing is out of reach.
    staff_sign_in: str = setting("STAFF_SIGN_IN_RATE_LIMIT", "5 per minute; 20 per hour", words)
    # Wrong passwords from every client together (in RATELIMIT_STORAGE_URI, shared by every
    # worker with Redis): guessing from many networks at once stops there, with a log line.
    staff_sign_in_global: str = setting(
        "STAFF_SIGN_IN_GLOBAL_LIMIT", "30 per minute; 200 per hour", words
    )
    # Call-back posts per client network (an IPv4 /24, an IPv6 /56): enough to correct a typo,
    # too few to flood a mailbox.
    callback: str = setting("CALLBACK_RATE_LIMIT", "5 per 10 minutes; 20 per day", words)
    # Call-back emails sent from every client together (counted in RATELIMIT_STORAGE_URI, so
    # shared by every worker with Redis): far above a clinic's day, far below a flood of its
    # mailbox from many addresses. Beyond it a person is told at once that the request did not
    # go, with the clinic's number, and the log says so for the operator.
    callback_global: str = setting("CALLBACK_GLOBAL_LIMIT", "30 per hour; 100 per day", words)
    # Per-worker memory by default; point every worker at one store (e.g. redis://) to share.
    storage_uri: str = setting("RATELIMIT_STORAGE_URI", "memory://", words)
    # When that store cannot be reached, count in each worker's memory (one warning line) rather
    # than fail the request, and go back to the store once it answers again.
    in_memory_fallback: bool = setting("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True, flag)
    # Seconds to wait for the store: an unreachable Redis host must not hold a worker for long.
    storage_timeout: float = setting("RATELIMIT_STORAGE_TIMEOUT", 0.5, seconds_up_to_30)
    headers_enabled: bool = setting("RATELIMIT_HEADERS_ENABLED", False, flag)
    # Every document response (PDF, FHIR, series PDF) leaves no sooner than this after its view
    # began, so that its timing does not tell a flagged result from another: above the time the
    # slowest one takes to render on a busy worker (about 100 ms; screening/web/timing.py).
    document_min_milliseconds: int = setting("DOCUMENT_MIN_MILLISECONDS", 250, whole(0, 5000))

    @property
    def on_redis(self) -> bool:
        return self.storage_uri.startswith(("redis://", "rediss://", "redis+unix://", "unix://"))


# --- The call-back and the reminder ---------------------------------------------------------

MAIL_DEFAULTS: dict[str, object] = {
    # The language the clinic's staff read call-back emails in (en, uk or ru).
    "CLINIC_LANGUAGE": "uk",
    # "Ask the clinic to call me": the address that receives call-back requests by email.
    # Empty: no call-back form is shown. The recipient is never taken from a request.
    "CLINIC_INTAKE_EMAIL": "",
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
}


def _mail(source: Source) -> MailSettings | None:
    config = source.config
    numbers = {
        "SMTP_PORT": whole(1, 65535)(config, "SMTP_PORT"),
        # Well under gunicorn's 30 s worker timeout: a slow mail server must not cost a worker.
        "SMTP_TIMEOUT": whole(1, 20)(config, "SMTP_TIMEOUT"),
    }
    return mail_settings_from_config(ChainMap(numbers, dict(config)), source.languages)


@dataclass(frozen=True)
class Callback:
    # The country a phone number typed without its country code belongs to (ISO 3166 code).
    # Call-backs go to its mobile and landline numbers only.
    country: str = setting("CLINIC_COUNTRY", "UA", country_code)
    # Further countries whose mobile and landline numbers the clinic calls back, e.g. "PL, MD".
    # Empty: the clinic's own country only (no premium-rate or foreign numbers, no toll fraud).
    other_countries: tuple[str, ...] = setting("CALLBACK_COUNTRIES", "", country_codes)
    # Where call-back requests go and how; None: no call-back form.
    mail: MailSettings | None = built_from(MAIL_DEFAULTS, _mail)

    @property
    def countries(self) -> frozenset[str]:
        """The countries whose mobile and landline numbers are called back."""
        return frozenset({self.country, *self.other_countries})


@dataclass(frozen=True)
class Reminder:
    # The reminder to repeat the screening: days ahead for a result below the screening
    # threshold, and (sooner) for one above it or with item 10 above 0 ("repeat in 2-4 weeks").
    default_days: int = setting("REMINDER_DAYS", 28, whole(1, 365))
    sooner_days: int = setting("REMINDER_DAYS_SOONER", 14, whole(1, 365))


# --- All of them ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and checked; parsed in this order (the first bad key is named)."""

    server: Server
    results: Results
    limits: Limits
    proxy: Proxy
    codes: Codes
    access: Access
    clinic: ClinicSettings
    callback: Callback
    reminder: Reminder
    staff: Staff


Group = TypeVar("Group")


def _groups() -> dict[str, type]:
    return get_type_hints(Settings)


def _parse_group(group: type[Group], source: Source) -> Group:
    """A group by its own ``parse`` if it has one, else each field by its parser, in order."""
    custom: Callable[[Source], Group] | None = getattr(group, "parse", None)
    if custom is not None:
        return custom(source)
    parsed = {each.name: each.metadata[PARSE](source) for each in fields(group)}  # type: ignore[arg-type]
    return group(**parsed)


def parse_settings(
    config: Mapping[str, Any], languages: Iterable[str], instance_path: Path
) -> Settings:
    """Every setting from the merged mapping; raise ConfigError naming the first bad key."""
    source = Source(config, tuple(languages), instance_path)
    return Settings(**{name: _parse_group(group, source) for name, group in _groups().items()})


def setting_keys() -> dict[str, object]:
    """Every key a field reads, with its default: the app's DEFAULTS."""
    keys: dict[str, object] = {}
    for group in _groups().values():
        for each in fields(group):
            keys.update(each.metadata[KEYS])
    return keys


def fields_without_keys() -> list[str]:
    """Fields that declare no key (a test keeps this empty: each has a README row)."""
    return [
        f"{name}.{each.name}"
        for name, group in _groups().items()
        for each in fields(group)
        if not each.metadata.get(KEYS)
    ]
