"""Staff sign-in, as a fact about this browser's session: whether it is signed in, and the checks
that depend on it when a result code is posted back. The blueprint with the sign-in page is
staff.py; this sits below every blueprint so that each can ask.

A sign-in lives in the signed session cookie (never the password) as a keyed hash of the
password hash it was given for, the time it was given and a random id of its own: a new
STAFF_PASSWORD_HASH ends every sign-in, and a sign-in ends after STAFF_SIGN_IN_HOURS. Signing
out ends it everywhere, a copy of the cookie included: its id is kept as signed out, and nothing
else, until it would have ended anyway, in the rate-limit store (RATELIMIT_STORAGE_URI: Redis
is shared by every worker and instance; memory:// is this process's own). The store also keeps
the time sign-ins are valid from: a store that lost its keys (a Redis restart without
persistence, a new process's memory://) has lost the sign-outs too, so it starts again from now
and every earlier sign-in ends, rather than every signed-out copy of a cookie opening again. With no
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
import threading
import time
from datetime import datetime, timedelta

from flask import abort, current_app, g, session

from screening.codes.codec import RestoredResult, verified_code
from screening.codes.errors import ResultCodeError
from screening.core.dates import now_utc
from screening.core.marks import N_
from screening.web.extensions import limiter
from screening.web.state import current_instrument, current_settings, screening_state

logger = logging.getLogger(__name__)
SESSION_KEY = "staff"
SIGNED_OUT_KEY = "staff-signed-out/"
VALID_FROM_KEY = "staff-sign-ins-valid-from"
# The store's keys all expire: the valid-from time outlasts any sign-in by far (10 years); were it
# ever to expire or be evicted, every sign-in would end, never one signed out open again.
VALID_FROM_SECONDS = 10 * 365 * 24 * 3600
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
    given_at, sign_in_id, valid_from = grant.get("at"), grant.get("id"), grant.get("from")
    hours = current_settings().staff.sign_in_hours
    if not (
        hmac.compare_digest(str(grant.get("password", "")), _password_digest())
        and isinstance(given_at, int)
        and -CLOCK_SKEW <= time.time() - given_at < hours * 3600
        # A sign-in from before ids were given cannot be signed out everywhere: it is over.
        and isinstance(sign_in_id, str)
        # One from before valid-from times were kept cannot be checked against a restart.
        and isinstance(valid_from, int)
    ):
        return False
    # Asked once per request, however many checks ask whether this browser is staff.
    if "staff_signed_out" not in g:
        g.staff_signed_out = _signed_out(sign_in_id, valid_from)
    return not g.staff_signed_out


def grant_staff() -> None:
    # A new session for the signed-in browser: nothing from before the sign-in carries on.
    session.clear()
    # Flask-WTF caches this request's CSRF token in g: it belongs to the cleared session, so a
    # page rendered after the sign-in (an entry carried through it) gets one of the new session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    at = int(time.time())
    valid_from = _milliseconds()
    store = limiter.storage
    try:
        # The valid-from time exists before the sign-in does, so the first check after it
        # does not start the store again and end it; one set by a server whose clock is ahead
        # (within CLOCK_SKEW) is the sign-in's own.
        valid_from = max(valid_from, _sign_ins_valid_from())
    except store.base_exceptions as error:
        # Checked once the store answers: a restart meanwhile ends this sign-in too.
        logger.warning(
            "staff sign-in given without the rate-limit store (%s)", type(error).__name__
        )
    else:
        _write_signed_out_here()
    session[SESSION_KEY] = {
        "password": _password_digest(),
        "at": at,
        # Milliseconds: a sign-in and a store restart in one second stay in order.
        "from": valid_from,
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
# process refuses them, and writes them to the store after its next call that the store answers.
_signed_out_here: dict[str, float] = {}
_signed_out_here_lock = threading.Lock()


def _milliseconds() -> int:
    return int(time.time() * 1000)


def _sign_ins_valid_from() -> int:
    """The time (the writer's clock, in milliseconds) from which sign-ins are valid, set to now when
    the store has none: a fresh or flushed store has forgotten every sign-out, so every earlier
    sign-in ends. Raises the store's base_exceptions.

    Only the store's public API: incr() is the one atomic write, so two workers that find it
    missing at once add their times up; a time that far ahead is cleared and set again, so the
    worst a race costs is an extra sign-out. It only ever moves forward (a clear is followed by
    now), and sign-outs are never cleared, so no sign-out is undone."""
    store = limiter.storage
    now = _milliseconds()
    valid_from = int(store.get(VALID_FROM_KEY))
    if 0 < valid_from <= now + CLOCK_SKEW * 1000:
        return valid_from
    if valid_from:
        store.clear(VALID_FROM_KEY)
    return int(store.incr(VALID_FROM_KEY, VALID_FROM_SECONDS, amount=now))


def _write_signed_out_here() -> None:
    """After a call the store answered: write the ids signed out while it did not, for what is
    left of their lifetime, and forget them here once written."""
    with _signed_out_here_lock:
        pending = list(_signed_out_here.items())
    if not pending:
        return
    store = limiter.storage
    now = time.time()
    try:
        for sign_in_id, until in pending:
            if until > now:
                store.incr(SIGNED_OUT_KEY + sign_in_id, max(1, int(until - now) + 1))
            with _signed_out_here_lock:
                _signed_out_here.pop(sign_in_id, None)
    except store.base_exceptions as error:
        logger.warning(
            "staff sign-outs kept in this process only still: the rate-limit store did not "
            "answer (%s)",
            type(error).__name__,
        )
        return
    logger.info("staff sign-outs kept in this process written to the rate-limit store")


def _record_sign_out(sign_in_id: str) -> None:
    now = time.time()
    store = limiter.storage
    try:
        store.incr(SIGNED_OUT_KEY + sign_in_id, _lifetime_seconds())
    except store.base_exceptions as error:
        with _signed_out_here_lock:
            for stale in [each for each, until in _signed_out_here.items() if until <= now]:
                del _signed_out_here[stale]
            _signed_out_here[sign_in_id] = now + _lifetime_seconds()
        logger.warning(
            "staff sign-out kept in this process only: the rate-limit store did not answer "
            "(%s); a copy of that sign-in's cookie still opens the clinician side on other "
            "workers until the store answers this process again or the sign-in ends "
            "(STAFF_SIGN_IN_HOURS)",
            type(error).__name__,
        )
        return
    _write_signed_out_here()


def _signed_out(sign_in_id: str, valid_from: int) -> bool:
    """Whether the sign-in has ended: signed out, or given before the store's valid-from time
    (the store has lost its keys since, sign-outs included)."""
    with _signed_out_here_lock:
        if _signed_out_here.get(sign_in_id, 0.0) > time.time():
            return True
    store = limiter.storage
    try:
        ended = valid_from < _sign_ins_valid_from() or store.get(SIGNED_OUT_KEY + sign_in_id) > 0
    except store.base_exceptions as error:
        # Staff keep working while the store is away, as patients do under its rate limits.
        logger.warning(
            "staff sign-in not checked against sign-outs: the rate-limit store did not answer (%s)",
            type(error).__name__,
        )
        return False
    _write_signed_out_here()
    return ended


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
