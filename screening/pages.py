"""Page builders shared by the blueprints: the result page (a fresh submission in views, one
restored from its result code in intake), the questionnaire with answers kept (views, and access
after a grant ended) and the headers every page with answers carries.

It sits below the blueprints so that no blueprint builds on another.
"""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from flask_babel import get_locale, gettext

from screening.clinician import restored_notes
from screening.dates import for_people
from screening.forms import ErrorLink
from screening.qr import qr_svg_data_uri
from screening.result_code import encode
from screening.scoring import ScreeningResult
from screening.state import screening_state

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
Page = tuple[str, int, dict[str, str]]


def result_code_for(outcome: ScreeningResult, completed_at: datetime) -> str:
    state = screening_state()
    return encode(outcome.instrument, outcome.option_indexes, completed_at, state.result_code_key)


def result_page(outcome: ScreeningResult, completed_at: datetime, restored: bool = False) -> Page:
    """The result page, for a fresh submission or for one restored from its result code."""
    code = result_code_for(outcome, completed_at)
    language = str(get_locale())
    page = render_template(
        "result.html",
        result=outcome,
        completed_at=completed_at,
        completed_text=for_people(completed_at, screening_state().clinic.timezone, language),
        result_code=code,
        result_code_qr=qr_svg_data_uri(code),
        restored=restored,
        clinician_notes=restored_notes(outcome, gettext, language) if restored else (),
    )
    return page, 200, NO_STORE


def questionnaire_page(
    kept: dict[int, str],
    errors_by_item: dict[int, tuple[str, ...]] | None = None,
    errors: list[ErrorLink] | None = None,
) -> Page:
    """The questionnaire with the answers given so far: 400 with its errors, 200 without."""
    page = render_template(
        "questionnaire.html", kept=kept, item_errors=errors_by_item or {}, errors=errors or []
    )
    return page, 400 if errors else 200, NO_STORE
