"""The staff device cookie: a browser that has signed in with the staff password before carries a
signed, long-lived cookie naming a random device id (OWASP's "device cookie" against lockout as
denial of service). Its sign-in attempts count against that device's own limit, not against its
network's limit or the cap on wrong passwords from every client together, so guessing from many
networks cannot lock a clinic's own computers out. Attempts without a valid device cookie keep
those limits.

The cookie holds the id and its issue time, signed with SECRET_KEY (itsdangerous, Flask's own
dependency), nothing else: not the password, nothing of a patient. It is sent to /staff only and
lasts STAFF_DEVICE_COOKIE_DAYS; each sign-in issues a new one. A stolen device cookie gains a
guesser one device's limit (STAFF_SIGN_IN_RATE_LIMIT), which scrypt and a long password keep far
from guessing; it never signs anyone in.
"""

from __future__ import annotations

import secrets

from flask import g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from screening.web.state import current_settings

COOKIE = "staff_device"
COOKIE_PATH = "/staff"
SALT = "screening staff device"
DEVICE_ID_BYTES = 16


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_settings().server.secret_key, salt=SALT)


def _max_age() -> int:
    return current_settings().staff.device_cookie_days * 24 * 3600


def trusted_device() -> str | None:
    """The id of this browser's device cookie when it carries a valid one (signed with this
    SECRET_KEY, within STAFF_DEVICE_COOKIE_DAYS), else None; read once per request."""
    if "staff_device" not in g:
        g.staff_device = _device_of(request.cookies.get(COOKIE, ""))
    device: str | None = g.staff_device
    return device


def _device_of(value: str) -> str | None:
    if not value:
        return None
    try:
        device = _serializer().loads(value, max_age=_max_age())
    except BadSignature:  # also an expired one (SignatureExpired is a BadSignature)
        return None
    return device if isinstance(device, str) and device else None


def is_trusted_device() -> bool:
    """For ``exempt_when``: a trusted device skips the limits every other client keeps."""
    return trusted_device() is not None


def untrusted_device() -> bool:
    """For ``exempt_when``: only a trusted device counts against its own limit."""
    return trusted_device() is None


def device_key() -> str:
    """The rate-limit key of a trusted device's sign-in attempts."""
    return f"device {trusted_device()}"


def remember_device(response: Response) -> Response:
    """After a successful sign-in: a new device cookie for this browser."""
    device = secrets.token_urlsafe(DEVICE_ID_BYTES)
    response.set_cookie(
        COOKIE,
        _serializer().dumps(device),
        max_age=_max_age(),
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=current_settings().server.https,
    )
    return response
