"""Result codes: a short, typeable code that carries a completed screening from one device to
another without the server storing anything. Pure; no Flask.

Format (documented in the README): ``EPDS-XXXX-XXXX-XXXX-XXXX``, 16 Crockford base-32 symbols
after the instrument's prefix. They hold 75 bits, most significant first:

    3 bits   the instrument's code number (EPDS version A is 1)
    15 bits  the day completed, counted from 2024-01-01 (UTC)
    11 bits  the minute of that day
    20 bits  the ten answers, 2 bits each: the option index, top option 0
    25 bits  a keyed MAC (HMAC-SHA256 with a key derived from the app's secret, truncated)
    1 bit    zero padding

and a 16th symbol, a Luhn mod 32 check character, so a mistyped symbol is caught before the MAC
is even tried. Crockford's alphabet has no I, L, O or U; on input I and L read as 1, O as 0,
and spaces, hyphens and case do not matter.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from screening.instrument import Instrument
from screening.marks import N_

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
EPOCH = date(2024, 1, 1)
INSTRUMENT_BITS = 3
DAY_BITS = 15
MINUTE_BITS = 11
ANSWER_BITS = 2
MAC_BITS = 25
GROUP = 4
KEY_PURPOSE = b"screening result code v1"


class ResultCodeError(ValueError):
    """A code that cannot be restored. ``reason`` says why in words for the person typing it,
    with %(name)s placeholders filled from ``params``."""

    def __init__(self, reason: str, **params: object) -> None:
        self.reason = reason
        self.params = params
        super().__init__(reason % params if params else reason)


@dataclass(frozen=True)
class RestoredResult:
    answers: dict[int, int]
    completed_at: datetime


def derive_key(secret: str | bytes) -> bytes:
    """A key for result codes only, so the app secret itself never signs anything else here."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, KEY_PURPOSE, hashlib.sha256).digest()


def _payload_bits(instrument: Instrument) -> int:
    return INSTRUMENT_BITS + DAY_BITS + MINUTE_BITS + ANSWER_BITS * len(instrument.items)


def _symbols_for(bits: int) -> int:
    return -(-bits // 5)


def _mac(key: bytes, payload: int, payload_bits: int) -> int:
    message = payload.to_bytes(-(-payload_bits // 8), "big")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") >> (256 - MAC_BITS)


def luhn_check_symbol(symbols: str) -> str:
    """Luhn mod 32: catches every single mistyped symbol and most swapped neighbours."""
    total = 0
    for position, symbol in enumerate(reversed(symbols)):
        value = VALUES[symbol] * (2 if position % 2 == 0 else 1)
        total += value // 32 + value % 32
    return ALPHABET[(32 - total % 32) % 32]


def _group(prefix: str, symbols: str) -> str:
    return "-".join([prefix, *(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))])


def encode(
    instrument: Instrument, answers: Mapping[int, int], completed_at: datetime, key: bytes
) -> str:
    """The grouped code for a complete set of answers (item number -> option index)."""
    moment = completed_at.astimezone(UTC)
    day = (moment.date() - EPOCH).days
    if not 0 <= day < 2**DAY_BITS:
        raise ValueError("completion date outside the range a result code can hold")
    payload = instrument.code_number
    payload = (payload << DAY_BITS) | day
    payload = (payload << MINUTE_BITS) | (moment.hour * 60 + moment.minute)
    for item in instrument.items:
        payload = (payload << ANSWER_BITS) | answers[item.number]
    payload_bits = _payload_bits(instrument)
    symbols_count = _symbols_for(payload_bits + MAC_BITS)
    padding = symbols_count * 5 - payload_bits - MAC_BITS
    number = ((payload << MAC_BITS) | _mac(key, payload, payload_bits)) << padding
    symbols = "".join(
        ALPHABET[(number >> (5 * (symbols_count - 1 - i))) & 31] for i in range(symbols_count)
    )
    return _group(instrument.id.upper(), symbols + luhn_check_symbol(symbols))


def normalise(text: str, instrument: Instrument) -> str:
    """Upper case, no spaces or hyphens, I/L/O read as 1/1/0, the prefix taken off."""
    compact = "".join(text.split()).replace("-", "").upper()
    prefix = instrument.id.upper()
    if compact.startswith(prefix):
        compact = compact[len(prefix) :]
    return compact.translate(READ_AS)


def decode(text: str, instrument: Instrument, key: bytes) -> RestoredResult:
    """Check and unpack a typed or scanned code; raise ResultCodeError saying what is wrong."""
    payload_bits = _payload_bits(instrument)
    symbols_count = _symbols_for(payload_bits + MAC_BITS)
    compact = normalise(text[:200], instrument)
    if not compact:
        raise ResultCodeError(N_("Please type or scan the result code."))
    if len(compact) != symbols_count + 1 or any(symbol not in VALUES for symbol in compact):
        raise ResultCodeError(
            N_(
                "A result code has %(count)s letters and digits after \u201c%(prefix)s-\u201d. "
                "Please check it and try again."
            ),
            count=symbols_count + 1,
            prefix=instrument.id.upper(),
        )
    symbols, check = compact[:-1], compact[-1]
    if luhn_check_symbol(symbols) != check:
        raise ResultCodeError(
            N_(
                "This code has a typing mistake. Please compare it with the code on the "
                "patient's screen or PDF, letter by letter."
            )
        )
    number = 0
    for symbol in symbols:
        number = (number << 5) | VALUES[symbol]
    number >>= symbols_count * 5 - payload_bits - MAC_BITS
    payload, mac = number >> MAC_BITS, number & (2**MAC_BITS - 1)
    if not hmac.compare_digest(
        mac.to_bytes(4, "big"), _mac(key, payload, payload_bits).to_bytes(4, "big")
    ):
        raise ResultCodeError(
            N_(
                "This code was not issued by this service, or it has been changed. "
                "Please check it with the patient."
            )
        )
    answers = {}
    for item in reversed(instrument.items):
        answers[item.number] = payload & (2**ANSWER_BITS - 1)
        payload >>= ANSWER_BITS
        if answers[item.number] >= len(item.options):
            raise ResultCodeError(N_("This code does not hold a valid set of answers."))
    minute = payload & (2**MINUTE_BITS - 1)
    payload >>= MINUTE_BITS
    day = payload & (2**DAY_BITS - 1)
    payload >>= DAY_BITS
    if payload != instrument.code_number:
        raise ResultCodeError(N_("This code is for a different questionnaire or version."))
    if minute >= 24 * 60:
        raise ResultCodeError(N_("This code does not hold a valid completion time."))
    completed_at = datetime.combine(EPOCH + timedelta(days=day), datetime.min.time(), UTC)
    return RestoredResult(
        answers=dict(sorted(answers.items())), completed_at=completed_at + timedelta(minutes=minute)
    )
