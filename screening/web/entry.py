"""Screenings entered by staff: the paper form a patient filled in (in a power cut, a waiting room,
without a phone), or the items read aloud in an interview by a clinician or an interpreter,
entered on the clinician side and giving the same result, code, PDF and FHIR as the same answers
online, with how it was administered.

``GET /intake/entry?mode=paper|interview&items=<language>`` shows the form: the mode and the
language of administration (English or an installed translation) chosen above it, then the
question before the items and the ten items, built from the same instrument and form class as the
online questionnaire (``build_entry_form`` adds the two choices to it). ``POST /intake/entry``
scores it: answers missing bring the page back (400, as the online form) with every given answer
kept, padded like the questionnaire; otherwise the staff result page. One route for both modes:
the mode is a choice on the page, so switching it keeps nothing apart.

Keys 0 to 3 choose an item's first to fourth option in the printed order (the paper form prints
no scores) and move to the next item (static/entry.js); without JavaScript it is plain radios
and a submit button. Nothing is stored; posts count against INTAKE_RATE_LIMIT.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask import render_template, request
from flask_babel import get_locale, gettext
from flask_limiter import RequestLimit
from flask_wtf import FlaskForm

from screening.core.administration import (
    MODE_LABELS,
    STAFF_MODES,
    Administration,
    ItemsText,
    Mode,
    mode_from_text,
)
from screening.core.dates import now_utc
from screening.core.instrument import Instrument
from screening.core.marks import N_
from screening.core.scoring import score
from screening.web.extensions import limit_from_settings, limited_page, limiter
from screening.web.forms import (
    CONTEXT_FIELD,
    GLOBAL_MESSAGES,
    ITEMS_LANGUAGE_FIELD,
    MODE_FIELD,
    NOT_ANSWERED_CHOICE,
    POSTED_CHOICE,
    SETUP_CHANGED,
    SETUP_TARGET,
    SUBMIT_BUTTON_ID,
    WEEKS_FIELDS,
    WEEKS_NOT_GIVEN,
    ContextEntry,
    ErrorLink,
    build_entry_form,
    context_error_links,
    error_links,
    field_name,
    item_error_links,
    item_errors,
    kept_answers,
    kept_context,
    posted_answers,
    posted_context,
    week_number,
    weeks_value,
)
from screening.web.i18n import LANGUAGES
from screening.web.pages import (
    NO_STORE,
    Page,
    longest_mode,
    padded_form_page,
    partial_forms,
    result_page,
)
from screening.web.state import screening_state

ITEMS_PARAMETER = "items"
DEFAULT_MODE = Mode.PAPER
# Said on the staff form itself (the entry, intake's code box) when a post is over
# INTAKE_RATE_LIMIT: a clinic's computers behind one address share it, so staff are told what
# happened, that nothing typed is lost, and the clinic's time from which it goes through.
TOO_MANY_ATTEMPTS = N_(
    "There were too many attempts in a short time, so this one did not go through."
)
TYPED_KEPT = N_("Everything you typed is still filled in below.")
SEND_AGAIN_AFTER = N_(
    "You can send it again after %(time)s. Computers on one network, such as the clinic's, "
    "share this limit."
)
# The clock time is always five characters (HH:MM), so the worst case needs only this one.
LONGEST_TIME = "00:00"


def limit_reached_message(limit: RequestLimit | None = None) -> str:
    """What staff read when their post is over INTAKE_RATE_LIMIT: when (the clinic's clock)
    the limit's window ends; without a limit, its longest wording, for the padded size."""
    time = LONGEST_TIME
    if limit is not None:
        time = datetime.fromtimestamp(limit.reset_at, screening_state().clinic.timezone).strftime(
            "%H:%M"
        )
    return " ".join(
        (gettext(TOO_MANY_ATTEMPTS), gettext(TYPED_KEPT), gettext(SEND_AGAIN_AFTER, time=time))
    )


def administration_languages() -> dict[str, str]:
    """Code -> own name of each language the items can be given in: English, and every interface
    language with an installed translation whose permission is in force."""
    state = screening_state()
    return {
        code: name
        for code, name in LANGUAGES.items()
        if code == state.instrument.language or state.instrument_for(code).language == code
    }


def _entry_form() -> FlaskForm:
    form = build_entry_form(screening_state().questionnaire_form_class)()
    form[ITEMS_LANGUAGE_FIELD].choices = list(administration_languages())
    return form


def _chosen(mode_text: str | None, language: str | None) -> tuple[Mode, str]:
    """The mode and language asked for, or the defaults: paper, and the interface language's
    own text when one is installed (else English)."""
    languages = administration_languages()
    mode = mode_from_text(mode_text)
    interface = str(get_locale())
    default = interface if interface in languages else screening_state().instrument.language
    return (
        mode if mode in STAFF_MODES else DEFAULT_MODE,
        language if language in languages else default,
    )


def _entry_html(
    mode: Mode,
    language: str,
    kept: dict[int, str] | None = None,
    errors_by_item: dict[int, tuple[str, ...]] | None = None,
    errors: list[ErrorLink] | None = None,
    context: ContextEntry | None = None,
) -> str:
    return render_template(
        "entry.html",
        mode=mode,
        items_language=language,
        instrument=screening_state().instrument_for(language),
        administration_languages=administration_languages(),
        staff_modes=[(choice.value, gettext(MODE_LABELS[choice])) for choice in STAFF_MODES],
        mode_field=MODE_FIELD,
        items_language_field=ITEMS_LANGUAGE_FIELD,
        items_parameter=ITEMS_PARAMETER,
        setup_target=SETUP_TARGET,
        kept=kept or {},
        item_errors=errors_by_item or {},
        errors=errors or [],
        context=context or ContextEntry(),
    )


def entry_page() -> Page:
    """GET /intake/entry: the blank form for the chosen mode and language (nothing of anyone's,
    so not padded)."""
    mode, language = _chosen(request.args.get("mode"), request.args.get(ITEMS_PARAMETER))
    return _entry_html(mode, language), 200, NO_STORE


def _kept_entry(form: FlaskForm, status: int, above: list[ErrorLink] | None = None) -> Page:
    """The posted form again, padded (it carries answers), with every given answer kept, the
    form's own errors (none unless it was validated) and ``above`` them."""
    mode, language = _chosen(form[MODE_FIELD].data, form[ITEMS_LANGUAGE_FIELD].data)
    instrument = screening_state().instrument_for(language)
    html = _entry_html(
        mode,
        language,
        kept_answers(form, instrument),
        item_errors(form, instrument),
        (above or []) + error_links(form, instrument),
        kept_context(form),
    )
    return padded_form_page("entry", html, status)


def _limit_reached(limit: RequestLimit) -> Page:
    """Over INTAKE_RATE_LIMIT: the form as it was posted, nothing checked, and when it can go."""
    return _kept_entry(
        _entry_form(), 429, [ErrorLink(SUBMIT_BUTTON_ID, limit_reached_message(limit))]
    )


@limiter.limit(
    limit_from_settings(lambda limits: limits.intake), on_breach=limited_page(_limit_reached)
)
def enter() -> Page:
    """POST /intake/entry: the staff result page, or the form again (400) with what is missing
    and every given answer kept."""
    form = _entry_form()
    if not form.validate():
        setup = [ErrorLink(SETUP_TARGET, str(SETUP_CHANGED))] if _setup_failed(form) else []
        return _kept_entry(form, 400, setup)
    mode = Mode(form[MODE_FIELD].data)
    language = form[ITEMS_LANGUAGE_FIELD].data
    instrument = screening_state().instrument_for(language)
    outcome = score(instrument, posted_answers(form, instrument))
    # Whole minutes, as online: the result code holds the minute.
    moment = now_utc().replace(second=0)
    # The code seals the text the items were given in and the mode; staff read and the person
    # answered in that language.
    administration = Administration(language, ItemsText.of(instrument), mode)
    return result_page(outcome, moment, posted_context(form), administration, entered=True)


def carried_entry() -> list[tuple[str, str]]:
    """The posted entry as hidden fields for the sign-in page, when the sign-in ended before it
    was sent: only what names a real choice (the mode and language chosen, each answer that is
    an option, the question before the items, weeks as two digits), so what is carried is
    bounded and its page can be padded; the question and both weeks are always carried, so the
    sign-in's upload says nothing of them. Never a URL or a log: a POST body and a page only."""
    form = _entry_form()
    mode, language = _chosen(form[MODE_FIELD].data, form[ITEMS_LANGUAGE_FIELD].data)
    instrument = screening_state().instrument_for(language)
    fields = [(MODE_FIELD, mode.value), (ITEMS_LANGUAGE_FIELD, language)]
    fields += [(field_name(n), value) for n, value in kept_answers(form, instrument).items()]
    # The question before the items and both weeks always, as the entry form posts them (its
    # hidden "not answered" choice, "--" for no weeks): the sign-in's upload then has one length
    # whatever the answer, as the entry's own has.
    kept = kept_context(form, with_errors=False).values
    fields.append((CONTEXT_FIELD, kept.get(CONTEXT_FIELD, NOT_ANSWERED_CHOICE)))
    for name in WEEKS_FIELDS.values():
        weeks = week_number(kept.get(name, ""))
        fields.append((name, WEEKS_NOT_GIVEN if weeks is None else weeks_value(weeks)))
    return fields


def longest_carried_entries() -> Iterator[list[tuple[str, str]]]:
    """The longest hidden fields ``carried_entry`` gives, in each language of administration:
    every item answered, the longest mode, a choice before the items and both weeks."""
    mode = longest_mode(STAFF_MODES)
    choice = max(POSTED_CHOICE.values(), key=len)
    for language in administration_languages():
        instrument = screening_state().instrument_for(language)
        answers = [
            (field_name(item.number), str(len(item.options) - 1)) for item in instrument.items
        ]
        weeks = [(name, weeks_value(99)) for name in WEEKS_FIELDS.values()]
        yield [
            (MODE_FIELD, mode.value),
            (ITEMS_LANGUAGE_FIELD, language),
            *answers,
            (CONTEXT_FIELD, choice),
            *weeks,
        ]


def carried_entry_page() -> Page:
    """After a sign-in that carried an entry: the entry form with everything typed, nothing
    checked or scored (staff send it again themselves, with this page's CSRF token)."""
    return _kept_entry(_entry_form(), 200)


def _setup_failed(form: FlaskForm) -> bool:
    return bool(form[MODE_FIELD].errors or form[ITEMS_LANGUAGE_FIELD].errors)


def worst_entry_pages() -> Iterator[bytes]:
    """The entry page carrying answers or errors at its longest, in each language of
    administration: the questionnaire's partial forms, with the longest mode, the setup's
    message and the longest message about the whole form above them."""
    above = [
        ErrorLink(SETUP_TARGET, str(SETUP_CHANGED)),
        ErrorLink(
            SUBMIT_BUTTON_ID,
            max([*map(str, GLOBAL_MESSAGES), limit_reached_message()], key=len),
        ),
    ]
    form_class = build_entry_form(screening_state().questionnaire_form_class)
    mode = longest_mode(STAFF_MODES)
    for language in administration_languages():
        instrument: Instrument = screening_state().instrument_for(language)
        extra = {MODE_FIELD: mode.value, ITEMS_LANGUAGE_FIELD: language}
        for form in partial_forms(form_class, instrument, extra):
            links = [*above, *context_error_links(form), *item_error_links(form, instrument)]
            yield _entry_html(
                mode,
                language,
                kept_answers(form, instrument),
                item_errors(form, instrument),
                links,
                kept_context(form),
            ).encode()
