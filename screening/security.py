"""HTTP hardening: security headers on every response, cookie flags, trusting a reverse proxy,
and the host names the app answers to.

These are a dozen fixed headers, so they are set here rather than through Flask-Talisman: its
extra machinery (HTTPS redirects, CSP nonces) is not needed behind an HTTPS proxy with no inline
script, and it does not send Cross-Origin-Opener-Policy, which we need anyway.
"""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from screening.clinic import ConfigError

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

    # Werkzeug answers a path with "//" by redirecting to the merged path as an absolute URL built
    # from the Host header, i.e. to whatever host the client named. Such paths simply 404 here.
    app.url_map.merge_slashes = False
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config.get("TRUSTED_HOSTS"))

    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )


def trusted_hosts(setting: object) -> list[str] | None:
    """``TRUSTED_HOSTS`` as Flask wants it: a list, from a comma-separated environment variable
    too; None (any Host accepted) when empty."""
    if isinstance(setting, str):
        setting = [host.strip() for host in setting.split(",")]
    if not setting:
        return None
    if not isinstance(setting, list | tuple) or not all(isinstance(h, str) for h in setting):
        raise ConfigError(f"TRUSTED_HOSTS must be host names separated by commas, got {setting!r}")
    return [host for host in setting if host] or None
