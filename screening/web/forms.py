"""Form classes built from the instrument: one RadioField per item, posted as option indexes,
after the optional question about pregnancy or birth; the result page's form, which posts back
only its result code; and the error summary, including what to say when a form's CSRF check
fails.

Scores never travel in the form; the server looks them up in the instrument after validation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from babel.support import NullTranslations, Translations
from flask import current_app, request
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import InputRequired, Optional, ValidationError

from screening.core.administration import STAFF_MODES
from screening.core.context import NOT_ASKED, NOT_GIVEN, WEEKS, Context, Status
from screening.core.instrument import Instrument, Item
from screening.web.state import current_settings

SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Not "submit": a control with that id would hide the form's own submit() method.
SUBMIT_BUTTON_ID = "send"

CSRF_EXPIRED_MESSAGE = _l(
    "This page had been open for a long time, so your answers could not be sent safely. "
    "They are still filled in below: please check them and press the button again."
)

UNREADABLE_MESSAGE = _l(
    "Part of what your browser sent could not be read, so it was left out. Everything that "
    "could be read is filled in below: please check your answers and press the button again."
)

NO_COOKIE_MESSAGE = _l(
    "Your browser did not send back this site\u2019s cookie, so your answers could not be sent "
    "safely. They are still filled in below. Please allow cookies for this site, check that its "
    "address starts with https://, and press the button again."
)
# Flask-WTF's own wording for a token that was sent and signed with this key but is stale, and
# for one signed with another key.
STALE_TOKEN_ERRORS = {"The CSRF token is missing.", "The CSRF token has expired."}
FOREIGN_TOKEN_ERROR = "The CSRF token is invalid."


def csrf_message(form: FlaskForm) -> LazyString | None:
    """What to tell the person when the form's CSRF check failed (None if it passed), and one
    warning log line, without any answer, naming the likely misconfiguration.

    A token that has expired keeps the general message. A browser that sent no session cookie
    at all gets its own: cookies are blocked, or ``HTTPS`` is on (so the cookie is Secure) while
    the site is reached over plain HTTP. A token signed with another key means servers behind
    one balancer do not share ``SECRET_KEY``, or it changed.
    """
    errors = set(form.csrf_token.errors) if form.meta.csrf else set()
    if not errors:
        return None
    if errors & STALE_TOKEN_ERRORS:
        return CSRF_EXPIRED_MESSAGE
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        if current_settings().server.https and not request.is_secure:
            current_app.logger.warning(
                "CSRF check failed: the browser sent no session cookie. HTTPS is on, so the "
                "cookie is Secure, but this request arrived over plain HTTP: serve the site over "
                "HTTPS (behind a proxy, set TRUSTED_PROXIES so its X-Forwarded-Proto is trusted), "
                "or set SCREENING_HTTPS=0 only for plain HTTP on loopback."
            )
        else:
            current_app.logger.warning(
                "CSRF check failed: the browser sent no session cookie; it may block cookies "
                "for this site."
            )
        return NO_COOKIE_MESSAGE
    if FOREIGN_TOKEN_ERROR in errors:
        current_app.logger.warning(
            "CSRF check failed: the token was signed with another key. Every server and worker "
            "behind one load balancer needs the same SECRET_KEY; otherwise SECRET_KEY changed "
            "after the page was opened."
        )
    return CSRF_EXPIRED_MESSAGE


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: the message and the id of the control it links to."""

    target_id: str
    message: str


class PostedForm(FlaskForm):
    """A FlaskForm that reads only form-encoded bodies.

    Flask-WTF falls back to a JSON body when the form is empty, and a JSON body that is not an
    object (``0``, ``[1]``) then raises a TypeError: a 500 for hostile input. Our forms are
    posted by browsers, so anything else is simply an empty form that fails validation.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: FlaskForm, formdata: object) -> object:
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given explicitly: None for a blank form, or a MultiDict
            return request.form if request.method in SUBMIT_METHODS else None

        def get_translations(self, form: FlaskForm) -> object:
            """WTForms' own messages in the interface language. Flask-WTF reads and parses
            WTForms' catalogue from disk again on every request that builds a form: 0.5 ms of
            the ~4 ms a posted questionnaire takes. The catalogue never changes, so each
            language's is loaded once per process."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_catalogue(str(get_locale()))


@lru_cache(maxsize=8)  # one per interface language (screening/web/i18n.py), with room to spare
def wtforms_catalogue(language: str) -> NullTranslations:
    """WTForms' own catalogue for one language (an empty one where it has none)."""
    return Translations.load(messages_path(), [language], domain="wtforms")


def field_name(item_number: int) -> str:
    return f"item_{item_number}"


def _item_field(item: Item) -> RadioField:
    return RadioField(
        f"{item.number}. {item.text}",
        choices=[
            SelectChoice(str(index), option.label) for index, option in enumerate(item.options)
        ],
        validators=[
            InputRequired(
                message=_l("Choose an answer for question %(number)s", number=item.number)
            )
        ],
        invalid_choice_message=_l(
            "The answer sent for question %(number)s is not one of its options. "
            "Please choose one again.",
            number=item.number,
        ),
    )


# The question before the items (screening/core/context.py): its fields and what each choice posts.
CONTEXT_FIELD = "context"
WEEKS_FIELDS = {
    Status.PREGNANT: "context_weeks_pregnant",
    Status.POSTPARTUM: "context_weeks_postpartum",
}
# What each choice posts: codes of one length, and the question always posts one (a hidden,
# pre-checked choice stands for "not answered"), so the size of an upload says nothing about
# the answer. The weeks are posted the same way: two characters, "--" for none.
POSTED_CHOICE = {
    Status.NOT_GIVEN: "skip",
    Status.PREGNANT: "preg",
    Status.POSTPARTUM: "post",
    Status.LOSS: "loss",
    Status.NEITHER: "none",
    Status.PREFER_NOT_TO_SAY: "decl",
}
POSTED_STATUS = {code: status for status, code in POSTED_CHOICE.items()}
NOT_ANSWERED_CHOICE = POSTED_CHOICE[Status.NOT_GIVEN]
LOSS_CHOICE = POSTED_CHOICE[Status.LOSS]
WEEKS_NOT_GIVEN = "--"
CONTEXT_CHOICES = (
    SelectChoice(POSTED_CHOICE[Status.PREGNANT], _l("Yes, I am pregnant")),
    SelectChoice(POSTED_CHOICE[Status.POSTPARTUM], _l("Yes, I have given birth in the past year")),
    SelectChoice(
        POSTED_CHOICE[Status.LOSS], _l("My pregnancy ended, or my baby died, in the past year")
    ),
    SelectChoice(POSTED_CHOICE[Status.NEITHER], _l("Neither of these")),
    SelectChoice(POSTED_CHOICE[Status.PREFER_NOT_TO_SAY], _l("I prefer not to say")),
)
# How much of what was typed in a weeks box comes back after an error: enough to see the mistake
# ("24 weeks"), and a bound on the page's length, which padding must cover.
WEEKS_KEPT = 8
WEEKS_PATTERN = re.compile(r"[0-9]{1,2}")
WEEKS_OUT_OF_RANGE = {
    Status.PREGNANT: _l(
        "Please give the weeks of pregnancy as a whole number from %(low)s to %(high)s, or leave "
        "the box empty.",
        low=WEEKS[Status.PREGNANT][0],
        high=WEEKS[Status.PREGNANT][-1],
    ),
    Status.POSTPARTUM: _l(
        "Please give the weeks since the birth as a whole number from %(low)s to %(high)s, or "
        "leave the box empty.",
        low=WEEKS[Status.POSTPARTUM][0],
        high=WEEKS[Status.POSTPARTUM][-1],
    ),
}
WEEKS_WITHOUT_CHOICE = {
    Status.PREGNANT: _l(
        "To give the weeks of pregnancy, choose \u201c%(choice)s\u201d above, or leave this box "
        "empty.",
        choice=CONTEXT_CHOICES[0].label,
    ),
    Status.POSTPARTUM: _l(
        "To give the weeks since the birth, choose \u201c%(choice)s\u201d above, or leave this "
        "box empty.",
        choice=CONTEXT_CHOICES[1].label,
    ),
}


def _trimmed(text: str | None) -> str | None:
    # Control characters (a NUL, say) would come back in the box as they were sent.
    return "".join(c for c in text if c.isprintable()).strip()[:WEEKS_KEPT] if text else text


def _weeks_given(text: str | None) -> str | None:
    """The weeks as typed, with the select's "not given" read as nothing typed."""
    return "" if text == WEEKS_NOT_GIVEN else text


def weeks_value(weeks: int) -> str:
    """A number of weeks as the select posts it: always two digits."""
    return f"{weeks:02d}"


def week_number(text: str) -> int | None:
    """The weeks a kept value names ("7" or "07"), for choosing them in the list again; None for
    anything else."""
    return int(text) if WEEKS_PATTERN.fullmatch(text) else None


def _weeks_field(status: Status) -> StringField:
    def check(form: FlaskForm, field: Field) -> None:
        if not field.data:  # the list's "not given" (Optional() sees the raw "--")
            return
        if form[CONTEXT_FIELD].data != POSTED_CHOICE[status]:
            raise ValidationError(str(WEEKS_WITHOUT_CHOICE[status]))
        if not WEEKS_PATTERN.fullmatch(field.data) or int(field.data) not in WEEKS[status]:
            raise ValidationError(str(WEEKS_OUT_OF_RANGE[status]))

    return StringField(filters=[_trimmed, _weeks_given], validators=[Optional(), check])


class ContextForm(PostedForm):
    """The question before the items: never required, and weeks only with their choice."""

    context = RadioField(
        choices=[*CONTEXT_CHOICES, SelectChoice(NOT_ANSWERED_CHOICE, "")],
        validators=[Optional()],
        invalid_choice_message=_l(
            "The answer sent for this question is not one of its choices. Please choose again, "
            "or leave the question out."
        ),
    )
    context_weeks_pregnant = _weeks_field(Status.PREGNANT)
    context_weeks_postpartum = _weeks_field(Status.POSTPARTUM)


@dataclass(frozen=True)
class ContextEntry:
    """The question before the items as a page shows it again: field name -> what was sent (a
    choice only if it is one of the choices, weeks cut to WEEKS_KEPT characters), and field name
    -> its errors."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


NO_CONTEXT_ENTRY = ContextEntry()


def posted_context(form: FlaskForm) -> Context:
    """The answer to the question before the items, from a validated form."""
    if not form[CONTEXT_FIELD].data:
        return NOT_GIVEN
    status = POSTED_STATUS[form[CONTEXT_FIELD].data]
    weeks = form[WEEKS_FIELDS[status]].data if status in WEEKS_FIELDS else None
    return Context(status, int(weeks) if weeks else None)


def kept_context(form: FlaskForm, with_errors: bool = True) -> ContextEntry:
    """What was chosen and typed in the question before the items, for the page again."""
    values = {}
    if form[CONTEXT_FIELD].data in {choice.value for choice in CONTEXT_CHOICES}:
        values[CONTEXT_FIELD] = form[CONTEXT_FIELD].data
    for name in WEEKS_FIELDS.values():
        if typed := _weeks_given(_trimmed(form[name].data)):
            values[name] = typed
    errors = {
        name: tuple(str(error) for error in form[name].errors)
        for name in (CONTEXT_FIELD, *WEEKS_FIELDS.values())
        if with_errors and form[name].errors
    }
    return ContextEntry(values, errors)


def context_entry(context: Context) -> ContextEntry:
    """A recorded answer as the question shows it again (a result code's, after a failed
    re-post)."""
    if context in {NOT_GIVEN, NOT_ASKED}:
        return NO_CONTEXT_ENTRY
    values = {CONTEXT_FIELD: POSTED_CHOICE[context.status]}
    if context.weeks is not None:
        values[WEEKS_FIELDS[context.status]] = weeks_value(context.weeks)
    return ContextEntry(values)


def context_error_links(form: FlaskForm) -> list[ErrorLink]:
    """One line per error in the question before the items, linked to its control."""
    targets = {CONTEXT_FIELD: f"{CONTEXT_FIELD}-0"} | {name: name for name in WEEKS_FIELDS.values()}
    return [
        ErrorLink(target, message)
        for name, target in targets.items()
        if name in form  # a re-posted result code has no context fields
        for message in form[name].errors
    ]


class ResultForm(PostedForm):
    """What the result page posts back for its PDF, FHIR export and language switch: only the
    result code the server issued. It holds the answers, the minute and a MAC, so nothing the
    client chooses (a completion time, a changed answer) can be signed again."""

    result_code = HiddenField()


def build_questionnaire_form(instrument: Instrument) -> type[FlaskForm]:
    """The questionnaire form: the question before the items, then one radio group per item."""
    fields = {field_name(item.number): _item_field(item) for item in instrument.items}
    return type("QuestionnaireForm", (ContextForm,), fields)


# The staff entry page (screening/web/entry.py): the questionnaire's own form and checks, with
# how it was administered and the language the items were given in, chosen above the form and
# posted with it in hidden fields.
MODE_FIELD = "mode"
ITEMS_LANGUAGE_FIELD = "items_language"
SETUP_TARGET = "entry-setup"
SETUP_CHANGED = _l(
    "The way the screening was given or its language was not one of the choices. Please choose "
    "them again above the questions."
)


# Questionnaire form class -> its entry form class: built once per app, not per request.
_ENTRY_FORMS: dict[type[FlaskForm], type[FlaskForm]] = {}


def build_entry_form(questionnaire_form: type[FlaskForm]) -> type[FlaskForm]:
    """The questionnaire form (context and items, the same fields and messages) with the mode
    and the language of administration; the languages are set on each form (the installed
    texts)."""
    if questionnaire_form not in _ENTRY_FORMS:
        _ENTRY_FORMS[questionnaire_form] = _entry_form_of(questionnaire_form)
    return _ENTRY_FORMS[questionnaire_form]


def _entry_form_of(questionnaire_form: type[FlaskForm]) -> type[FlaskForm]:
    setup = {
        MODE_FIELD: RadioField(
            choices=[mode.value for mode in STAFF_MODES],
            validators=[InputRequired(SETUP_CHANGED)],
            invalid_choice_message=SETUP_CHANGED,
        ),
        ITEMS_LANGUAGE_FIELD: RadioField(
            choices=[],
            validators=[InputRequired(SETUP_CHANGED)],
            invalid_choice_message=SETUP_CHANGED,
        ),
    }
    return type("EntryForm", (questionnaire_form,), setup)


def posted_answers(form: FlaskForm, instrument: Instrument) -> dict[int, int]:
    """Item number -> option index, from a validated form."""
    return {item.number: int(form[field_name(item.number)].data) for item in instrument.items}


def kept_answers(form: FlaskForm, instrument: Instrument) -> dict[int, str]:
    """Item number -> a posted index naming a real option, re-checked after a failed submit."""
    kept = {}
    for item in instrument.items:
        value = form[field_name(item.number)].data
        if value in {str(index) for index in range(len(item.options))}:
            kept[item.number] = value
    return kept


def item_errors(form: FlaskForm, instrument: Instrument) -> dict[int, tuple[str, ...]]:
    """Item number -> its error messages, for the items that have any."""
    return {
        item.number: tuple(str(error) for error in form[field_name(item.number)].errors)
        for item in instrument.items
        if form[field_name(item.number)].errors
    }


def error_links(form: FlaskForm, instrument: Instrument) -> list[ErrorLink]:
    """The error summary in page order; each line links to the first radio of its item."""
    links = []
    if getattr(request, "form_parts_dropped", False):
        # Said instead of the CSRF message: a token lost with the unreadable part is not stale.
        links.append(ErrorLink(SUBMIT_BUTTON_ID, UNREADABLE_MESSAGE))
    elif message := csrf_message(form):
        links.append(ErrorLink(SUBMIT_BUTTON_ID, message))
    return links + context_error_links(form) + item_error_links(form, instrument)


def item_error_links(form: FlaskForm, instrument: Instrument) -> list[ErrorLink]:
    """One line per item error; each links to the first radio of its item."""
    return [
        ErrorLink(f"{field_name(item.number)}-0", message)
        for item in instrument.items
        if field_name(item.number) in form  # a re-posted result code has no item fields
        for message in form[field_name(item.number)].errors
    ]


# Said above the item errors instead of a CSRF problem; the longest one sets the padded size.
GLOBAL_MESSAGES = (CSRF_EXPIRED_MESSAGE, UNREADABLE_MESSAGE, NO_COOKIE_MESSAGE)
