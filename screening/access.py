"""Optional access code: when ACCESS_CODE is set, the questionnaire opens only after the code.

Some permissions to publish the EPDS online require an access-controlled area. The code is
compared in constant time, attempts are rate-limited per client address, and access lasts for the
browser session (a flag in the signed session cookie; never any answers).
"""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from screening.extensions import limiter
from screening.forms import PostedForm, csrf_message

bp = Blueprint("access", __name__)

SESSION_KEY = "access_granted"
OPEN_ENDPOINTS = {"access.enter", "screening.health", "static"}
WRONG_CODE = _l(
    "That code is not right. Please check the code the clinic gave you and try again, "
    "or call the clinic."
)
CODE_FIRST = _l("Please enter the access code the clinic gave you first.")


class AccessForm(PostedForm):
    code = StringField(
        _l("Access code"),
        validators=[
            InputRequired(_l("Enter the access code the clinic gave you")),
            Length(max=200, message=WRONG_CODE),
        ],
    )


def access_required() -> bool:
    return bool(current_app.config["ACCESS_CODE"]) and not session.get(SESSION_KEY)


def _page(
    form: AccessForm, status: int, message: str | LazyString | None = None
) -> tuple[str, int]:
    return render_template("access.html", form=form, message=message), status


def guard() -> tuple[str, int] | None:
    """Before each request: show the access page instead of anything behind the code."""
    if request.endpoint in OPEN_ENDPOINTS or not access_required():
        return None
    if request.method == "GET":
        return _page(AccessForm(formdata=None), 200)
    return _page(AccessForm(formdata=None), 403, CODE_FIRST)


def _rate_limit() -> str:
    return str(current_app.config["ACCESS_CODE_RATE_LIMIT"])


@bp.post("/access")
@limiter.limit(_rate_limit)
def enter() -> Response | tuple[str, int]:
    if not current_app.config["ACCESS_CODE"]:
        abort(404)
    if not access_required():
        return redirect(url_for("screening.questionnaire"), 303)
    form = AccessForm()
    if not form.validate():
        return _page(form, 400, csrf_message(form))
    expected = str(current_app.config["ACCESS_CODE"]).strip().encode()
    if not hmac.compare_digest(form.code.data.strip().encode(), expected):
        return _page(form, 403, WRONG_CODE)
    session[SESSION_KEY] = True
    return redirect(url_for("screening.questionnaire"), 303)
