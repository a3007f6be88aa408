"""Clinician intake: type, paste or scan one or more result codes. One code gives the same result
page and PDF as the patient saw; several give the series view (chart, table and the change
between screenings) and its PDF.

Codes arrive by POST only, so they never sit in a URL or an access log line, and nothing is
looked up: each code itself carries its answers, checked by its MAC. Every code in a post counts
as one attempt against the rate limit, so a list of codes is no faster way to guess a tag.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import LazyString, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from screening.codes.codec import code_pattern
from screening.codes.errors import reason_in_words
from screening.codes.series import (
    MAX_CODES,
    TOO_MANY,
    CodeProblem,
    Restored,
    restore_series,
    split_codes,
)
from screening.core.dates import for_file_name, now_utc
from screening.core.trend import Series
from screening.web.entry import enter, entry_page, limit_reached_message
from screening.web.extensions import limit_from_settings, limited_page, limiter
from screening.web.forms import PostedForm, csrf_message
from screening.web.pages import NO_STORE, Page, form_page, result_page, series_page, series_pdf
from screening.web.paper import blank_form
from screening.web.state import current_instrument, current_settings, screening_state
from screening.web.timing import held_to_minimum_time

bp = Blueprint("intake", __name__)
# The printable blank form is the clinician's to hand out, so it sits with the intake pages.
bp.add_url_rule("/intake/blank-form.pdf", view_func=blank_form, methods=["GET"])
# And the page where staff enter that form, or an interview, once it is filled in.
bp.add_url_rule("/intake/entry", view_func=entry_page, methods=["GET"])
bp.add_url_rule("/intake/entry", view_func=enter, methods=["POST"])
# Room for more than twelve codes of today's 37 characters typed with spaces, one a line, so that
# a thirteenth gets the message about how many can be shown rather than one about length.
MAX_LENGTH = 48 * MAX_CODES


class IntakeForm(PostedForm):
    code = TextAreaField(
        _l("Result codes"),
        validators=[
            InputRequired(_l("Please type or scan the result code.")),
            Length(
                max=MAX_LENGTH,
                message=_l("That is longer than %(maximum)s result codes.", maximum=MAX_CODES),
            ),
        ],
    )


Messages = list[str | LazyString]


def _page(form: IntakeForm, status: int, messages: Messages | None = None) -> Page:
    example = code_pattern(current_instrument())
    return form_page(
        "intake.html", form, status, messages=messages or [], max_codes=MAX_CODES, example=example
    )


_rate_limit = limit_from_settings(lambda limits: limits.intake)


def _limit_reached(limit: RequestLimit) -> Page:
    """Over INTAKE_RATE_LIMIT: the code box with what was typed, and when it can go."""
    return _page(IntakeForm(), 429, [limit_reached_message(limit)])


def _codes_posted() -> int:
    """The rate limit's cost of a post: one per code in it (at least one, at most one more than
    are ever checked)."""
    text = request.form.get("code", "")[:MAX_LENGTH]
    return max(1, min(len(split_codes(text, current_instrument())), MAX_CODES + 1))


@bp.get("/intake")
def start() -> Page:
    return _page(IntakeForm(formdata=None), 200)


def _restored(form: IntakeForm) -> Restored | Messages:
    """The posted codes restored, or what to tell the person typing them."""
    instrument = current_instrument()
    codes = split_codes(form.code.data or "", instrument)
    if not codes:
        return [gettext("Please type or scan the result code.")]
    if len(codes) > MAX_CODES:
        return [gettext(TOO_MANY, maximum=MAX_CODES, count=len(codes))]
    restored = restore_series(
        codes,
        instrument,
        screening_state().result_code_key,
        now_utc(),
        current_settings().codes.max_age_days,
        current_settings().codes.v1_until,
        screening_state().installed_texts,
    )

    def why(problem: CodeProblem) -> str:
        return reason_in_words(problem.reason, problem.plural, problem.params, gettext, ngettext)

    if len(codes) == 1:
        return [why(problem) for problem in restored.problems] or restored
    return [
        gettext(
            "Code %(position)s (%(code)s): %(reason)s",
            position=problem.position,
            code=problem.typed.strip()[:40],
            reason=why(problem),
        )
        for problem in restored.problems
    ] or restored


def _posted_series() -> Series | Page:
    """The series the posted codes give, or the intake page again saying what is wrong (400)."""
    form = IntakeForm()
    if not form.validate():
        message = csrf_message(form)
        return _page(form, 400, [message] if message else [])
    restored = _restored(form)
    if isinstance(restored, list):
        return _page(form, 400, restored)
    return restored.series


@bp.post("/intake")
@limiter.limit(_rate_limit, cost=_codes_posted, on_breach=limited_page(_limit_reached))
def restore() -> Page:
    series = _posted_series()
    if not isinstance(series, Series):
        return series
    if len(series.screenings) == 1:
        only = series.latest
        # mode: None until code version 5 seals it (codes branch), then the restored code's.
        return result_page(
            only.result, only.completed_at, only.context, only.administration, restored=True
        )
    return series_page(series)


@bp.post("/intake/series.pdf")
@limiter.limit(_rate_limit, cost=_codes_posted, on_breach=limited_page(_limit_reached))
@held_to_minimum_time
def restore_series_pdf() -> Response | Page:
    series = _posted_series()
    if not isinstance(series, Series):
        return series
    body = series_pdf(series)
    date = for_file_name(series.latest.completed_at, screening_state().clinic.timezone)
    name = f"epds-series-{date}.pdf"
    response = Response(body, mimetype="application/pdf", headers=NO_STORE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
