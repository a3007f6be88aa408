"""Optional access code: when ACCESS_CODE is set, the questionnaire opens only after the code.

Some permissions to publish the EPDS online require an access-controlled area. The code is
compared in constant time and attempts are rate-limited per client address. A grant lives in the
signed session cookie (never any answers) as a keyed hash of the code it was given for and the
time it was given: changing ACCESS_CODE revokes every grant, and a grant ends after
ACCESS_GRANT_HOURS. Either way the person sees the access page again, with a short explanation.
"""

from __future__ import annotations

import hmac
import time

import flask
from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from screening.core.marks import N_
from screening.web.extensions import limit_from_settings, limiter
from screening.web.forms import (
    CONTEXT_CHOICES,
    CONTEXT_FIELD,
    GLOBAL_MESSAGES,
    NO_CONTEXT_ENTRY,
    WEEKS_FIELDS,
    WEEKS_KEPT,
    ContextEntry,
    PostedForm,
    csrf_message,
    kept_answers,
    kept_context,
)
from screening.web.pages import Page, form_page, padded_form_page, questionnaire_page
from screening.web.state import current_instrument, current_settings, screening_state

bp = Blueprint("access", __name__)

SESSION_KEY = "access"
OPEN_ENDPOINTS = {"access.enter", "screening.health", "static"}
WRONG_CODE = _l(
    "That code is not right. Please check the code the clinic gave you and try again, "
    "or call the clinic."
)
CODE_FIRST = _l("Please enter the access code the clinic gave you first.")
CODE_CHANGED = _l(
    "The clinic has changed the access code since you entered it. Please enter the code the "
    "clinic gave you."
)
GRANT_ENDED = N_(
    "For your privacy, access ends %(hours)s h after the code is entered, and that time has "
    "passed. Please enter the access code again."
)
KEY_PURPOSE = b"screening access grant"
CODE_MAX_LENGTH = 200
# Seconds a grant may seem to come from the future: servers behind one balancer may disagree.
CLOCK_SKEW = 300


class AccessForm(PostedForm):
    code = StringField(
        _l("Access code"),
        validators=[
            InputRequired(_l("Enter the access code the clinic gave you")),
            Length(max=CODE_MAX_LENGTH, message=WRONG_CODE),
        ],
    )


def _code_digest(code: str) -> str:
    """A keyed hash of an access code: the cookie, readable by its holder, never holds the code."""
    key = hmac.new(current_settings().server.secret_key.encode(), KEY_PURPOSE, "sha256").digest()
    return hmac.new(key, code.strip().encode(), "sha256").hexdigest()[:32]


def _grant_problem() -> str | LazyString | None:
    """Why this browser's grant does not open the questionnaire now (None: it does). A grant
    for another code or past its lifetime is removed."""
    grant = session.get(SESSION_KEY)
    if not isinstance(grant, dict):
        return CODE_FIRST
    hours = current_settings().access.grant_hours
    given_at = grant.get("at")
    if not hmac.compare_digest(
        str(grant.get("code", "")), _code_digest(current_settings().access.code)
    ):
        problem = CODE_CHANGED
    elif not isinstance(given_at, int) or not -CLOCK_SKEW <= time.time() - given_at < hours * 3600:
        problem = _l(GRANT_ENDED, hours=hours)
    else:
        return None
    session.pop(SESSION_KEY)
    return problem


def access_problem() -> str | LazyString | None:
    """None when the questionnaire is open to this browser, else what to tell the person."""
    if not current_settings().access.code:
        return None
    return _grant_problem()


def _page(
    form: AccessForm,
    status: int,
    message: str | LazyString | None = None,
    too_many_attempts: bool = False,
) -> Page:
    kept, context = _posted_answers()
    page = form_page(
        "access.html",
        form,
        status,
        message,
        kept=kept,
        context=context,
        too_many_attempts=too_many_attempts,
    )
    if not kept and not context.values:
        return page
    return padded_form_page("access", str(page[0]), status)


def worst_access_pages() -> list[bytes]:
    """The access page at its longest: every answer kept, the longest answer to the question
    before the items (each weeks box full of characters that escape longest), the longest
    message and the longest code a person may type."""
    instrument = current_instrument()
    kept = {item.number: str(len(item.options) - 1) for item in instrument.items}
    longest_choice = max((choice.value for choice in CONTEXT_CHOICES), key=len)
    context = ContextEntry(
        {CONTEXT_FIELD: longest_choice} | {name: "&" * WEEKS_KEPT for name in WEEKS_FIELDS.values()}
    )
    messages = [WRONG_CODE, CODE_FIRST, CODE_CHANGED, *GLOBAL_MESSAGES]
    messages.append(_l(GRANT_ENDED, hours=current_settings().access.grant_hours))
    message = max(messages, key=lambda text: len(str(text).encode()))
    form = AccessForm(formdata=None, data={"code": "&" * CODE_MAX_LENGTH})
    pages = [
        form_page("access.html", form, 403, message, kept=kept, context=context)[0],
        # Too many attempts: the numbers that answer now in place of the message.
        form_page("access.html", form, 429, kept=kept, context=context, too_many_attempts=True)[0],
    ]
    return [str(page).encode() for page in pages]


def _posted_answers() -> tuple[dict[int, str], ContextEntry]:
    """The questionnaire answers in this post, if any, and the question before the items: the
    access page carries them on in hidden fields, so a grant that ended while the questionnaire
    was open loses no answer."""
    if request.method != "POST":
        return {}, NO_CONTEXT_ENTRY
    form = screening_state().questionnaire_form()
    return kept_answers(form, current_instrument()), kept_context(form, with_errors=False)


def guard() -> Page | None:
    """Before each request: show the access page instead of anything behind the code, saying
    why when an earlier grant was revoked or has ended."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    problem = access_problem()
    if problem is None:
        return None
    if request.method == "GET":
        return _page(AccessForm(formdata=None), 200, None if problem is CODE_FIRST else problem)
    return _page(AccessForm(formdata=None), 403, problem)


def _too_many_attempts(limit: RequestLimit) -> flask.Response:
    """Past ACCESS_CODE_RATE_LIMIT: the access page again, the numbers that answer now first and
    every answer it carried kept (a grant that ended mid-questionnaire loses nothing here
    either), with what was typed."""
    response = make_response(_page(AccessForm(), 429, too_many_attempts=True))
    response.headers["Retry-After"] = str(limit.limit.get_expiry())
    return response


@bp.post("/access")
@limiter.limit(limit_from_settings(lambda limits: limits.access_code), on_breach=_too_many_attempts)
def enter() -> Response | Page:
    """Check the access code; on success open the questionnaire, with any answers kept."""
    if not current_settings().access.code:
        abort(404)
    if access_problem() is None:
        return redirect(url_for("screening.questionnaire"), 303)
    form = AccessForm()
    if not form.validate():
        return _page(form, 400, csrf_message(form))
    expected = current_settings().access.code.encode()
    if not hmac.compare_digest(form.code.data.strip().encode(), expected):
        return _page(form, 403, WRONG_CODE)
    session[SESSION_KEY] = {"code": _code_digest(form.code.data), "at": int(time.time())}
    kept, context = _posted_answers()
    if kept or context.values:
        return questionnaire_page(kept, context=context)
    return redirect(url_for("screening.questionnaire"), 303)
