"""The call-back request's form: its fields and checks, the call times it offers today, and the
error summary's links. The route is screening/web/callback.py; the pages that show the
call-back section get a blank form from ``section_form()`` in their context.
"""

from __future__ import annotations

import phonenumbers
from babel import Locale
from babel.lists import format_list
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from screening.core.call_request import (
    ANY_TIME,
    MAX_NAME_LENGTH,
    PhoneRefused,
    Slot,
    call_slots,
    is_only_a_name,
    normalised_phone,
    slot_label,
)
from screening.core.marks import N_
from screening.settings import Callback
from screening.web.forms import ErrorLink, PostedForm
from screening.web.i18n import LANGUAGES
from screening.web.state import current_settings, screening_state

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
        if not is_only_a_name(field.data or ""):
            raise ValidationError(str(NAME_MESSAGE))

    def validate_phone(self, field: Field) -> None:
        chosen = callback_settings()
        try:
            self.normalised_phone = normalised_phone(
                field.data or "", chosen.country, chosen.countries
            )
        except PhoneRefused as refused:
            raise ValidationError(phone_message(refused.reason, chosen)) from None


def callback_settings() -> Callback:
    return current_settings().callback


def phone_message(reason: str, chosen: Callback) -> str:
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


def offered_slots() -> list[Slot]:
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
    form.best_time.choices = _time_choices(offered_slots(), str(get_locale()))
    if not posted:
        form.best_time.data = ANY_TIME
        form.language.data = str(get_locale())
        form.result_code.data = result_code
    return form


def section_form(result_code: str = "") -> CallbackForm | None:
    """For a page with the call-back section (the result page, /about), passed in its context:
    a blank form, or None when the clinic has no intake email."""
    return new_form(result_code) if callback_settings().mail else None


# Each field's first control, for the error summary's links.
ERROR_TARGETS = {
    "name": "callback-name",
    "phone": "callback-phone",
    "best_time": "callback-time-0",
    "language": "callback-language-0",
}


def callback_error_links(form: CallbackForm) -> list[ErrorLink]:
    links = []
    if form.meta.csrf and form.csrf_token.errors:
        links.append(ErrorLink(ERROR_TARGETS["phone"], str(CSRF_EXPIRED)))
    for name, target in ERROR_TARGETS.items():
        links.extend(ErrorLink(target, str(message)) for message in form[name].errors)
    return links
