"""From result to care: "Ask the clinic to call me" (one email to the clinic's intake address)
and a calendar reminder to repeat the screening.

Nothing is kept: the request goes out as one email while the person waits, or they are told at
once that it did not, with everything they typed still filled in. The email's recipient comes
from configuration only; the safety flag that makes it a priority call-back comes from the
result code, checked by its tag, never from a posted flag. Every post counts against a limit per
client address (CALLBACK_RATE_LIMIT), which also keeps result codes from being guessed here.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import phonenumbers
from babel import Locale
from babel.lists import format_list
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from wtforms import BooleanField, Field, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from screening.codes.result_code import RestoredResult, ResultCodeError, decode, encode
from screening.core.call_request import (
    ANY_TIME,
    MAX_NAME_LENGTH,
    MAX_PHONE_LENGTH,
    PARTS,
    PhoneRefused,
    Slot,
    call_slots,
    is_only_a_name,
    normalised_phone,
    plain_name,
    slot_label,
)
from screening.core.context import Status
from screening.core.dates import for_people
from screening.core.marks import N_
from screening.core.scoring import ScreeningResult, score
from screening.delivery.mail import (
    MailError,
    MailSettings,
    build_message,
    country_code,
    country_codes,
    mail_settings_from_config,
    send,
)
from screening.documents.reminder import Reminder, ics, interval_days, reminder_start
from screening.web.extensions import (
    client_subscriber,
    document_limit,
    limit_for_every_client,
    limit_from_setting,
    limiter,
)
from screening.web.forms import ErrorLink, PostedForm
from screening.web.i18n import LANGUAGES
from screening.web.pages import NO_STORE, Page, form_page
from screening.web.response_sizes import padded
from screening.web.staff_session import check_reposted_code
from screening.web.state import current_clinic, screening_state

bp = Blueprint("callback", __name__)
logger = logging.getLogger(__name__)
EXTENSION_KEY = "screening_callback"
RESULT_CODE_LENGTH = 64

PHONE_MESSAGES = {
    "not_a_number": N_("Please enter a phone number we can call, such as %(example)s."),
    "not_callable": N_(
        "The clinic can call only mobile and landline numbers (%(countries)s). Please enter "
        "one, such as %(example)s."
    ),
}
NAME_MESSAGE = _l("Please write only a name here, without numbers or web addresses.")
ANY_TIME_LABEL = N_("Any time the clinic is open")
TIME_MESSAGE = _l("Please choose when we should call you.")
TIME_GONE = _l("The time you chose has passed. Please choose another.")
LANGUAGE_MESSAGE = _l("Please choose a language for the call.")
CSRF_EXPIRED = _l(
    "This page had been open for a long time, so your request could not be sent safely. "
    "Please check what you typed and press the button again."
)
# One subject for every request: mail providers and lock-screen previews read it, so it must not
# say which requests are a priority. The priority is the body's first line.
SUBJECT = N_("Call-back request from the wellbeing questionnaire")


@dataclass(frozen=True)
class CallbackSettings:
    """The call-back email's settings (None: no form), and the reminder's intervals in days."""

    mail: MailSettings | None
    country: str
    # The countries whose mobile and landline numbers are called back (the clinic's own first).
    countries: frozenset[str]
    default_days: int
    sooner_days: int


class CallbackForm(PostedForm):
    name = StringField(
        _l("How should we address you? (optional)"),
        validators=[Length(max=MAX_NAME_LENGTH, message=_l("Please keep this shorter."))],
    )
    phone = StringField(_l("Phone number"))
    best_time = RadioField(
        _l("When should we call?"),
        validators=[InputRequired(TIME_MESSAGE)],
        invalid_choice_message=TIME_GONE,
    )
    language = RadioField(
        _l("Language for the call"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        validators=[InputRequired(LANGUAGE_MESSAGE)],
        invalid_choice_message=LANGUAGE_MESSAGE,
    )
    include_code = BooleanField(_l("Include my result code, so the clinician can see my answers"))
    result_code = HiddenField(validators=[Length(max=RESULT_CODE_LENGTH)])

    def validate_name(self, field: Field) -> None:
        if not is_only_a_name(field.data or "") or not is_only_a_name(plain_name(field.data or "")):
            raise ValidationError(str(NAME_MESSAGE))

    def validate_phone(self, field: Field) -> None:
        chosen = callback_settings()
        try:
            self.normalised_phone = normalised_phone(
                field.data or "", chosen.country, chosen.countries
            )
        except PhoneRefused as refused:
            raise ValidationError(phone_message(refused.reason, chosen)) from None


def callback_settings() -> CallbackSettings:
    return callback_settings_of(current_app)


def callback_settings_of(app: Flask) -> CallbackSettings:
    return app.extensions[EXTENSION_KEY]


def phone_message(reason: str, chosen: CallbackSettings) -> str:
    """Why a number is refused, with an example mobile number of the clinic's country and, for
    a number it does not call, the countries it does, in the interface language."""
    example = phonenumbers.example_number_for_type(
        chosen.country, phonenumbers.PhoneNumberType.MOBILE
    ) or phonenumbers.PhoneNumber(country_code=0, national_number=0)
    locale = str(get_locale())
    territories = Locale.parse(locale).territories
    names = [territories.get(code, code) for code in sorted(chosen.countries)]
    return gettext(
        PHONE_MESSAGES[reason],
        example=phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL),
        countries=format_list(names, style="or", locale=locale),
    )


def _slots() -> list[Slot]:
    clinic = screening_state().clinic
    return call_slots(
        clinic.openings, screening_state().clock(), clinic.timezone, closed=clinic.closed
    )


def _time_choices(slots: list[Slot], language: str) -> list[SelectChoice]:
    today = screening_state().clock().astimezone(screening_state().clinic.timezone).date()
    return [SelectChoice(ANY_TIME, gettext(ANY_TIME_LABEL))] + [
        SelectChoice(slot.value, slot_label(slot, today, language, gettext)) for slot in slots
    ]


def new_form(result_code: str = "", posted: bool = False) -> CallbackForm:
    """The form with today's call times; blank for a page, or read from the post."""
    form = CallbackForm() if posted else CallbackForm(formdata=None)
    form.best_time.choices = _time_choices(_slots(), str(get_locale()))
    if not posted:
        form.best_time.data = ANY_TIME
        form.language.data = str(get_locale())
        form.result_code.data = result_code
    return form


def callback_form(result_code: str = "") -> CallbackForm | None:
    """For templates: a blank form, or None when the clinic has no intake email."""
    return new_form(result_code) if callback_settings().mail else None


# Each field's first control, for the error summary's links.
ERROR_TARGETS = {
    "name": "callback-name",
    "phone": "callback-phone",
    "best_time": "callback-time-0",
    "language": "callback-language-0",
}


def _error_links(form: CallbackForm) -> list[ErrorLink]:
    links = []
    if form.meta.csrf and form.csrf_token.errors:
        links.append(ErrorLink(ERROR_TARGETS["phone"], str(CSRF_EXPIRED)))
    for name, target in ERROR_TARGETS.items():
        links.extend(ErrorLink(target, str(message)) for message in form[name].errors)
    return links


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
        errors=_error_links(form),
    )


def _verified_code(code: str) -> RestoredResult | None:
    """What a posted result code holds, checked by its tag; None when no code was posted.
    Only sealed codes (versions 2 to 4, the ones result pages issue) are accepted."""
    if not code.strip():
        return None
    state = screening_state()
    try:
        restored = decode(code.strip(), state.instrument, state.result_code_key, accept_v1=False)
        check_reposted_code(restored)
    except ResultCodeError:
        abort(400)
    return restored


def _verified_result(code: str) -> ScreeningResult | None:
    """The result a posted result code holds (see ``_verified_code``)."""
    restored = _verified_code(code)
    return None if restored is None else score(screening_state().instrument, restored.answers)


def _canonical_code(code: str) -> str:
    """A verified code as the result page shows it, whatever spacing or case it was posted in:
    only the server's own rendering of it goes into an email."""
    state = screening_state()
    restored = decode(code.strip(), state.instrument, state.result_code_key, accept_v1=False)
    return encode(
        state.instrument,
        restored.answers,
        restored.completed_at,
        state.result_code_key,
        restored.context,
        restored.read_in,
    )


def public_url(endpoint: str) -> str:
    """A link for outside the browser (an email, a calendar file). Built from the request's
    host only when TRUSTED_HOSTS has vouched for it; otherwise the path alone, so a forged Host
    header can never put another site's address into the clinic's mailbox."""
    return url_for(endpoint, _external=bool(current_app.config.get("TRUSTED_HOSTS")))


def _chosen_time(form: CallbackForm, language: str) -> str:
    """The chosen time to call, in words of the current locale."""
    state = screening_state()
    today = state.clock().astimezone(state.clinic.timezone).date()
    slot = next((slot for slot in _slots() if slot.value == form.best_time.data), None)
    return slot_label(slot, today, language, gettext) if slot else gettext(ANY_TIME_LABEL)


def _email_body(form: CallbackForm, result: ScreeningResult | None, language: str) -> str:
    """The email's text in the clinic's language. Only what the form checked goes in."""
    state = screening_state()
    clinic = state.clinic_for(language)
    now = state.clock()
    when = _chosen_time(form, language)
    name = plain_name(form.name.data or "") or gettext("not given")
    lines = []
    # The results whose page offers crisis support: a positive item 10 or a total of 15 or more.
    if result is not None and result.needs_crisis_support:
        lines.append(
            gettext(
                "Priority: their answers call for a conversation with a professional without "
                "delay. Please call as soon as you can."
            )
        )
    lines += [
        gettext("Someone who completed the wellbeing questionnaire asks to be called back."),
        "",
        gettext("Name: %(name)s", name=name),
        gettext("Phone: %(phone)s", phone=form.normalised_phone),
        gettext("Best time to call: %(time)s", time=when),
        gettext("Language for the call: %(language)s", language=LANGUAGES[form.language.data]),
    ]
    if result is not None and form.include_code.data:
        code = _canonical_code(form.result_code.data)
        lines.append(gettext("Result code: %(code)s", code=code))
        lines.append(
            gettext("Open it at %(url)s to see the answers.", url=public_url("intake.start"))
        )
    else:
        lines.append(gettext("Result code: not shared"))
    lines += [
        gettext("Sent: %(when)s", when=for_people(now, clinic.timezone, language)),
        "",
        gettext("Nothing about this request is stored by the screening service."),
    ]
    return "\n".join(lines) + "\n"


@bp.get("/call-back")
def call_back_form() -> Page:
    """The form on its own page: where the language switch on the call-back pages leads."""
    if callback_settings().mail is None:
        abort(404)
    return _page(new_form(), 200)


def _openable_result(code: str) -> ScreeningResult | None:
    """The result the posted code holds, if this request may open it (as ``_verified_code``
    checks it); None for no code or one it may not, without refusing the request."""
    if not code.strip():
        return None
    state = screening_state()
    try:
        restored = decode(code.strip(), state.instrument, state.result_code_key, accept_v1=False)
        check_reposted_code(restored)
    except ResultCodeError:
        return None
    return score(state.instrument, restored.answers)


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


def _network_limit_reached(limit: RequestLimit) -> Response:
    """This network sent CALLBACK_RATE_LIMIT requests: the numbers that answer now first, and
    the form with what the person typed, as after a mail failure."""
    response = make_response(_page(new_form(posted=True), 429, limited=True))
    response.headers["Retry-After"] = str(limit.limit.get_expiry())
    return response


@bp.post("/call-back")
@limiter.limit(
    limit_from_setting("CALLBACK_RATE_LIMIT"),
    key_func=client_subscriber,
    on_breach=_network_limit_reached,
)
# Emails sent count, not refused posts: a flood of bad forms does not silence real requests.
@limit_for_every_client(
    "CALLBACK_GLOBAL_LIMIT",
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
    restored = _verified_code(form.result_code.data or "")
    result = None if restored is None else score(screening_state().instrument, restored.answers)
    with force_locale(mail.language):
        subject = gettext(SUBJECT)
        body = _email_body(form, result, mail.language)
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
    slots = _slots()
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


def reminder_days(result: ScreeningResult) -> int:
    """The days until the reminder a result calls for."""
    chosen = callback_settings()
    return interval_days(result, chosen.default_days, chosen.sooner_days)


@bp.post("/reminder.ics")
@document_limit()
def reminder() -> Response:
    """The calendar file. The result page posts its result code (never in a URL: the interval
    says whether the result was above the lowest band); the interval comes from the result the
    code holds, checked as the PDF's re-post is."""
    if not PostedForm().validate():
        abort(400)
    result = _verified_result(request.form.get("result_code", "")[:RESULT_CODE_LENGTH])
    if result is None:
        abort(400)
    days = reminder_days(result)
    clinic = current_clinic()
    now = screening_state().clock()
    summary = gettext("Repeat the wellbeing questionnaire")
    # The person downloads this file for themselves, so the address they used is the right one.
    questionnaire = url_for("screening.questionnaire", _external=True)
    description = " ".join(
        (
            gettext(
                "Time to repeat the wellbeing questionnaire: %(url)s . "
                "Questions or worries: %(clinic)s, %(phone)s (%(hours)s).",
                url=questionnaire,
                clinic=clinic.name,
                phone=clinic.phone,
                hours=clinic.hours,
            ),
            # The reminder may be read on a bad night: the numbers that answer now go with it.
            gettext(
                "To talk to someone now, day or night: %(number)s (%(line)s). If you might harm "
                "yourself or already have: %(numbers)s.",
                number=clinic.crisis_line,
                line=gettext(clinic.crisis_line_name),
                numbers=format_list(
                    list(clinic.emergency_numbers), style="or", locale=str(get_locale())
                ),
            ),
        )
    )
    body = ics(
        Reminder(
            summary=summary,
            description=description,
            url=questionnaire,
            starts=reminder_start(now, days, clinic.timezone),
            uid=f"{uuid.uuid4()}@screening",
            stamp=now,
        )
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'attachment; filename="wellbeing-reminder.ics"',
            **NO_STORE,
        },
    )


def install(app: Flask) -> None:
    """Check the settings at start-up (a bad one stops it, naming the key) and give templates
    ``callback_form()``."""
    country = country_code(app.config, "CLINIC_COUNTRY")
    app.extensions[EXTENSION_KEY] = CallbackSettings(
        mail=mail_settings_from_config(app.config, LANGUAGES),
        country=country,
        countries=frozenset({country, *country_codes(app.config, "CALLBACK_COUNTRIES")}),
        default_days=int(app.config["REMINDER_DAYS"]),
        sooner_days=int(app.config["REMINDER_DAYS_SOONER"]),
    )
    app.jinja_env.globals["callback_form"] = callback_form
