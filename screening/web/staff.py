"""Staff sign-in for the clinician side: the sign-in page, sign-out, and the guard that shows the
sign-in page instead of anything clinician-only to a browser that is not signed in.

Clinician-only: the intake page and what it restores (one result with its clinician notes, a
series and its PDF), the FHIR export, the blank paper form staff print and the page where they
enter it (or an interview). The password is checked against STAFF_PASSWORD_HASH, a scrypt hash
(werkzeug.security, Flask's own dependency); attempts are limited per client network, and
failures from all clients together, except a browser that signed in before, which counts on its
own (staff_device.py).
``python -m screening.web.staff`` prints the hash of a password typed twice.
"""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import flask
from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from screening.web.entry import (
    carried_entry,
    carried_entry_page,
    limit_reached_message,
    longest_carried_entries,
)
from screening.web.extensions import (
    client_subscriber,
    limit_for_every_client,
    limit_from_settings,
    limited_page,
    limiter,
)
from screening.web.forms import GLOBAL_MESSAGES, PostedForm, csrf_message
from screening.web.pages import Page, form_page, padded_form_page
from screening.web.staff_device import (
    device_key,
    is_trusted_device,
    remember_device,
    untrusted_device,
)
from screening.web.staff_session import end_staff, grant_staff, is_staff, sign_in_required
from screening.web.state import current_settings

bp = Blueprint("staff", __name__)
logger = logging.getLogger(__name__)

STAFF_ENDPOINTS = frozenset(
    {
        "intake.start",
        "intake.restore",
        "intake.restore_series_pdf",
        "intake.blank_form",
        "intake.entry_page",
        "intake.enter",
        "screening.result_fhir",
    }
)
PASSWORD_MAX_LENGTH = 200
MIN_PASSWORD_LENGTH = 12
WRONG_PASSWORD = _l("That password is not right. Please try again.")
SIGN_IN_FIRST = _l("Please sign in first, then type or scan the code again.")
PASSWORD_REQUIRED = _l("Please type the staff password.")
# An entry posted after the sign-in ended (signed out in another tab, a Redis restart,
# STAFF_SIGN_IN_HOURS) is work typed from a paper form: the sign-in page says it was not processed
# and carries it in hidden fields (staff_sign_in.html), and a successful sign-in brings the
# entry form back with it.
CARRY_FIELD = "carried"
CARRY_ENTRY = "entry"
# The sign-in page after a sign-out says so (the query names no one and carries nothing).
SIGNED_OUT_PARAMETER = "signed-out"


class SignInForm(PostedForm):
    password = PasswordField(
        _l("Staff password"),
        validators=[
            InputRequired(PASSWORD_REQUIRED),
            Length(max=PASSWORD_MAX_LENGTH, message=WRONG_PASSWORD),
        ],
    )


def _page(
    form: SignInForm,
    status: int,
    message: str | LazyString | None = None,
    signed_out: bool = False,
) -> Page:
    return form_page("staff_sign_in.html", form, status, message, signed_out=signed_out)


def _carrying_html(fields: list[tuple[str, str]], message: str | LazyString | None) -> str:
    return render_template(
        "staff_sign_in.html",
        form=SignInForm(formdata=None),
        message=message,
        signed_out=False,
        entry_not_saved=True,
        carried=[(CARRY_FIELD, CARRY_ENTRY), *fields],
    )


def _carrying_page(status: int, message: str | LazyString | None = None) -> Page:
    """The sign-in page carrying the posted entry, padded (screening/web/size_policy.py): its
    hidden fields are a patient's answers."""
    return padded_form_page("sign-in-entry", _carrying_html(carried_entry(), message), status)


def worst_carrying_sign_in_pages() -> Iterator[bytes]:
    """The carrying sign-in page at its longest: every answer carried, in each language of
    administration, with the longest message the sign-in can say above the password."""
    messages = [WRONG_PASSWORD, PASSWORD_REQUIRED, *GLOBAL_MESSAGES, limit_reached_message()]
    longest = max(map(str, messages), key=len)
    for fields in longest_carried_entries():
        yield _carrying_html(fields, longest).encode("utf-8")


def from_this_site() -> bool:
    """Whether the browser says this post comes from one of this site's own pages (Fetch
    Metadata's Sec-Fetch-Site, or else Origin; OWASP's check by standard headers). An entry is
    carried through the sign-in only then: a post whose CSRF token no longer verifies (the
    sign-in, and with it the session, ended) could otherwise be another site's, putting answers
    of its choosing in front of staff as "everything you typed"."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc.lower() == request.host.lower()


def guard() -> Page | None:
    """Before each request: the sign-in page instead of a clinician-only page (200 for a GET,
    403 for a post, whose codes are not kept: they are a patient's answers; an entry is carried
    through the sign-in instead, since it cannot be typed again without the paper)."""
    if request.endpoint not in STAFF_ENDPOINTS or is_staff():
        return None
    if request.method == "GET":
        return _page(SignInForm(formdata=None), 200)
    if request.endpoint == "intake.enter" and from_this_site():
        return _carrying_page(403)
    return _page(SignInForm(formdata=None), 403, SIGN_IN_FIRST)


@bp.get("/staff/sign-in")
def sign_in_page() -> Response | Page:
    if is_staff():
        return redirect(url_for("intake.start"), 303)
    signed_out = SIGNED_OUT_PARAMETER in request.args
    return _page(SignInForm(formdata=None), 200, signed_out=signed_out)


def _limited_carrying_page(limit: RequestLimit) -> Page:
    return _carrying_page(429, limit_reached_message(limit))


def _sign_in_limited(limit: RequestLimit) -> flask.Response | None:
    """Over a sign-in limit: a carried entry stays carried, with when to sign in again (None:
    flask-limiter's 429 page follows, as for any other sign-in)."""
    if request.form.get(CARRY_FIELD) != CARRY_ENTRY or not from_this_site():
        return None
    return limited_page(_limited_carrying_page)(limit)


def _failures_cap_reached(limit: RequestLimit) -> flask.Response | None:
    """Every client together has failed STAFF_SIGN_IN_GLOBAL_LIMIT times: staff without a
    device cookie too get the 429 page until it passes, so the operator reads why."""
    logger.warning(
        "staff sign-in refused: STAFF_SIGN_IN_GLOBAL_LIMIT (%s) of failed attempts reached by "
        "all clients together; someone is guessing the password from many networks",
        limit.limit,
    )
    return _sign_in_limited(limit)


_staff_sign_in_limit = limit_from_settings(lambda limits: limits.staff_sign_in)


@bp.post("/staff/sign-in")
# A browser that signed in before counts on its own (staff_device.py); every other one per network.
@limiter.limit(
    _staff_sign_in_limit,
    key_func=device_key,
    scope="staff-sign-in-device",
    exempt_when=untrusted_device,
    on_breach=_sign_in_limited,
)
@limiter.limit(
    _staff_sign_in_limit,
    key_func=client_subscriber,
    exempt_when=is_trusted_device,
    on_breach=_sign_in_limited,
)
# Wrong passwords count, not sign-ins: a working clinic never reaches it. A trusted device is
# neither counted nor refused, so guessers filling it cannot lock the clinic's computers out.
@limit_for_every_client(
    lambda limits: limits.staff_sign_in_global,
    "staff-sign-in-every-client",
    counts=lambda response: response.status_code == 403,
    on_breach=_failures_cap_reached,
    exempt_when=is_trusted_device,
)
def sign_in() -> Response | Page:
    if not sign_in_required():
        return redirect(url_for("intake.start"), 303)
    form = SignInForm()
    carrying = request.form.get(CARRY_FIELD) == CARRY_ENTRY and from_this_site()
    if not form.validate():
        if carrying:
            return _carrying_page(400, csrf_message(form) or next(iter(form.password.errors)))
        return _page(form, 400, csrf_message(form))
    if not check_password_hash(current_settings().staff.password_hash, form.password.data):
        if carrying:
            return _carrying_page(403, WRONG_PASSWORD)
        return _page(SignInForm(formdata=None), 403, WRONG_PASSWORD)
    grant_staff()
    if carrying:
        # The entry form itself (not a redirect: its answers never go into a URL).
        return remember_device(make_response(carried_entry_page()))
    return remember_device(redirect(url_for("intake.start"), 303))


@bp.post("/staff/sign-out")
def sign_out() -> Response:
    """Signs this browser out whatever the CSRF token: a tab older than the latest sign-in
    (which starts a new session, and so a new CSRF secret) must never leave staff signed in
    behind an error page, and a forged sign-out can only sign someone out. POST only, so a
    link or a prefetch does not."""
    end_staff()
    signed_out: dict[str, Any] = {SIGNED_OUT_PARAMETER: "1"}
    return redirect(url_for("staff.sign_in_page", **signed_out), 303)


def main() -> int:
    """Print the STAFF_PASSWORD_HASH line for a password typed twice (never echoed)."""
    password = getpass.getpass("Staff password (12 characters or more): ")
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"Too short: use at least {MIN_PASSWORD_LENGTH} characters.", file=sys.stderr)
        return 1
    if getpass.getpass("The same again: ") != password:
        print("The two did not match.", file=sys.stderr)
        return 1
    print(generate_password_hash(password, method="scrypt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
