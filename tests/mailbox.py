"""An in-process SMTP server (aiosmtpd) on loopback that keeps what it receives, for the
call-back tests in a test client and in the browser."""

from __future__ import annotations

import contextlib
import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.servers import free_port


class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or refuses every message."""

    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # as received, for parsers stricter than the one above
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = refuse
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.7.1 Refused"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(envelope.original_content)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"


@contextlib.contextmanager
def smtp_server(mailbox: Mailbox | None = None, **options: object) -> Iterator[Mailbox]:
    """aiosmtpd on a free loopback port, stopped on exit; yields the mailbox, its port set."""
    box = mailbox or Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()
