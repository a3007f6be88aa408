"""The call-back request's email: its settings, checked at start-up, and one message sent over
SMTP with the standard library. Pure; no Flask.

The recipient is always the clinic's intake address from configuration, never anything posted.
Nothing is queued or kept: a message either reaches the SMTP server now, or the person is told
at once that it did not.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import phonenumbers

from screening.clinic import flag
from screening.errors import ConfigError

# A plain mailbox address: no display name, no comments, nothing a header could be built from.
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
MAX_HOST_LENGTH = 253
# A body with non-ASCII letters (a Cyrillic name) goes out as quoted-printable or base64,
# whichever is shorter: 8bit would need the server's 8BITMIME, and smtplib does not ask for it.
SEVEN_BIT = default_policy.clone(cte_type="7bit")


class MailError(RuntimeError):
    """The message did not reach the SMTP server; the text names no personal data."""


@dataclass(frozen=True)
class MailSettings:
    """Where call-back requests go and how: CLINIC_INTAKE_EMAIL and the SMTP_* settings."""

    intake_email: str
    sender: str
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    ca_file: str
    timeout: float
    # The language the clinic's staff read the email in.
    language: str


def _setting(config: Mapping[str, Any], key: str) -> str:
    value = config.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ConfigError(f"{key} must be text, got {type(value).__name__}")
    return str(value).strip()


def _address(config: Mapping[str, Any], key: str) -> str:
    value = _setting(config, key)
    if value and not ADDRESS.match(value):
        raise ConfigError(f"{key} is not an email address such as intake@clinic.example: {value!r}")
    return value


def country_code(config: Mapping[str, Any], key: str) -> str:
    """A region phonenumbers knows, such as UA or PL."""
    value = _setting(config, key).upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{key} must be a two-letter country code such as UA, got {value!r}")
    return value


def mail_settings_from_config(
    config: Mapping[str, Any], languages: Mapping[str, str]
) -> MailSettings | None:
    """The settings, or None when CLINIC_INTAKE_EMAIL is empty (no call-back form then).
    Raise ConfigError naming the first missing or malformed key. SMTP_PORT and SMTP_TIMEOUT
    are already whole numbers in range (checked with the other numbers in config.py)."""
    language = _setting(config, "CLINIC_LANGUAGE")
    if language not in languages:
        raise ConfigError(
            f"CLINIC_LANGUAGE must be one of {', '.join(languages)}, got {language!r}"
        )
    intake_email = _address(config, "CLINIC_INTAKE_EMAIL")
    if not intake_email:
        return None
    host = _setting(config, "SMTP_HOST")
    if not host or len(host) > MAX_HOST_LENGTH or any(c.isspace() for c in host):
        raise ConfigError(
            "SMTP_HOST is not set: CLINIC_INTAKE_EMAIL needs the SMTP server that sends "
            f"call-back requests (SCREENING_SMTP_HOST), got {host!r}"
        )
    user, password = _setting(config, "SMTP_USER"), _setting(config, "SMTP_PASSWORD")
    if bool(user) != bool(password):
        raise ConfigError("SMTP_USER and SMTP_PASSWORD go together: set both or neither")
    ca_file = _setting(config, "SMTP_CA_FILE")
    if ca_file and not Path(ca_file).is_file():
        raise ConfigError(f"SMTP_CA_FILE is not a readable file: {ca_file!r}")
    starttls = flag(config, "SMTP_STARTTLS")
    if user and not starttls and host not in {"localhost", "127.0.0.1", "::1"}:
        raise ConfigError(
            "SMTP_STARTTLS is off, so SMTP_PASSWORD would cross the network in clear text: "
            "turn it on, or use a relay on this host"
        )
    return MailSettings(
        intake_email=intake_email,
        sender=_address(config, "SMTP_FROM") or intake_email,
        host=host,
        port=int(config["SMTP_PORT"]),
        user=user,
        password=password,
        starttls=starttls,
        ca_file=ca_file,
        timeout=int(config["SMTP_TIMEOUT"]),
        language=language,
    )


def build_message(settings: MailSettings, subject: str, body: str) -> EmailMessage:
    """One plain-text UTF-8 message to the intake address. Only ``body`` holds what the person
    typed; the subject is fixed wording, so no header is ever built from posted text."""
    message = EmailMessage(policy=SEVEN_BIT)
    message["From"] = settings.sender
    message["To"] = settings.intake_email
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))  # "+0000": UTC, not "-0000" (unknown)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server within ``settings.timeout`` seconds in all; raise
    MailError if it did not take it by then.

    smtplib's timeout holds for each read, so a server that drips a line every few seconds
    could hold the request (and a worker) past gunicorn's timeout. The conversation runs in a
    thread instead, and the request stops waiting at the deadline; the thread ends by itself
    at its next socket timeout.
    """
    failure: list[MailError] = []
    conversation = threading.Thread(
        target=_deliver, args=(settings, message, failure), name="smtp", daemon=True
    )
    conversation.start()
    conversation.join(settings.timeout)
    if conversation.is_alive():
        raise MailError(f"SMTP {settings.host}:{settings.port}: no answer in {settings.timeout} s")
    if failure:
        raise failure[0]


def _deliver(settings: MailSettings, message: EmailMessage, failure: list[MailError]) -> None:
    try:
        _converse(settings, message)
    except MailError as error:
        failure.append(error)


def _converse(settings: MailSettings, message: EmailMessage) -> None:
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                context = ssl.create_default_context(cafile=settings.ca_file or None)
                smtp.starttls(context=context)
            if settings.user:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message, to_addrs=[settings.intake_email])
    except (OSError, smtplib.SMTPException) as error:
        # The error's type only: an SMTP reply may quote the message or its recipients.
        raise MailError(f"SMTP {settings.host}:{settings.port}: {type(error).__name__}") from None
