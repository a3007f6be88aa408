"""HTTP hardening: security headers on every response and trusting a reverse proxy, as the
settings (screening/settings.py: HTTPS, TRUSTED_PROXIES, PROXY_ADDRESSES) say.

These are a dozen fixed headers, so they are set here rather than through Flask-Talisman: its
extra machinery (HTTPS redirects, CSP nonces) is not needed behind an HTTPS proxy with no inline
script, and it does not send Cross-Origin-Opener-Policy, which we need anyway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from screening.settings import Network, Settings

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


class ProxyFixFromProxies:
    """Werkzeug's ProxyFix, applied only when the request comes from one of the proxies.

    ProxyFix alone believes X-Forwarded-For from whoever connects, so a client that reaches an
    instance directly (another host on its network, a local process) could name any address
    and step around the per-client rate limits. Anyone else is taken at their own address.
    A connection on a Unix socket (no address) is the proxy's only when ``unix_socket`` says so.
    The port is never taken from a header: X-Forwarded-Host carries it where it differs.
    """

    def __init__(
        self,
        wsgi_app: WSGIApplication,
        proxies: int,
        networks: Iterable[Network],
        unix_socket: bool = False,
    ) -> None:
        self.direct = wsgi_app
        self.forwarded = ProxyFix(wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
        self.networks = tuple(networks)
        self.unix_socket = unix_socket

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        address = environ.get("REMOTE_ADDR", "")
        if not address:
            from_proxy = self.unix_socket
        else:
            try:
                peer = ipaddress.ip_address(address)
            except ValueError:
                return self.direct(environ, start_response)
            from_proxy = any(peer in network for network in self.networks)
        return (self.forwarded if from_proxy else self.direct)(environ, start_response)


class HostInLowerCase:
    """The request's ``Host`` in lower case before Flask checks it against TRUSTED_HOSTS (which
    the settings keep in lower case): host names are case-insensitive (RFC 9110 4.2.3), and
    Werkzeug compares them as they are, so ``LOCALHOST`` passed Caddy, which matches names
    case-insensitively, and was refused here. Links the app builds then name the host in its
    usual spelling."""

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if "HTTP_HOST" in environ:
            environ["HTTP_HOST"] = environ["HTTP_HOST"].lower()
        return self.wsgi_app(environ, start_response)


def register_security(app: Flask, settings: Settings) -> None:
    """Send the headers on every response; HSTS and Secure cookies when served over HTTPS."""
    headers = dict(SECURITY_HEADERS)
    if settings.server.https:
        headers["Strict-Transport-Security"] = HSTS

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        # A cookie is one browser's: a cache must never hand a response setting it to another.
        if "Set-Cookie" in response.headers and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    # Werkzeug answers a path with "//" by redirecting to the merged path as an absolute URL built
    # from the Host header, i.e. to whatever host the client named. Such paths simply 404 here.
    app.url_map.merge_slashes = False
    # Inside ProxyFix, which takes the Host from the proxy's X-Forwarded-Host.
    app.wsgi_app = HostInLowerCase(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def refuse_an_unknown_host() -> None:
        # Before the access and staff guards: they would build a page for a request whose
        # URLs Flask could not bind (a Host outside TRUSTED_HOSTS), and fail with a 500.
        if isinstance(request.routing_exception, SecurityError):
            raise request.routing_exception

    proxy = settings.proxy
    if proxy.trusted_proxies:
        app.wsgi_app = ProxyFixFromProxies(  # type: ignore[method-assign]
            app.wsgi_app,
            proxy.trusted_proxies,
            proxy.addresses.networks,
            proxy.addresses.unix_socket,
        )
