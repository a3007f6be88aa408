"""HTTP views: questionnaire, result, PDF and health. Thin: validate, score, render.

Answers live only in the request: the result page is rendered from the POST, and the PDF is made
from the same answers posted again from hidden fields. Nothing is stored, logged or cached.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from screening.dates import for_file_name, now_utc, parse_completed_at
from screening.forms import error_links, kept_answers, posted_answers
from screening.pdf import render_pdf
from screening.scoring import score
from screening.state import screening_state

bp = Blueprint("screening", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _questionnaire(form: object, status: int = 200) -> tuple[str, int, dict[str, str]]:
    state = screening_state()
    return (
        render_template(
            "questionnaire.html",
            form=form,
            kept=kept_answers(form, state.instrument),
            errors=error_links(form, state.instrument),
        ),
        status,
        NO_STORE,
    )


@bp.get("/")
def questionnaire() -> tuple[str, int, dict[str, str]]:
    return _questionnaire(screening_state().questionnaire_form())


@bp.post("/")
def result() -> tuple[str, int, dict[str, str]]:
    state = screening_state()
    form = state.questionnaire_form()
    if not form.validate():
        return _questionnaire(form, 400)
    outcome = score(state.instrument, posted_answers(form, state.instrument))
    completed_at = now_utc()
    return (
        render_template("result.html", result=outcome, form=form, completed_at=completed_at),
        200,
        NO_STORE,
    )


@bp.post("/result.pdf")
def result_pdf() -> Response | tuple[str, int, dict[str, str]]:
    state = screening_state()
    form = state.result_form()
    if not form.validate():
        return _questionnaire(form, 400)
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
