"""gunicorn settings for production: ``gunicorn -c deploy/gunicorn.conf.py`` from the project root.

Everything that differs between machines comes from the environment:

- ``GUNICORN_BIND``: where to listen (default ``127.0.0.1:8000``; only the proxy talks to it).
  In production the socket comes from systemd (deploy/systemd/screening@.socket) or
  ``make serve``: a Unix socket that only the proxy may open.
- ``GUNICORN_WORKERS``: sync workers (default: 2 per CPU core plus one).
- ``SCREENING_TRUSTED_PROXIES`` and ``SCREENING_PROXY_ADDRESSES``: the app's own settings; when
  the first is above 0, gunicorn also trusts ``X-Forwarded-*`` from the second (default:
  loopback, where Caddy runs; ``unix`` there means connections on a Unix socket, which gunicorn
  always trusts), and from nobody otherwise, so gunicorn and the app trust the same proxies.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
from typing import Any

from gunicorn.glogging import Logger

wsgi_app = "wsgi:app"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"

# Load the app once in the master: workers fork from it in milliseconds, so a `kill -HUP`
# (new workers, old ones finish their requests) leaves no gap while each worker imports the app.
# HUP then reloads this file but not the code: restart the instances one at a time for that.
preload_app = True

# A PDF takes about 15 ms; a worker stuck for 30 s is killed and replaced. Caddy reads slow
# clients' requests in full before a worker sees them, so no worker waits on a client.
timeout = 30
graceful_timeout = 20
keepalive = 5

# Two instances on one host must not share gunicorn's default control socket path.
control_socket_disable = True

_trusted_proxies = int(os.environ.get("SCREENING_TRUSTED_PROXIES") or 0)
_proxy_addresses = os.environ.get("SCREENING_PROXY_ADDRESSES") or "127.0.0.1,::1"
_ip_proxies = [part.strip() for part in _proxy_addresses.split(",") if part.strip() != "unix"]
forwarded_allow_ips = ",".join(filter(None, _ip_proxies)) if _trusted_proxies > 0 else ""

# Caddy's log keeps a client's /24 (IPv4) or /48 (IPv6) network, never the whole address.
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def masked_address(address: str) -> str:
    """The client's network as Caddy's log masks it (``203.0.113.0``); ``-`` for no address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


# gunicorn's error-log line for a request it refuses before the app ("Invalid request from
# ip=...: Invalid HTTP request line: 'GET /?code=... HTTP/1.1'") holds the request line, query
# string and all, as does its line for a request whose handling failed: only the kind of error.
_INVALID_REQUEST = re.compile(r"Invalid request from ip=[^:]*: ([^:'\"]*)")


class WithoutRequestLine(logging.Filter):
    """Error-log lines about one request say what went wrong, never its request line, address
    or query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        invalid = _INVALID_REQUEST.match(message)
        if invalid:
            kind = invalid.group(1).strip() or "malformed request"
            record.msg, record.args = "Invalid request: %s (request line not logged)", (kind,)
        elif message.startswith("Error handling request"):
            record.msg, record.args = "Error handling request (address not logged)", ()
        return True


# A backslash is escaped too, so that one in a line always starts an escape; gunicorn's
# SafeAtoms escapes each double quote itself.
_ESCAPED = {"\\": "\\\\"}


def printable(text: str) -> str:
    """``text`` as one line of printable characters: a WSGI string (bytes as Latin-1, as
    gunicorn decodes a percent-encoded path) read as UTF-8, and every character that is not
    printable (CR, LF, other controls, bidi and other format marks) written as its escape,
    ``\\n``, ``\\x7f``, ``\\u202e``, as is each byte that is not UTF-8 (``\\xff``). A path
    cannot end a line and forge the next."""
    # A text beyond Latin-1 is already text, not bytes in a WSGI string.
    with contextlib.suppress(UnicodeEncodeError):
        text = text.encode("latin-1").decode("utf-8", "surrogateescape")
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if char in _ESCAPED:
        return _ESCAPED[char]
    if char.isprintable():
        return char
    if "\udc80" <= char <= "\udcff":  # a byte that was not UTF-8
        return f"\\x{ord(char) - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")


class MaskedAccessLogger(Logger):
    """Access-log lines from five atoms only: the client's masked network, the time, the method,
    the path and the status. gunicorn's own atoms also hold the duration (a flagged result's
    PDF takes a few milliseconds longer), the full address, the query string and every header;
    none of them can reach a line, whatever ``access_log_format`` says. Its error log names no
    request line either (WithoutRequestLine). Every atom is written printable(): a request's
    path is decoded from its percent-encoding, and a %0A in it wrote a new, forged line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(WithoutRequestLine())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        atoms = {
            "h": masked_address(environ.get("REMOTE_ADDR", "")),
            "t": self.now(),
            "m": environ.get("REQUEST_METHOD", ""),
            "U": environ.get("PATH_INFO", ""),
            "s": status,
        }
        return {name: printable(str(value)) for name, value in atoms.items()}


# Access log on stdout: masked address, time, method, path without the query string, status.
# No byte counts (the size of a result could hint at it), no durations (the time a PDF took could
# too), no bodies, no query strings, no referrer, so no answer or result code can reach a line.
logger_class = MaskedAccessLogger
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s'
