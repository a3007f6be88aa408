"""Staff sign-in, as a fact about this browser's session: whether it is signed in, and the checks
that depend on it when a result code is posted back. The blueprint with the sign-in page is
staff.py; this sits below every blueprint so that each can ask.

A sign-in lives in the signed session cookie (never the password) as a keyed hash of the
password hash it was given for and the time it was given: a new STAFF_PASSWORD_HASH ends every
sign-in, and a sign-in ends after STAFF_SIGN_IN_HOURS. With no STAFF_PASSWORD_HASH (development
and tests only: production refuses to start without it) everyone counts as staff.

A code posted back from the patient's own result page (its PDF, language switch, reminder,
call-back) opens without signing in only while that page's forms are valid (WTF_CSRF_TIME_LIMIT,
4 hours): after that a code someone photographed or forwarded opens for staff only.
"""

from __future__ import annotations

import hmac
import time
from datetime import datetime, timedelta

from flask import abort, session

from screening.codes.codec import RestoredResult, verified_code
from screening.codes.errors import ResultCodeError
from screening.core.dates import now_utc
from screening.core.marks import N_
from screening.web.state import current_instrument, current_settings, screening_state

SESSION_KEY = "staff"
KEY_PURPOSE = b"screening staff sign-in"
# Seconds a sign-in may seem to come from the future: servers behind one balancer may disagree.
CLOCK_SKEW = 300
PAST_THE_RESULT_PAGE = N_(
    "This result was completed more than %(hours)s hours ago, so for privacy it can no longer "
    "be opened here. The clinic can open it from its result code, or you can complete the "
    "questionnaire again."
)


def sign_in_required() -> bool:
    return bool(current_settings().staff.password_hash)


def _password_digest() -> str:
    """A keyed hash of the configured password hash: the cookie, readable by its holder, never
    holds the hash itself, and a new password makes every earlier sign-in invalid."""
    secret = current_settings().server.secret_key.encode()
    key = hmac.new(secret, KEY_PURPOSE, "sha256").digest()
    configured = current_settings().staff.password_hash.encode()
    return hmac.new(key, configured, "sha256").hexdigest()[:32]


def is_staff() -> bool:
    """Whether this browser is signed in as staff (always, when no staff password is set)."""
    if not sign_in_required():
        return True
    grant = session.get(SESSION_KEY)
    if not isinstance(grant, dict):
        return False
    given_at = grant.get("at")
    hours = current_settings().staff.sign_in_hours
    return (
        hmac.compare_digest(str(grant.get("password", "")), _password_digest())
        and isinstance(given_at, int)
        and -CLOCK_SKEW <= time.time() - given_at < hours * 3600
    )


def grant_staff() -> None:
    # A new session for the signed-in browser: nothing from before the sign-in carries on.
    session.clear()
    session[SESSION_KEY] = {"password": _password_digest(), "at": int(time.time())}


def end_staff() -> None:
    session.pop(SESSION_KEY, None)


def result_page_lifetime() -> timedelta:
    """How long after completion the patient's result page can post its code back: its forms'
    CSRF lifetime, and the minute the completion time is rounded down to."""
    return timedelta(seconds=current_settings().server.csrf_time_limit, minutes=1)


def verified_reposted_code(code: str) -> RestoredResult | None:
    """What a result code posted back from a result page's form (the call-back, the reminder)
    holds, verified as ``reposted_code`` says; None when none was posted, 400 when it does not
    verify."""
    if not code.strip():
        return None
    try:
        return reposted_code(code)
    except ResultCodeError:
        abort(400)


def reposted_code(text: str, now: datetime | None = None) -> RestoredResult:
    """A code posted back from a result page, verified: only sealed codes (the ones result pages
    issue, whose tag of 40 bits or more is out of reach of guessing), within the maximum age,
    and, unless the browser is signed in as staff, no older than the patient's result page can
    be. Raises ResultCodeError saying why not."""
    now = now or now_utc()
    codes = current_settings().codes
    restored = verified_code(
        text.strip(),
        current_instrument(),
        screening_state().result_code_key,
        now,
        codes.max_age_days,
        codes.v1_until,
        accept_v1=False,
    )
    _check_result_page_lifetime(restored, now)
    return restored


def _check_result_page_lifetime(restored: RestoredResult, now: datetime) -> None:
    if is_staff():
        return
    lifetime = result_page_lifetime()
    if now - restored.completed_at > lifetime:
        hours = max(1, round(lifetime.total_seconds() / 3600))
        raise ResultCodeError(PAST_THE_RESULT_PAGE, hours=hours)
