"""Form classes built from the instrument: one RadioField per item, posted as option indexes;
the result page's form, which posts back only its result code; and the error summary, including
what to say when a form's CSRF check fails.

Scores never travel in the form; the server looks them up in the instrument after validation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from screening.instrument import Instrument, Item

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
        if current_app.config["SESSION_COOKIE_SECURE"] and not request.is_secure:
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

    class Meta:
        def wrap_formdata(self, form: FlaskForm, formdata: object) -> object:
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given explicitly: None for a blank form, or a MultiDict
            return request.form if request.method in SUBMIT_METHODS else None


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


class ResultForm(PostedForm):
    """What the result page posts back for its PDF, FHIR export and language switch: only the
    result code the server issued. It holds the answers, the minute and a MAC, so nothing the
    client chooses (a completion time, a changed answer) can be signed again."""

    result_code = HiddenField()


def build_questionnaire_form(instrument: Instrument) -> type[FlaskForm]:
    """The questionnaire form: one radio group per item."""
    fields = {field_name(item.number): _item_field(item) for item in instrument.items}
    return type("QuestionnaireForm", (PostedForm,), fields)


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
    return links + item_error_links(form, instrument)


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
