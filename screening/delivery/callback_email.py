"""The call-back request's email text: its subject and body in the clinic's language, from what
the form checked and the result the posted code holds. Pure; no Flask: the caller gives the
translation function of the clinic's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from screening.core.dates import for_people
from screening.core.marks import N_
from screening.core.scoring import ScreeningResult

Translate = Callable[..., str]

# One subject for every request: mail providers and lock-screen previews read it, so it must not
# say which requests are a priority. The priority is the body's first line.
SUBJECT = N_("Call-back request from the wellbeing questionnaire")


@dataclass(frozen=True)
class CallBackRequest:
    """What goes into the email: only what the form checked, already in the clinic's words."""

    # As the person wrote it, made plain; empty when not given.
    name: str
    phone: str
    # When to call, and the language for the call, in words.
    best_time: str
    call_language: str
    # The result the posted code holds (None: no code), and the code as the result page shows
    # it when the person chose to share it: the server's own rendering, never the posted text.
    result: ScreeningResult | None
    shared_code: str | None
    # Where the clinic opens a shared code.
    intake_url: str
    sent_at: datetime
    timezone: ZoneInfo


def email_subject(gettext: Translate) -> str:
    return gettext(SUBJECT)


def email_body(request: CallBackRequest, language: str, gettext: Translate) -> str:
    """The email's text in ``language`` (the clinic's)."""
    lines = []
    # The results whose page offers crisis support: a positive item 10 or a total of 15 or more.
    if request.result is not None and request.result.needs_crisis_support:
        lines.append(
            gettext(
                "Priority: their answers call for a conversation with a professional without "
                "delay. Please call as soon as you can."
            )
        )
    lines += [
        gettext("Someone who completed the wellbeing questionnaire asks to be called back."),
        "",
        gettext("Name: %(name)s", name=request.name or gettext("not given")),
        gettext("Phone: %(phone)s", phone=request.phone),
        gettext("Best time to call: %(time)s", time=request.best_time),
        gettext("Language for the call: %(language)s", language=request.call_language),
    ]
    if request.shared_code is not None:
        lines.append(gettext("Result code: %(code)s", code=request.shared_code))
        lines.append(gettext("Open it at %(url)s to see the answers.", url=request.intake_url))
    else:
        lines.append(gettext("Result code: not shared"))
    lines += [
        gettext("Sent: %(when)s", when=for_people(request.sent_at, request.timezone, language)),
        "",
        gettext("Nothing about this request is stored by the screening service."),
    ]
    return "\n".join(lines) + "\n"
