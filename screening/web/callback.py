"""From result to care: "Ask the clinic to call me", one email to the clinic's intake address.

Nothing is kept: the request goes out as one email while the person waits, or they are told at
once that it did not, with everything they typed still filled in. The email's recipient comes
from the settings only; the safety flag that makes it a priority call-back comes from the
result code, checked by its tag, never from a posted flag. Every post counts against a limit per
client address (CALLBACK_RATE_LIMIT), which also keeps result codes from being guessed here.
The form is screening/web/callback_form.py; the email's words screening/delivery/callback_email.py.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, make_response, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext
from flask_limiter import RequestLimit

from screening.codes.codec import RestoredResult, encode
from screening.codes.errors import ResultCodeError
from screening.core.call_request import MAX_PHONE_LENGTH, PARTS, call_slots, plain_name, slot_label
from screening.core.context import Status
from screening.core.scoring import ScreeningResult, score
from screening.delivery.callback_email import CallBackRequest, email_body, email_subject
from screening.delivery.mail import MailError, build_message, send
from screening.web.callback_form import (
    ANY_TIME_LABEL,
    RESULT_CODE_LENGTH,
    CallbackForm,
    callback_error_links,
    callback_settings,
    new_form,
    offered_slots,
)
from screening.web.extensions import (
    client_subscriber,
    limit_for_every_client,
    limit_from_settings,
    limited_page,
    limiter,
)
from screening.web.i18n import LANGUAGES
from screening.web.pages import NO_STORE, Page, form_page
from screening.web.response_sizes import padded
from screening.web.staff_session import reposted_code, verified_reposted_code
from screening.web.state import current_clinic, current_settings, screening_state

bp = Blueprint("callback", __name__)
logger = logging.getLogger(__name__)


def _page(
    form: CallbackForm,
    status: int,
    failed: bool = False,
    limited: bool = False,
    busy: bool = False,
    urgent: bool = False,
    result: bool = False,
) -> Page:
    return form_page(
        "callback.html",
        form,
        status,
        failed=failed,
        limited=limited,
        busy=busy,
        urgent=urgent,
        back_to_result=result,
        errors=callback_error_links(form),
    )


def _shown_code(restored: RestoredResult) -> str:
    """A verified code as the result page shows it, whatever spacing or case it was posted in:
    only the server's own rendering of it goes into an email."""
    state = screening_state()
    return encode(
        state.instrument,
        restored.answers,
        restored.completed_at,
        state.result_code_key,
        restored.context,
        restored.read_in,
        items_language=restored.items_language,
        fingerprint=restored.fingerprint,
        mode=restored.mode,
    )


def public_url(endpoint: str) -> str:
    """A link for outside the browser (an email, a calendar file). Built from the request's
    host only when TRUSTED_HOSTS has vouched for it; otherwise the path alone, so a forged Host
    header can never put another site's address into the clinic's mailbox."""
    return url_for(endpoint, _external=current_settings().proxy.trusted_hosts is not None)


def _chosen_time(form: CallbackForm, language: str) -> str:
    """The chosen time to call, in words of the current locale."""
    state = screening_state()
    today = state.clock().astimezone(state.clinic.timezone).date()
    slot = next((slot for slot in offered_slots() if slot.value == form.best_time.data), None)
    return slot_label(slot, today, language, gettext) if slot else gettext(ANY_TIME_LABEL)


def _call_back_request(
    form: CallbackForm,
    restored: RestoredResult | None,
    result: ScreeningResult | None,
    language: str,
) -> CallBackRequest:
    """What the email says, in ``language``: only what the form checked goes in."""
    state = screening_state()
    shared = restored is not None and bool(form.include_code.data)
    return CallBackRequest(
        name=plain_name(form.name.data or ""),
        phone=form.normalised_phone,
        best_time=_chosen_time(form, language),
        call_language=LANGUAGES[form.language.data],
        result=result,
        shared_code=_shown_code(restored) if shared and restored is not None else None,
        intake_url=public_url("intake.start"),
        sent_at=state.clock(),
        timezone=state.clinic_for(language).timezone,
    )


@bp.get("/call-back")
def call_back_form() -> Page:
    """The form on its own page: where the language switch on the call-back pages leads."""
    if callback_settings().mail is None:
        abort(404)
    return _page(new_form(), 200)


def _openable_result(code: str) -> ScreeningResult | None:
    """The result the posted code holds, if this request may open it (as ``reposted_code``
    checks it); None for no code or one it may not, without refusing the request."""
    if not code.strip():
        return None
    try:
        restored = reposted_code(code)
    except ResultCodeError:
        return None
    return score(screening_state().instrument, restored.answers)


def _cap_reached(limit: RequestLimit) -> Response:
    """Every client together has sent CALLBACK_GLOBAL_LIMIT emails: the person is told plainly
    that the clinic cannot take more requests now, with the clinic's number and hours and the
    numbers that answer now (first, after a flagged result or a high total), what they typed,
    and the way back to their result; the operator gets a log line, since real requests are
    being turned away too."""
    logger.warning(
        "call-back request not sent: CALLBACK_GLOBAL_LIMIT (%s) reached by all clients "
        "together; a flood of requests, or a limit too low for this clinic",
        limit.limit,
    )
    form = new_form(posted=True)
    result = _openable_result(request.form.get("result_code", "")[:RESULT_CODE_LENGTH])
    urgent = result is not None and result.needs_crisis_support
    return make_response(_page(form, 503, busy=True, urgent=urgent, result=result is not None))


def _network_limit_reached(limit: RequestLimit) -> Page:
    """This network sent CALLBACK_RATE_LIMIT requests: the numbers that answer now first, and
    the form with what the person typed, as after a mail failure."""
    return _page(new_form(posted=True), 429, limited=True)


@bp.post("/call-back")
@limiter.limit(
    limit_from_settings(lambda limits: limits.callback),
    key_func=client_subscriber,
    on_breach=limited_page(_network_limit_reached),
)
# Emails sent count, not refused posts: a flood of bad forms does not silence real requests.
@limit_for_every_client(
    lambda limits: limits.callback_global,
    "callback-every-client",
    counts=lambda response: response.status_code == 200,
    on_breach=_cap_reached,
)
def request_call() -> Page:
    mail = callback_settings().mail
    if mail is None:
        abort(404)
    form = new_form(posted=True)
    if not form.validate():
        return _page(form, 400)
    # Decoded once: the email and the confirmation both come from this.
    restored = verified_reposted_code(form.result_code.data or "")
    result = None if restored is None else score(screening_state().instrument, restored.answers)
    with force_locale(mail.language):
        call = _call_back_request(form, restored, result, mail.language)
        subject, body = email_subject(gettext), email_body(call, mail.language, gettext)
    try:
        send(mail, build_message(mail, subject, body))
    except MailError as error:
        # The error names the SMTP server and the kind of failure only: never the person.
        logger.warning("call-back request not sent: %s", error)
        return _page(form, 503, failed=True)
    logger.info("call-back request sent")
    # Help now leads the confirmation for the results whose page offers crisis support.
    urgent = result is not None and result.needs_crisis_support
    # After a pregnancy that ended or a baby who died, the confirmation never says "your baby".
    loss = restored is not None and restored.context.status is Status.LOSS
    return _sent_page(form, urgent, loss), 200, NO_STORE


def _earliest_call(form: CallbackForm, language: str) -> str:
    """When the call can come at the earliest: the chosen time, or the next one offered."""
    state = screening_state()
    today = state.clock().astimezone(state.clinic.timezone).date()
    slots = offered_slots()
    chosen = next((slot for slot in slots if slot.value == form.best_time.data), slots[0])
    return slot_label(chosen, today, language, gettext)


def _sent_html(
    phone: str | None, when: str, earliest: str, urgent: bool, loss: bool, open_now: bool
) -> bytes:
    page = render_template(
        "callback_sent.html",
        phone=phone,
        when=when,
        earliest=earliest,
        urgent=urgent,
        loss=loss,
        open_now=open_now,
    )
    return page.encode("utf-8")


def _sent_page(form: CallbackForm, urgent: bool, loss: bool) -> bytes:
    """The confirmation, padded (screening/web/size_policy.py), so that its size tells neither
    whether help now leads it nor whether it follows a loss."""
    language = str(get_locale())
    when, earliest = _chosen_time(form, language), _earliest_call(form, language)
    open_now = current_clinic().status_at(screening_state().clock()).is_open
    page = _sent_html(form.normalised_phone, when, earliest, urgent, loss, open_now)
    return padded("callback-sent", page)


def worst_sent_pages() -> list[bytes]:
    """The confirmation with and without help now at the top (and, with it, the clinic open now
    or not), after a loss or not, for the longest number a person may type (formatting adds at
    most a space per digit) and the longest time this language words, as the chosen and as the
    earliest time."""
    state = screening_state()
    clinic, language = state.clinic, str(get_locale())
    today = state.clock().astimezone(clinic.timezone).date()
    # Two weeks of slots: every weekday name, "today" and "tomorrow" among them.
    slots = call_slots(clinic.openings, state.clock(), clinic.timezone, count=14 * len(PARTS))
    labels = [gettext(ANY_TIME_LABEL), *(slot_label(s, today, language, gettext) for s in slots)]
    when = max(labels, key=lambda label: len(label.encode()))
    phone = "+" + "9" * (2 * MAX_PHONE_LENGTH)
    return [
        _sent_html(phone, when, when, urgent, loss, open_now)
        for urgent in (False, True)
        for loss in (False, True)
        for open_now in (False, True)
    ]
