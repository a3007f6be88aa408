"""Page builders shared by the blueprints: the questionnaire with answers kept (views, and access
after a grant ended), the result page (a fresh submission in views, one restored from its result
code in intake), its PDF and FHIR export, and the headers every response with answers carries.

Every response whose content depends on the answers leaves here padded to one length per
language and kind (see screening/padding.py), measured once per process on the answer sets that
produce the longest responses, so that a response's size says nothing about the answers.

It sits below the blueprints so that no blueprint builds on another.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from flask import current_app, render_template, request
from flask_babel import get_locale, gettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from screening.clinician import restored_notes
from screening.dates import for_people, now_utc
from screening.fhir import build_bundle
from screening.forms import (
    GLOBAL_MESSAGES,
    SUBMIT_BUTTON_ID,
    ErrorLink,
    field_name,
    item_error_links,
    item_errors,
    kept_answers,
)
from screening.padding import (
    PaddingOverflow,
    extreme_answers,
    pad_pdf,
    pad_text,
    padded_length,
)
from screening.pdf import Printout, render_pdf
from screening.qr import qr_svg_data_uri
from screening.result_code import encode
from screening.scoring import ScreeningResult, score
from screening.state import current_clinic, current_instrument, screening_state

# no-transform: a proxy that compressed these responses would make their sizes differ again.
NO_STORE = {"Cache-Control": "no-store, no-transform", "Pragma": "no-cache"}
Page = tuple[str | bytes, int, dict[str, str]]
SIZES_KEY = "screening.response_sizes"
log = logging.getLogger(__name__)


def result_code_for(outcome: ScreeningResult, completed_at: datetime) -> str:
    state = screening_state()
    return encode(outcome.instrument, outcome.option_indexes, completed_at, state.result_code_key)


def _questionnaire_html(
    kept: dict[int, str],
    errors_by_item: dict[int, tuple[str, ...]] | None = None,
    errors: list[ErrorLink] | None = None,
) -> str:
    return render_template(
        "questionnaire.html", kept=kept, item_errors=errors_by_item or {}, errors=errors or []
    )


def questionnaire_page(
    kept: dict[int, str],
    errors_by_item: dict[int, tuple[str, ...]] | None = None,
    errors: list[ErrorLink] | None = None,
) -> Page:
    """The questionnaire with the answers given so far: 400 with its errors, 200 without. With
    answers or errors it is padded, so that its size does not say which answers were given."""
    page = _questionnaire_html(kept, errors_by_item, errors)
    status = 400 if errors else 200
    if not kept and not errors:
        return page, status, NO_STORE
    return _padded("questionnaire", page.encode("utf-8")), status, NO_STORE


def _result_html(outcome: ScreeningResult, completed_at: datetime, restored: bool) -> str:
    code = result_code_for(outcome, completed_at)
    language = str(get_locale())
    return render_template(
        "result.html",
        result=outcome,
        completed_at=completed_at,
        completed_text=for_people(completed_at, screening_state().clinic.timezone, language),
        result_code=code,
        result_code_qr=qr_svg_data_uri(code),
        restored=restored,
        clinician_notes=restored_notes(outcome, gettext, language) if restored else (),
    )


def result_page(outcome: ScreeningResult, completed_at: datetime, restored: bool = False) -> Page:
    """The result page, for a fresh submission or for one restored from its result code."""
    kind = "restored" if restored else "page"
    body = _result_html(outcome, completed_at, restored).encode("utf-8")
    return _padded(kind, body), 200, NO_STORE


def _pdf(outcome: ScreeningResult, completed_at: datetime) -> bytes:
    printout = Printout(
        result=outcome,
        clinic=current_clinic(),
        completed_at=completed_at,
        result_code=result_code_for(outcome, completed_at),
        translate=gettext,
        language=str(get_locale()),
    )
    return render_pdf(printout)


def result_pdf(outcome: ScreeningResult, completed_at: datetime) -> bytes:
    """The one-page PDF, padded."""
    return _padded("pdf", _pdf(outcome, completed_at))


def _fhir(outcome: ScreeningResult, completed_at: datetime) -> bytes:
    bundle = build_bundle(outcome, completed_at, screening_state().clinic)
    return json.dumps(bundle, indent=2).encode("utf-8")


def result_fhir(outcome: ScreeningResult, completed_at: datetime) -> bytes:
    """The FHIR Bundle as JSON, padded."""
    return _padded("fhir", _fhir(outcome, completed_at))


# How each kind of response is made from a scored result, for measuring the longest one.
RESULT_BODIES: dict[str, Callable[[ScreeningResult, datetime], bytes]] = {
    "page": lambda outcome, moment: _result_html(outcome, moment, False).encode("utf-8"),
    "restored": lambda outcome, moment: _result_html(outcome, moment, True).encode("utf-8"),
    "pdf": _pdf,
    "fhir": _fhir,
}


def _padded(kind: str, body: bytes) -> bytes:
    length = _length_for(kind)
    pad = pad_pdf if kind == "pdf" else _pad_bytes
    try:
        return pad(body, length)
    except PaddingOverflow:
        # Never a failed response for a patient; a test keeps this from happening.
        log.error("%s response longer than its padded length %d: sizes may leak", kind, length)
        return pad(body, padded_length(len(body), _margin(kind)))


def _pad_bytes(body: bytes, length: int) -> bytes:
    return pad_text(body.decode("utf-8"), length)


def _margin(kind: str) -> str:
    return "page" if kind == "restored" else kind


def _length_for(kind: str) -> int:
    """The padded length of a kind of response in this request's language and URL prefix,
    measured once per process on the longest answer sets."""
    key = (kind, str(get_locale()), request.script_root)
    sizes: dict[tuple[str, str, str], int] = current_app.extensions.setdefault(SIZES_KEY, {})
    if key not in sizes:
        sizes[key] = padded_length(_longest(kind), _margin(kind))
    return sizes[key]


def _longest(kind: str) -> int:
    instrument = current_instrument()
    if kind == "questionnaire":
        # Measured without this request's own state (an unreadable part, a failed CSRF check):
        # the longest message about the whole form stands above every measured page instead.
        above = ErrorLink(SUBMIT_BUTTON_ID, max(map(str, GLOBAL_MESSAGES), key=len))
        return max(
            len(
                _questionnaire_html(
                    kept_answers(form, instrument),
                    item_errors(form, instrument),
                    [above, *item_error_links(form, instrument)],
                ).encode()
            )
            for form in _partial_forms()
        )
    moment = _longest_date()
    render = RESULT_BODIES[kind]
    return max(
        len(render(score(instrument, answers), moment)) for answers in extreme_answers(instrument)
    )


def _longest_date() -> datetime:
    """This year's moment whose date is written longest in this language (month names differ)."""
    zone = screening_state().clinic.timezone
    moments = [now_utc().replace(month=month, day=28, hour=20, minute=59) for month in range(1, 13)]
    return max(moments, key=lambda moment: len(for_people(moment, zone, str(get_locale()))))


def _partial_forms() -> list[FlaskForm]:
    """Questionnaires sent with some answers missing (the first or the last items answered), and
    one whose every answer names no option (a tampered form: each item gets that message)."""
    instrument = current_instrument()
    numbers = [item.number for item in instrument.items]
    posted = [
        dict.fromkeys(answered, "0")
        for count in range(len(numbers))
        for answered in (numbers[:count], numbers[len(numbers) - count :])
    ]
    posted.append(dict.fromkeys(numbers, str(max(len(item.options) for item in instrument.items))))
    forms = []
    for answers in posted:
        data = MultiDict({field_name(number): value for number, value in answers.items()})
        form = screening_state().questionnaire_form_class(formdata=data, meta={"csrf": False})
        form.validate()
        forms.append(form)
    return forms
