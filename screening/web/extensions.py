"""Flask extensions, created once here and bound to each app in create_app()."""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from time import monotonic
from typing import Any

from flask import Response, make_response
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from screening.settings import Limits
from screening.web.state import current_settings

# Limits only what is declared per view (access-code and intake attempts, documents); storage
# from RATELIMIT_STORAGE_URI.
limiter = Limiter(get_remote_address)


# The share of the address space one client can easily hold: an IPv4 /24 (a small network, or
# neighbours behind one provider) and an IPv6 /64 (one subscriber's LAN; each device picks its
# own addresses in it at will, so a count per address would not count anything).
IPV4_NETWORK_BITS = 24
IPV6_NETWORK_BITS = 64
# What a provider most often delegates to one IPv6 subscriber: 256 /64s, each theirs to pick
# at will, so a guesser of passwords or sender of call-backs counts once per /56.
IPV6_SUBSCRIBER_BITS = 56


def client_network() -> str:
    """The rate-limit key for the client's network rather than its one address, e.g.
    ``203.0.113.0/24`` or ``2001:db8:1:2::/64``: changing addresses within it gains nothing."""
    return _network_of_client(IPV6_NETWORK_BITS)


def client_subscriber() -> str:
    """As client_network(), but an IPv6 client's whole /56 (``2001:db8:1::/56``): the key for
    the limits an attacker gains most by spreading over a subscriber's many /64s (staff
    sign-in, call-backs)."""
    return _network_of_client(IPV6_SUBSCRIBER_BITS)


def _network_of_client(ipv6_bits: int) -> str:
    return network_of(get_remote_address(), ipv6_bits)


def network_of(address: str, ipv6_bits: int = IPV6_SUBSCRIBER_BITS) -> str:
    """The network an address belongs to: ``203.0.113.0/24`` (an IPv4-mapped IPv6 address
    counts as its IPv4 one), for IPv6 its ``ipv6_bits`` network (``2001:db8:1::/56``); a
    network given wider than that (``10.0.0.0/16``) stays as wide. Anything that is not an
    address or a network comes back as it is."""
    try:
        network = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return address
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is not None:
        network = ipaddress.ip_network((mapped, max(0, network.prefixlen - 96)), strict=False)
    bits = IPV4_NETWORK_BITS if network.version == 4 else ipv6_bits
    return str(network.supernet(new_prefix=min(bits, network.prefixlen)))


def limit_from_settings(choose: Callable[[Limits], str]) -> Callable[[], str]:
    """A limit for ``@limiter.limit`` read from the app's settings at each request, e.g.
    ``limit_from_settings(lambda limits: limits.intake)``, so that each app (and test) uses its
    own."""

    def limit() -> str:
        return choose(current_settings().limits)

    return limit


def limit_for_every_client(
    choose: Callable[[Limits], str],
    scope: str,
    counts: Callable[[Response], bool],
    on_breach: Callable[[RequestLimit], Response | None],
    exempt_when: Callable[[], bool] | None = None,
) -> Callable:
    """One limit shared by all clients together (in the shared store, so by every worker and
    server with Redis), the one ``choose`` picks from the settings; only responses that
    ``counts`` accepts use it up, ``on_breach`` answers past it (and tells the operator), and
    requests ``exempt_when`` picks neither count nor are refused."""
    return limiter.limit(
        limit_from_settings(choose),
        key_func=lambda: "every client",
        scope=scope,
        deduct_when=counts,
        on_breach=on_breach,
        exempt_when=exempt_when,
    )


def limited_page(
    page: Callable[[RequestLimit], ResponseReturnValue],
) -> Callable[[RequestLimit], Response]:
    """An ``on_breach`` that answers a post over its limit with the form's own page, which
    ``page`` renders with everything that was typed kept (and says why), and the Retry-After
    HTTP asks of a 429 (RFC 6585 4): the length of the limit's window, the longest the client
    may have to wait."""

    def on_breach(limit: RequestLimit) -> Response:
        response = make_response(page(limit))
        response.headers["Retry-After"] = str(limit.limit.get_expiry())
        return response

    return on_breach


def document_limit() -> Callable:
    """One limit shared by every download (PDF, FHIR, calendar) from a client address."""
    return limiter.shared_limit(
        limit_from_settings(lambda limits: limits.document), scope="documents"
    )


# The second line of /health while this worker's limits count in its own memory.
HEALTH_ON_MEMORY_FALLBACK = "storage: memory-fallback"


# How long one ping's answer stands for this process: /health then pings the store at most once
# a second whatever its request rate. Each ping of a stalled Redis holds a sync worker for
# RATELIMIT_STORAGE_TIMEOUT (0.5 s): a ping per request let 46 /health requests from 12 clients
# in 6 s hold the workers and push the questionnaire to 0.5-2 s.
STORE_CHECK_SECONDS = 1.0


class _StoreCheck:
    """The last ping's answer in this process: which store, when (monotonic()), and
    whether it answered. The lock makes concurrent requests (threaded servers) wait for the
    one ping under way instead of each sending their own."""

    lock = threading.Lock()
    storage: Any = None
    checked_at = 0.0
    answered = True


def limits_on_memory_fallback() -> bool:
    """Whether the shared rate-limit store did not answer a ping within the last second, so
    this worker counts in its own memory (or will at its next limited request). The store's
    public ``check()`` (a Redis PING, within RATELIMIT_STORAGE_TIMEOUT; always true for
    memory://), never flask-limiter's private flag: it answers for the store as it is (at most
    STORE_CHECK_SECONDS old), also before any limited request has found it gone and after it is
    back. Another app's store (a new app in this process) is pinged afresh."""
    storage = limiter.storage
    with _StoreCheck.lock:
        now = monotonic()
        fresh = now - _StoreCheck.checked_at < STORE_CHECK_SECONDS
        if _StoreCheck.storage is not storage or not fresh:
            _StoreCheck.answered = bool(storage.check())
            _StoreCheck.storage = storage
            _StoreCheck.checked_at = monotonic()
        return not _StoreCheck.answered


FALLBACK_EXPLAINED = (
    "Rate limits now count in each worker's own memory until the shared store is back: a client "
    "can get up to as many times each limit as there are workers, and counts start again from "
    "zero (see README, 'What to monitor')."
)


class ExplainFallback(logging.Filter):
    """Says what flask-limiter's "falling back to in-memory storage" means for the operator,
    on the same line: the limits still hold, per worker process, so they are looser."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "falling back to in-memory storage" in str(record.msg):
            record.msg = f"{record.msg}. {FALLBACK_EXPLAINED}"
        return True


# Interface translations; the locale selector is given in create_app().
babel = Babel()
