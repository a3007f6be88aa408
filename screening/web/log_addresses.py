"""No log line holds a full client address: every IP address in a record the app's handlers
write is masked to its network (``network_of()``: an IPv4 /24, an IPv6 /56), whoever wrote the
record, flask-limiter's "ratelimit ... (203.0.113.7) exceeded" line or any other library's."""

from __future__ import annotations

import ipaddress
import logging
import re

from flask.logging import default_handler

from screening.web.extensions import network_of

# What may be an address, not inside a word ("Foo::bar", "v1.2.3.4" are not): a run of hex
# digits, colons and dots with a colon in it (IPv6, also IPv4-mapped, or an IPv4 address with
# its port), or a dotted IPv4 address; each with a prefix length if one follows. Only what
# ipaddress reads as an address is changed ("20:51:06" is not).
CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])(?P<colons>[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)(?P<colons_prefix>/\d{1,3})?"
    r"(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z.])(?P<dots>\d{1,3}(?:\.\d{1,3}){3})(?P<dots_prefix>/\d{1,2})?"
    r"(?![0-9A-Za-z]|\.\d)"
)
DOTTED = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d)")
# Written now, so the traceback a record carries is masked too.
_FORMATTER = logging.Formatter()


def masked_addresses(text: str) -> str:
    """``text`` with every IPv4 and IPv6 address (and network narrower than the mask) replaced
    by its masked network: ``(127.5.6.7)`` becomes ``(127.5.6.0/24)``."""
    return CANDIDATE.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    if match.group("dots") is not None:
        return _masked_address(match.group("dots"), match.group("dots_prefix") or "")
    run, prefix = match.group("colons"), match.group("colons_prefix") or ""
    # Punctuation after an address ("from ::1.") is not part of it.
    for address in (run, run.rstrip(".:")):
        # "::" (no address at all) is left as it is.
        if address.strip(":") and _is_address(address):
            return _masked_address(address, prefix) + run[len(address) :]
    # Not one IPv6 address, but it may hold IPv4 ones: "127.0.0.1:8025", "::ffff:" and a port.
    return DOTTED.sub(lambda dotted: network_of(dotted.group()), run) + prefix


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _masked_address(address: str, prefix: str) -> str:
    """The address's network, or the wider one its prefix names; a prefix that is not one
    ("/33") is kept as text after the masked address."""
    if _is_address(address + prefix):
        return network_of(address + prefix)
    return network_of(address) + prefix


class MaskAddresses(logging.Filter):
    """Masks every address in a record's message, traceback and stack before any handler
    writes it. On a handler it sees each record that handler writes, from any logger; the
    record is changed in place, so handlers after it write the masked text too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it as it would have
            return True
        masked = masked_addresses(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = masked_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = masked_addresses(record.stack_info)
        return True


def mask_addresses_in_logs() -> None:
    """Installs MaskAddresses on the handlers the app's records reach: Flask's handler (the
    app's and flask-limiter's lines) and logging's last resort (a library's warning when no
    handler is configured, as under gunicorn). Once per process, whatever the number of apps."""
    for handler in (default_handler, logging.lastResort):
        if handler is not None and not any(
            isinstance(each, MaskAddresses) for each in handler.filters
        ):
            handler.addFilter(MaskAddresses())
