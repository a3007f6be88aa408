"""The call-back email as the standard's own parser reads it: email.policy.strict raises on any
defect, the Date says UTC as "+0000" (RFC 5322: "-0000" means the zone is unknown), and a body
with Cyrillic letters travels 7-bit clean (quoted-printable or base64), since the message is
sent without asking the server for 8BITMIME (issue 23)."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from screening.web.i18n import LANGUAGES
from tests.mailbox import smtp_server
from tests.test_callback import NAME, TOTAL_14, mail_settings, request_form, result_code


@pytest.mark.parametrize("clinic_language", LANGUAGES)
def test_the_message_passes_the_strict_parser_with_a_utc_date_and_a_7bit_body(
    make_app, epds, clinic_language
):
    with smtp_server() as mailbox:
        client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE=clinic_language))
        code = result_code(client.test_client(), epds, TOTAL_14)
        form = request_form(code, include_code="y")
        assert client.test_client().post("/call-back", data=form).status_code == 200
    (raw,) = mailbox.raw
    assert raw.isascii(), "a byte above 127 needs 8BITMIME, which was not asked for"
    message = email.message_from_bytes(raw, policy=email.policy.strict)
    assert not message.defects
    date = message["Date"]
    assert date.endswith("+0000"), date
    assert parsedate_to_datetime(date).utcoffset() == timedelta(0)
    assert message["Content-Transfer-Encoding"] in {"quoted-printable", "base64"}
    assert message.get_content_charset() == "utf-8"
    assert NAME in message.get_content()  # the Cyrillic name decodes back unchanged
