"""An in-process SMTP server (aiosmtpd) on loopback that keeps what it receives, refuses it, or
stalls before each reply, for the call-back tests in a test client and in the browser."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING

from tools.servers import free_port


class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or refuses every message. With
    ``reply_delay``, a stalled server: it waits that many seconds before answering MAIL, RCPT
    and the message's end (a message counts as received, and is kept, the moment its closing
    "." arrives, as a real server may deliver it from then on)."""

    def __init__(self, refuse: bool = False, reply_delay: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # as received, for parsers stricter than the one above
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = refuse
        self.reply_delay = reply_delay
        self.port = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.reply_delay)
        return MISSING

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.reply_delay)
        return MISSING

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.7.1 Refused"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(envelope.original_content)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        await asyncio.sleep(self.reply_delay)
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
