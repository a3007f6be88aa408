"""The call-back request's email: its settings, checked at start-up, and one message sent over
SMTP with the standard library. Pure; no Flask.

The recipient is always the clinic's intake address from configuration, never anything posted.
Nothing is queued or kept: a message either reaches the SMTP server now, or the person is told
at once that it did not.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import phonenumbers

from screening.core.clinic import flag
from screening.core.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

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


def setting_text(config: Mapping[str, Any], key: str) -> str:
    """A text setting, stripped; a number given in instance/config.py is taken as its digits."""
    value = config.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ConfigError(f"{key} must be text, got {type(value).__name__}")
    return str(value).strip()


def _address(config: Mapping[str, Any], key: str) -> str:
    value = setting_text(config, key)
    if value and not ADDRESS.match(value):
        raise ConfigError(f"{key} is not an email address such as intake@clinic.example: {value!r}")
    return value


def country_code(config: Mapping[str, Any], key: str) -> str:
    """A region phonenumbers knows, such as UA or PL."""
    value = setting_text(config, key).upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{key} must be a two-letter country code such as UA, got {value!r}")
    return value


def country_codes(config: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """A comma-separated list of regions phonenumbers knows, such as "UA, PL" (may be empty)."""
    codes = [code.strip().upper() for code in setting_text(config, key).split(",") if code.strip()]
    unknown = [code for code in codes if code not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ConfigError(f"{key} must list two-letter country codes such as PL, got {unknown!r}")
    return tuple(codes)


def mail_settings_from_config(
    config: Mapping[str, Any], languages: Collection[str]
) -> MailSettings | None:
    """The settings, or None when CLINIC_INTAKE_EMAIL is empty (no call-back form then).
    Raise ConfigError naming the first missing or malformed key. SMTP_PORT and SMTP_TIMEOUT
    are already whole numbers in range (screening/settings.py checks them first)."""
    language = setting_text(config, "CLINIC_LANGUAGE")
    if language not in languages:
        raise ConfigError(
            f"CLINIC_LANGUAGE must be one of {', '.join(languages)}, got {language!r}"
        )
    intake_email = _address(config, "CLINIC_INTAKE_EMAIL")
    if not intake_email:
        return None
    host = setting_text(config, "SMTP_HOST")
    if not host or len(host) > MAX_HOST_LENGTH or any(c.isspace() for c in host):
        raise ConfigError(
            "SMTP_HOST is not set: CLINIC_INTAKE_EMAIL needs the SMTP server that sends "
            f"call-back requests (SCREENING_SMTP_HOST), got {host!r}"
        )
    user, password = setting_text(config, "SMTP_USER"), setting_text(config, "SMTP_PASSWORD")
    if bool(user) != bool(password):
        raise ConfigError("SMTP_USER and SMTP_PASSWORD go together: set both or neither")
    ca_file = setting_text(config, "SMTP_CA_FILE")
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


# The message's closing "." (the moment the server may deliver it) is sent only while at least
# this share of SMTP_TIMEOUT remains, so that the server's reply to it has that long to come.
COMMIT_RESERVE = 0.5
# One conversation at a time per worker: a stalled server then holds one conversation, not one
# per request, and every other request is told at once that its message did not go.
_one_conversation = threading.Lock()
# How long the request waits, after closing the connection at the deadline, for the
# conversation's thread to end and free the worker's one conversation: it wakes from its read at
# once, so this is milliseconds, and the next request does not meet "another message".
END_GRACE_SECONDS = 1.0


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server within ``settings.timeout`` seconds in all; raise
    MailError if it did not take it by then.

    smtplib's timeout holds for each read, so a server that drips a line every few seconds
    could hold the request (and a worker) past gunicorn's timeout. The conversation runs in a
    thread instead. At the deadline the request closes the connection itself, in whatever phase
    it is (the greeting, EHLO, the message), and what it cannot close (the connect, the TLS
    handshake) has only what is left of the deadline as its timeout; so the conversation ends
    at the deadline and frees the worker's one conversation for the next request. The closing
    "." is sent only before the deadline's reserve: a message refused here is never delivered
    later. While one conversation runs, another request fails at once.
    """
    if not _one_conversation.acquire(blocking=False):
        raise MailError(f"SMTP {settings.host}:{settings.port}: another message is being sent")
    conversation = _Conversation(settings, message)
    try:
        thread = threading.Thread(target=conversation.run, name="smtp", daemon=True)
        thread.start()
    except BaseException:
        _one_conversation.release()
        raise
    thread.join(settings.timeout)
    if thread.is_alive():
        conversation.abandon()
        thread.join(END_GRACE_SECONDS)
        raise MailError(f"SMTP {settings.host}:{settings.port}: no answer in {settings.timeout} s")
    if conversation.failure is not None:
        raise conversation.failure


class _Conversation:
    """One SMTP conversation, run in its own thread, that the request can abandon: once it is,
    the closing "." is never sent, and the connection is closed from the request's side."""

    def __init__(self, settings: MailSettings, message: EmailMessage) -> None:
        self.settings = settings
        self.message = message
        started = time.monotonic()
        self.deadline = started + settings.timeout
        self.commit_by = started + settings.timeout * (1 - COMMIT_RESERVE)
        self.failure: MailError | None = None
        self._lock = threading.Lock()
        self._abandoned = False
        self._sock: socket.socket | None = None

    def run(self) -> None:
        try:
            self._converse()
        except MailError as error:
            self.failure = error
        finally:
            _one_conversation.release()

    def attach(self, sock: socket.socket) -> None:
        """The connection's socket (and after STARTTLS, its TLS socket) exists: from now on
        abandoning the conversation shuts it down, and at once if it already was."""
        with self._lock:
            self._sock = sock
            abandoned = self._abandoned
        if abandoned:
            self._close()

    def remaining(self) -> float:
        """Seconds left before the deadline, as the timeout of what abandon() cannot cut
        short; TimeoutError when none are left or the request has given up."""
        left = self.deadline - time.monotonic()
        if self._abandoned or left <= 0:
            raise TimeoutError("SMTP deadline")
        return left

    def commit(self, send_end: Callable[[], None]) -> None:
        """Send the closing "." with ``send_end`` if the request still waits and the reserve
        is left; under the lock, so the request cannot abandon the conversation half-way."""
        with self._lock:
            if self._abandoned or time.monotonic() >= self.commit_by:
                raise smtplib.SMTPServerDisconnected("deadline before the end of the message")
            send_end()

    def abandon(self) -> None:
        """The request's deadline: no "." after this, and the connection closed now."""
        with self._lock:
            self._abandoned = True
        self._close()

    def _close(self) -> None:
        # shutdown() rather than close(): it wakes the conversation's thread from its read.
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _converse(self) -> None:
        settings = self.settings
        try:
            with _CommittingSMTP(self, settings.host, settings.port, settings.timeout) as smtp:
                if settings.starttls:
                    context = ssl.create_default_context(cafile=settings.ca_file or None)
                    smtp.starttls(context=context)
                if settings.user:
                    smtp.login(settings.user, settings.password)
                smtp.send_message(self.message, to_addrs=[settings.intake_email])
        except Exception as error:
            # Whatever failed, the message did not go: the person must be told so, from the
            # request, not left to a traceback in this thread. The error's type only: an SMTP
            # reply may quote the message or its recipients.
            raise MailError(
                f"SMTP {settings.host}:{settings.port}: {type(error).__name__}"
            ) from None


class _CommittingSMTP(smtplib.SMTP):
    """smtplib's client, with a DATA command whose closing "." waits for the conversation's
    consent (until that line, the server must discard the message if the connection ends), and
    whose socket the conversation can shut down from the moment it exists: smtplib.SMTP's
    __init__ reads the whole greeting before it returns, so a server dripping "220-" lines held
    a connection attached only after that for as long as it dripped."""

    def __init__(self, conversation: _Conversation, host: str, port: int, timeout: float) -> None:
        self.conversation = conversation
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        """A connection to the first of the host's addresses that takes one, each attempt
        within what is left of the deadline (smtplib gives every address the whole timeout),
        attached to the conversation before the greeting is read."""
        failure: OSError = OSError(f"no address for {host}")
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        ):
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self.conversation.remaining())
                sock.connect(address)
            except OSError as error:
                sock.close()
                if isinstance(error, TimeoutError):
                    raise
                failure = error
                continue
            self.conversation.attach(sock)
            return sock
        raise failure

    def docmd(self, cmd: str, args: str = "") -> tuple[int, bytes]:
        reply = super().docmd(cmd, args)
        if cmd.lower() == "starttls" and self.sock is not None:
            # The TLS handshake comes next, on a socket being wrapped, which abandon() cannot
            # shut down: CPython keeps a handshake within its socket's timeout as a whole, so
            # that timeout is what is left of the deadline.
            self.sock.settimeout(self.conversation.remaining())
        return reply

    def starttls(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        reply = super().starttls(*args, **kwargs)
        # From now on abandon() shuts down the TLS socket.
        if self.sock is not None:
            self.conversation.attach(self.sock)
        return reply

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        """smtplib's DATA, the closing "." sent only with the conversation's consent."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            text = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
        else:
            text = bytes(msg)
        # Lines that start with "." get another one (RFC 5321 4.5.2), as smtplib does.
        lines = re.sub(rb"(?m)^\.", b"..", text)
        if not lines.endswith(b"\r\n"):
            lines += b"\r\n"
        self.send(lines)
        self.conversation.commit(lambda: self.send(b".\r\n"))
        return self.getreply()
