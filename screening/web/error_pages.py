"""Error pages: the title and message a person reads for each HTTP error, and the handler.

Every error renders ``errors.html`` with ``no-store``; the wording is here so that
``create_app()`` only wires. A Host outside ``TRUSTED_HOSTS`` gets the 400 page too, its links
built for the site's own name, never for the one sent. The proxy's own error pages (a body too slow
or too large, an instance that does not answer) are the same pages, rendered ahead of time by
tools/caddy_error_pages.py.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask.globals import request_ctx
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.sansio.response import Response

ERROR_PAGES: dict[int, tuple[LazyString, LazyString]] = {
    400: (
        _l("Something was not right"),
        _l(
            "The page could not use what was sent. "
            "Please go back to the questionnaire and try again."
        ),
    ),
    403: (
        _l("Not open to you"),
        _l("This page is not open to you. Please start from the questionnaire."),
    ),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (
        _l("Page cannot be opened this way"),
        _l("This page cannot be opened this way. Please start from the questionnaire."),
    ),
    # Answered by the proxy (deploy/Caddyfile) for an address longer than any this site makes.
    414: (
        _l("This address is too long"),
        _l(
            "This address is too long to be a page of this site. "
            "Please start from the questionnaire."
        ),
    ),
    408: (
        _l("Sending took too long"),
        _l(
            "What was sent did not arrive in time, perhaps because the connection is slow. "
            "Please go back and send it again."
        ),
    ),
    413: (
        _l("Too much was sent"),
        _l("What was sent was too large to accept. Please go back to the questionnaire."),
    ),
    # The page words it itself, numbers first (the too_many_attempts macro): a person at risk
    # must not read "wait" or "call us" while the clinic may be closed.
    429: (_l("Too many attempts"), _l("You can try again in a few minutes.")),
    500: (
        _l("Something went wrong"),
        _l("Something went wrong on our side. Your answers were not stored anywhere."),
    ),
    503: (
        _l("Not available just now"),
        _l(
            "The screening cannot answer just now. Your answers were not stored anywhere. "
            "Please try again in a minute, or call us."
        ),
    ),
}


def error_page(code: int, fallback: HTTPException | None = None) -> str:
    """The page for HTTP status ``code`` in the request's language."""
    default = (fallback.name, fallback.description) if fallback else ERROR_PAGES[500]
    title, message = ERROR_PAGES.get(code, default)
    return render_template(
        "errors.html", title=title, message=message, too_many_attempts=code == 429
    )


def protocol_headers(error: HTTPException) -> dict[str, str]:
    """The headers HTTP requires of this error, which a page of our own would otherwise drop:
    ``Allow`` on a 405 (RFC 9110 15.5.6, a MUST), ``WWW-Authenticate`` on a 401, and
    ``Retry-After`` on a 429 (RFC 6585 4): the length of the limit's window, the longest a
    client may have to wait before it resets."""
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    if isinstance(error, RateLimitExceeded) and "Retry-After" not in headers:
        headers["Retry-After"] = str(error.limit.limit.get_expiry())
    return headers


def unknown_host_page() -> tuple[str, int, dict[str, str]]:
    """The 400 page for a Host outside TRUSTED_HOSTS, in the person's language. Flask could not
    bind this request's URLs to the Host it names, so they are bound to the site's first trusted
    name: the page's links are relative, and nothing can point at the host that was sent."""
    site = current_app.config["TRUSTED_HOSTS"][0].lstrip(".")
    request_ctx.url_adapter = current_app.url_map.bind(
        site, script_name=request.root_path or "/", url_scheme=request.scheme
    )
    return error_page(400), 400, {"Cache-Control": "no-store"}


def register_error_pages(app: Flask) -> None:
    def render_error(error: HTTPException) -> tuple[str, int, dict[str, str]] | Response:
        if error.response is not None:
            # A page of its own, made where the error arose (a rate limit's on_breach).
            return error.response
        if isinstance(error, SecurityError):
            return unknown_host_page()
        return (
            error_page(error.code or 500, error),
            error.code or 500,
            protocol_headers(error) | {"Cache-Control": "no-store"},
        )

    app.register_error_handler(HTTPException, render_error)
