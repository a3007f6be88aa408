"""HTTP views: questionnaire, result, PDF, FHIR export and health. Thin: validate, score, render.

Answers live only in the request: the result page is rendered from the POST, and the PDF and the
FHIR export are made from the same answers posted again from hidden fields. Nothing is stored,
logged or cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_wtf import FlaskForm

from screening import pages
from screening.about import clinic_paragraphs
from screening.dates import for_file_name, now_utc, parse_completed_at
from screening.forms import posted_answers
from screening.i18n import chosen_language
from screening.pages import NO_STORE, Page, questionnaire_page, result_page
from screening.scoring import ScreeningResult, score
from screening.state import current_instrument, screening_state

bp = Blueprint("screening", __name__)

T = TypeVar("T")


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


def on_posted_result(view: Callable[[ScreeningResult, datetime], T]) -> Callable[[], T | Page]:
    """Run ``view`` on the answers and completion time re-posted from a result page, scored
    again; an invalid post gets the questionnaire back (400) with its answers kept."""

    @functools.wraps(view)
    def from_result_form() -> T | Page:
        form = screening_state().result_form()
        if not form.validate():
            return questionnaire_page(form)
        return view(_scored(form), parse_completed_at(form.completed_at.data))

    return from_result_form


@bp.get("/")
def questionnaire() -> Page:
    # No form object: a blank page needs only a CSRF token, and building ten fields is most of
    # the cost of a request.
    return questionnaire_page()


@bp.post("/")
def result() -> Page:
    form = screening_state().questionnaire_form()
    if not form.validate():
        return questionnaire_page(form)
    outcome = _scored(form)
    # Whole minutes: the result code holds the minute, so a restored result shows the same time.
    return result_page(outcome, now_utc().replace(second=0))


@bp.post("/result.pdf")
@on_posted_result
def result_pdf(outcome: ScreeningResult, completed_at: datetime) -> Response:
    return _download(
        pages.result_pdf(outcome, completed_at), "application/pdf", completed_at, "pdf"
    )


@bp.post("/result.fhir.json")
@on_posted_result
def result_fhir(outcome: ScreeningResult, completed_at: datetime) -> Response:
    body = pages.result_fhir(outcome, completed_at)
    return _download(body, "application/fhir+json", completed_at, "fhir.json")


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
        return questionnaire_page(form)
    return questionnaire_page(form, show_errors=False)


@bp.get("/about")
def about() -> Page:
    paragraphs = clinic_paragraphs(Path(current_app.instance_path), str(get_locale()))
    return render_template("about.html", clinic_paragraphs=paragraphs), 200, {}


@bp.get("/health")
def health() -> tuple[str, int, dict[str, str]]:
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
