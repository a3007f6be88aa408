"""Staff sign-in, as a fact about this browser's session: whether it is signed in, and the checks
that depend on it when a result code is posted back. The blueprint with the sign-in page is
staff.py; this sits below every blueprint so that each can ask.

A sign-in lives in the signed session cookie (never the password) as a keyed hash of the
password hash it was given for, the time it was given and a random id of its own: a new
STAFF_PASSWORD_HASH ends every sign-in, and a sign-in ends after STAFF_SIGN_IN_HOURS. Signing
out ends it everywhere, a copy of the cookie included: its id is kept as signed out, and nothing
else, until it would have ended anyway, in the rate-limit store (RATELIMIT_STORAGE_URI: Redis
is shared by every worker and instance; memory:// is this process's own). With no
STAFF_PASSWORD_HASH (development and tests only: production refuses to start without it)
everyone counts as staff.

A code posted back from the patient's own result page (its PDF, language switch, reminder,
call-back) opens without signing in only while that page's forms are valid (WTF_CSRF_TIME_LIMIT,
4 hours): after that a code someone photographed or forwarded opens for staff only.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from datetime import datetime, timedelta

from flask import abort, g, session

from screening.codes.codec import RestoredResult, verified_code
from screening.codes.errors import ResultCodeError
from screening.core.dates import now_utc
from screening.core.marks import N_
from screening.web.extensions import limiter
from screening.web.state import current_instrument, current_settings, screening_state

logger = logging.getLogger(__name__)
SESSION_KEY = "staff"
SIGNED_OUT_KEY = "staff-signed-out/"
SIGN_IN_ID_BYTES = 16
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
    given_at, sign_in_id = grant.get("at"), grant.get("id")
    hours = current_settings().staff.sign_in_hours
    if not (
        hmac.compare_digest(str(grant.get("password", "")), _password_digest())
        and isinstance(given_at, int)
        and -CLOCK_SKEW <= time.time() - given_at < hours * 3600
        # A sign-in from before ids were given cannot be signed out everywhere: it is over.
        and isinstance(sign_in_id, str)
    ):
        return False
    # Asked once per request, however many checks ask whether this browser is staff.
    if "staff_signed_out" not in g:
        g.staff_signed_out = _signed_out(sign_in_id)
    return not g.staff_signed_out


def grant_staff() -> None:
    # A new session for the signed-in browser: nothing from before the sign-in carries on.
    session.clear()
    session[SESSION_KEY] = {
        "password": _password_digest(),
        "at": int(time.time()),
        "id": secrets.token_urlsafe(SIGN_IN_ID_BYTES),
    }


def end_staff() -> None:
    """Sign this browser out, and every copy of its cookie with it."""
    grant = session.pop(SESSION_KEY, None)
    g.pop("staff_signed_out", None)
    if isinstance(grant, dict) and isinstance(grant.get("id"), str):
        _record_sign_out(grant["id"])


def _lifetime_seconds() -> int:
    """How long a sign-in lasts (and a signed-out id is kept): STAFF_SIGN_IN_HOURS, and the
    clock skew a sign-in from another server's clock may carry."""
    return int(current_settings().staff.sign_in_hours * 3600) + CLOCK_SKEW


# Ids signed out while the shared store did not answer, with when each may be forgotten: this
# process refuses them, the others only once they find them in the store.
_signed_out_here: dict[str, float] = {}


def _record_sign_out(sign_in_id: str) -> None:
    now = time.time()
    for stale in [each for each, until in _signed_out_here.items() if until <= now]:
        del _signed_out_here[stale]
    store = limiter.storage
    try:
        store.incr(SIGNED_OUT_KEY + sign_in_id, _lifetime_seconds())
    except store.base_exceptions as error:
        _signed_out_here[sign_in_id] = now + _lifetime_seconds()
        logger.warning(
            "staff sign-out kept in this process only: the rate-limit store did not answer "
            "(%s); a copy of that sign-in's cookie still opens the clinician side on other "
            "workers until it ends (STAFF_SIGN_IN_HOURS)",
            type(error).__name__,
        )


def _signed_out(sign_in_id: str) -> bool:
    if _signed_out_here.get(sign_in_id, 0.0) > time.time():
        return True
    store = limiter.storage
    try:
        return store.get(SIGNED_OUT_KEY + sign_in_id) > 0
    except store.base_exceptions as error:
        # Staff keep working while the store is away, as patients do under its rate limits.
        logger.warning(
            "staff sign-in not checked against sign-outs: the rate-limit store did not answer (%s)",
            type(error).__name__,
        )
        return False


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
