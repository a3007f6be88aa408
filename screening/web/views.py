"""HTTP views: questionnaire, result, PDF, FHIR export, the calendar reminder and health. Thin:
validate, score, render.

Answers live only in the request: the result page is rendered from the POST, and the PDF, the
FHIR export and the result page's language switch are made from its result code posted again
from a hidden field. The code is checked like one typed at intake, so a client cannot have the
server sign answers or a completion time it did not attest itself. Nothing is stored, logged or
cached.

The path of ``POST /result.pdf``, from the result page's hidden fields to the PDF's bytes (the
FHIR export and the result page's language switch take the same path to a different last step):

1. ``result.html`` posts two hidden fields, ``result_code`` and ``csrf_token`` (``ResultForm``
   in ``forms.py``).
2. ``@on_posted_result`` (below) reads the code and ``codec.verified_code()`` checks its seal
   against this server's key and restores the answers and the completion minute; a code that
   does not verify gets ``refused_code()`` (400), a failed CSRF token gets the questionnaire
   back with the code's answers filled in (400).
3. ``scoring.score()`` scores the restored answers again, in the interface language's
   instrument (``current_instrument()``), and the decorator calls the view, ``result_pdf()``.
4. ``pages.result_pdf()`` builds a ``Printout`` (result, clinic in the interface language,
   completion time, its result code sealed again by ``result_code_for()``), ``pdf.render_pdf()``
   lays out ``build_story()``, and the bytes are padded to one size per language
   (``response_sizes.padded``, budgets from ``size_policy``), so a response's length tells
   nothing about the answers.
5. ``_download()`` sends them as an attachment named by the completion date, ``no-store``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from babel.lists import format_list
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from flask_wtf import FlaskForm

from screening.codes.errors import ResultCodeError
from screening.core.about import clinic_paragraphs
from screening.core.administration import Administration, ItemsText, Mode
from screening.core.context import Context
from screening.core.dates import for_file_name, now_utc
from screening.core.scoring import ScreeningResult, score
from screening.documents.reminder import Reminder, ics, interval_days, reminder_start
from screening.web import pages
from screening.web.callback_form import RESULT_CODE_LENGTH, section_form
from screening.web.extensions import (
    HEALTH_ON_MEMORY_FALLBACK,
    document_limit,
    limits_on_memory_fallback,
)
from screening.web.forms import (
    PostedForm,
    ResultForm,
    context_entry,
    error_links,
    item_errors,
    kept_answers,
    kept_context,
    posted_answers,
    posted_context,
)
from screening.web.i18n import chosen_language
from screening.web.pages import NO_STORE, Page, questionnaire_page, result_page
from screening.web.staff_session import reposted_code, verified_reposted_code
from screening.web.state import (
    current_clinic,
    current_instrument,
    current_settings,
    screening_state,
)
from screening.web.timing import held_to_minimum_time

bp = Blueprint("screening", __name__)

T = TypeVar("T")


def _questionnaire(form: FlaskForm | None = None, show_errors: bool = True) -> Page:
    """The questionnaire: blank, or (400) with a failed form's answers and errors, or (200,
    after a language switch) with the answers given so far and no errors."""
    instrument = current_instrument()
    if form is None:
        return pages.blank_questionnaire_page()
    return questionnaire_page(
        kept_answers(form, instrument),
        item_errors(form, instrument) if show_errors else {},
        error_links(form, instrument) if show_errors else [],
        kept_context(form, with_errors=show_errors),
    )


def _download(body: bytes | str, mimetype: str, completed_at: datetime, extension: str) -> Response:
    date = for_file_name(completed_at, screening_state().clinic.timezone)
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="epds-result-{date}.{extension}"',
            **NO_STORE,
        },
    )


def _scored(form: FlaskForm) -> ScreeningResult:
    """A validated form's answers, scored in the interface language's instrument."""
    instrument = current_instrument()
    return score(instrument, posted_answers(form, instrument))


def refused_code(error: ResultCodeError) -> Page:
    """A posted result code that does not verify: say why, as intake does (400)."""
    page = render_template(
        "errors.html",
        title=gettext("This result code was not accepted"),
        message=error.in_words(gettext, ngettext),
    )
    return page, 400, NO_STORE


def on_posted_result(
    view: Callable[[ScreeningResult, datetime, Context, Administration], T],
) -> Callable[[], T | Page]:
    """Run ``view`` on the result held by the re-posted result code, checked and scored again,
    with its completion time, the answer to the question before the items and how it was given
    (the interface language it was answered in, the items' text, the mode: kept when the page
    is shown in another language, and sealed again in its code).

    An altered code gets intake's message (400). A failed CSRF check gets the questionnaire
    back (400) with the code's answers filled in, so nothing is lost.
    """

    @functools.wraps(view)
    def from_result_code() -> T | Page:
        form = ResultForm()
        if not form.result_code.data:
            abort(400)
        instrument = current_instrument()
        try:
            # The downloads' limit (DOCUMENT_RATE_LIMIT) is there for the workers' time, not for
            # guessing: only sealed codes open here; the language switch has none.
            restored = reposted_code(form.result_code.data)
        except ResultCodeError as error:
            return refused_code(error)
        if not form.validate():  # only the CSRF token can fail here
            kept = {number: str(index) for number, index in restored.answers.items()}
            entry = context_entry(restored.context)
            return questionnaire_page(kept, {}, error_links(form, instrument), entry)
        outcome = score(instrument, restored.answers)
        administration = restored.administration(screening_state().installed_texts)
        return view(outcome, restored.completed_at, restored.context, administration)

    return from_result_code


@bp.get("/")
def questionnaire() -> Page:
    """The blank questionnaire."""
    # No form object: a blank page needs only a CSRF token, and building ten fields is most of
    # the cost of a request.
    return _questionnaire()


@bp.post("/")
def result() -> Page:
    """Score the posted answers and show the result; a form with answers missing comes back
    (400) with an error for each unanswered item."""
    form = screening_state().questionnaire_form()
    if not form.validate():
        return _questionnaire(form)
    outcome = _scored(form)
    # Whole minutes: the result code holds the minute, so a restored result shows the same time.
    moment = now_utc().replace(second=0)
    # The code seals the language the questionnaire was answered in, the text it showed and
    # the mode: this page is the patient's own, online.
    administration = Administration(
        str(get_locale()), ItemsText.of(current_instrument()), Mode.ONLINE
    )
    return result_page(outcome, moment, posted_context(form), administration)


@bp.post("/result.pdf")
@document_limit()
@held_to_minimum_time
@on_posted_result
def result_pdf(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context,
    administration: Administration,
) -> Response:
    """The one-page PDF of the re-posted result, as a download."""
    body = pages.result_pdf(outcome, completed_at, context, administration)
    return _download(body, "application/pdf", completed_at, "pdf")


@bp.post("/result.fhir.json")
@document_limit()
@held_to_minimum_time
@on_posted_result
def result_fhir(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context,
    administration: Administration,
) -> Response:
    """The re-posted result as a FHIR Bundle (clinician side), as a download."""
    body = pages.result_fhir(outcome, completed_at, context, administration)
    return _download(body, "application/fhir+json", completed_at, "fhir.json")


def reminder_days(result: ScreeningResult) -> int:
    """The days until the reminder a result calls for."""
    chosen = current_settings().reminder
    return interval_days(result, chosen.default_days, chosen.sooner_days)


@bp.post("/reminder.ics")
@document_limit()
def reminder() -> Response:
    """The calendar file. The result page posts its result code (never in a URL: the interval
    says whether the result was above the lowest band); the interval comes from the result the
    code holds, checked as the PDF's re-post is."""
    if not PostedForm().validate():
        abort(400)
    restored = verified_reposted_code(request.form.get("result_code", "")[:RESULT_CODE_LENGTH])
    if restored is None:
        abort(400)
    result = score(screening_state().instrument, restored.answers)
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


@bp.post("/language")
def switch_language() -> Page:
    """Show the same page in the chosen language, keeping every answer given so far."""
    if chosen_language() is None:
        abort(400)
    if request.form.get("page") == "result":
        return on_posted_result(result_page)()
    form = screening_state().questionnaire_form()
    form.validate()  # reads the posted answers; a half-finished form shows no errors here
    if form.meta.csrf and form.csrf_token.errors:
        return _questionnaire(form)
    return _questionnaire(form, show_errors=False)


@bp.get("/about")
def about() -> Page:
    """What the screening is, the clinic's care (its own text if it has one) and where to get
    help now."""
    paragraphs = clinic_paragraphs(screening_state().about_texts, str(get_locale()))
    # no-store: the page carries a CSRF token of this browser's session (the call-back form).
    page = render_template("about.html", clinic_paragraphs=paragraphs, callback=section_form())
    return page, 200, NO_STORE


@bp.get("/health")
def health() -> tuple[str, int, dict[str, str]]:
    """``ok`` for load balancers; nothing here can fail it. A second line says when the shared
    rate-limit store does not answer (one ping, at most RATELIMIT_STORAGE_TIMEOUT), so this
    worker's limits count in its own memory: patients are still served (200), but monitoring
    should see that the limits are weaker. Only to a request that no proxy forwarded (Caddy's
    own health checks and an operator go to an instance's socket; Caddy adds X-Forwarded-For
    to everything it forwards from the public site): anyone could read there when guessing
    had become as many times cheaper as there are workers. A client that sends the header
    itself only gets less."""
    forwarded = "X-Forwarded-For" in request.headers
    fallback = not forwarded and limits_on_memory_fallback()
    body = f"ok\n{HEALTH_ON_MEMORY_FALLBACK}" if fallback else "ok"
    return body, 200, {"Content-Type": "text/plain; charset=utf-8"}
