"""Clinician intake: type, paste or scan a result code and get the same result page and PDF.

The code arrives by POST only, so it never sits in a URL or an access log line, and nothing is
looked up: the code itself carries the answers, checked by its MAC.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from screening.dates import now_utc
from screening.extensions import limiter
from screening.forms import PostedForm, csrf_message
from screening.pages import NO_STORE, Page, result_page
from screening.result_code import ResultCodeError, check_age, decode
from screening.scoring import score
from screening.state import current_instrument, screening_state

bp = Blueprint("intake", __name__)


class IntakeForm(PostedForm):
    code = StringField(
        _l("Result code"),
        validators=[
            InputRequired(_l("Please type or scan the result code.")),
            Length(max=200, message=_l("That is longer than any result code.")),
        ],
    )


def _page(form: IntakeForm, status: int, message: str | LazyString | None = None) -> Page:
    return render_template("intake.html", form=form, message=message), status, NO_STORE


def _rate_limit() -> str:
    return str(current_app.config["INTAKE_RATE_LIMIT"])


@bp.get("/intake")
def start() -> Page:
    return _page(IntakeForm(formdata=None), 200)


@bp.post("/intake")
@limiter.limit(_rate_limit)
def restore() -> Page:
    form = IntakeForm()
    if not form.validate():
        return _page(form, 400, csrf_message(form))
    instrument = current_instrument()
    try:
        restored = decode(form.code.data, instrument, screening_state().result_code_key)
        check_age(restored, now_utc(), current_app.config["RESULT_CODE_MAX_AGE_DAYS"])
    except ResultCodeError as error:
        return _page(form, 400, gettext(error.reason, **error.params))
    return result_page(score(instrument, restored.answers), restored.completed_at, restored=True)
