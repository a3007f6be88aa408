"""HTTP hardening: security headers on every response, cookie flags, and trusting a reverse proxy.

These are a dozen fixed headers, so they are set here rather than through Flask-Talisman: its
extra machinery (HTTPS redirects, CSP nonces) is not needed behind an HTTPS proxy with no inline
script, and it does not send Cross-Origin-Opener-Policy, which we need anyway.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=63072000; includeSubDomains"


def register_security(app: Flask) -> None:
    """Send the headers on every response; HSTS and Secure cookies when served over HTTPS."""
    https = bool(app.config["HTTPS"])
    app.config["SESSION_COOKIE_SECURE"] = https
    headers = dict(SECURITY_HEADERS)
    if https:
        headers["Strict-Transport-Security"] = HSTS

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    app.wsgi_app = SizedBodies(app.wsgi_app, int(app.config["MAX_CONTENT_LENGTH"]))  # type: ignore[method-assign]

    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )


class SizedBodies:
    """Give a chunked body (no Content-Length) a length, so that MAX_CONTENT_LENGTH applies.

    Werkzeug reads a chunked body only up to MAX_CONTENT_LENGTH and silently drops the rest, so
    an oversize chunked post got a confusing 400 instead of the 413 a sized one gets. At most
    one byte more than the limit is read; an oversize body then fails Flask's own size check.
    """

    def __init__(self, wsgi_app: WSGIApplication, limit: int) -> None:
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # The server has already decoded the chunks; the body is now an ordinary sized one.
            body = environ["wsgi.input"].read(self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.wsgi_app(environ, start_response)
