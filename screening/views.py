"""HTTP views: questionnaire, result, PDF and health. Thin: validate, score, render.

Answers live only in the request: the result page is rendered from the POST, and the PDF is made
from the same answers posted again from hidden fields. Nothing is stored, logged or cached.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf

from screening.dates import for_file_name, now_utc, parse_completed_at
from screening.forms import error_links, item_errors, kept_answers, posted_answers
from screening.pdf import render_pdf
from screening.scoring import score
from screening.state import screening_state

bp = Blueprint("screening", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _questionnaire(form: FlaskForm | None = None) -> tuple[str, int, dict[str, str]]:
    """The questionnaire: blank, or (400) with a failed form's answers and errors."""
    instrument = screening_state().instrument
    page = render_template(
        "questionnaire.html",
        csrf_token=generate_csrf(),
        kept=kept_answers(form, instrument) if form else {},
        item_errors=item_errors(form, instrument) if form else {},
        errors=error_links(form, instrument) if form else [],
    )
    return page, 400 if form else 200, NO_STORE


@bp.get("/")
def questionnaire() -> tuple[str, int, dict[str, str]]:
    # No form object: a blank page needs only a CSRF token, and building ten fields is most of
    # the cost of a request.
    return _questionnaire()


@bp.post("/")
def result() -> tuple[str, int, dict[str, str]]:
    state = screening_state()
    form = state.questionnaire_form()
    if not form.validate():
        return _questionnaire(form)
    outcome = score(state.instrument, posted_answers(form, state.instrument))
    completed_at = now_utc()
    return (
        render_template(
            "result.html", result=outcome, csrf_token=generate_csrf(), completed_at=completed_at
        ),
        200,
        NO_STORE,
    )


@bp.post("/result.pdf")
def result_pdf() -> Response | tuple[str, int, dict[str, str]]:
    state = screening_state()
    form = state.result_form()
    if not form.validate():
        return _questionnaire(form)
    outcome = score(state.instrument, posted_answers(form, state.instrument))
    completed_at = parse_completed_at(form.completed_at.data)
    name = f"epds-result-{for_file_name(completed_at, state.clinic.timezone)}.pdf"
    return Response(
        render_pdf(outcome, state.clinic, completed_at),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE},
    )


@bp.get("/health")
def health() -> tuple[str, int, dict[str, str]]:
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
