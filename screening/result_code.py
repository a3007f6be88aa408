"""Result codes: a short, typeable code that carries a completed screening from one device to
another without the server storing anything. Pure; no Flask.

Codes are Crockford base-32 symbols after the instrument's prefix, in groups of four, the last
symbol a Luhn mod 32 check character, so a mistyped symbol is caught before any key is used.
Crockford's alphabet has no I, L, O or U; on input I and L read as 1, O as 0, and spaces,
hyphens and case do not matter. The number of symbols tells the versions apart.

Version 2 (issued today): ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX``, 19 symbols (95 bits) and a check
symbol. Most significant first:

    in clear  4 bits   the format version (2)
              3 bits   the instrument's code number (EPDS version A is 1)
              15 bits  the day completed, counted from 2024-01-01 (UTC)
    sealed    11 bits  the minute of that day
              20 bits  the ten answers, 2 bits each: the option index, top option 0
    tag       42 bits  the rest: the synthetic IV

Sealing is deterministic authenticated encryption in the manner of SIV (RFC 5297): the tag is
HMAC-SHA256 over the clear header and the sealed plaintext under one key, truncated; the
keystream is HMAC-SHA256 over the header and the tag under a second key, and is XORed onto the
plaintext. Both keys are derived from the app secret with HKDF-SHA256 (RFC 5869). Without the
key, a code shows its version, instrument and day and nothing else: a different answer or minute
gives a different tag and so an unrelated keystream. Opening a code recomputes the tag from the
decrypted plaintext and compares it in constant time, so any change to a code is refused.

A later version adds fields (e.g. the pregnancy or postpartum context) to ``sealed`` with a new
version number: ``Layout`` lists the sealed fields in order, the tag takes what is left of
whole symbols, and it must keep at least ``MIN_TAG_BITS``.

Version 1 (issued until 2026-11): ``EPDS-XXXX-XXXX-XXXX-XXXX``, 15 symbols (75 bits) and a
check symbol: 3 bits instrument, 15 bits day, 11 bits minute, 20 bits answers, all in clear,
then a 25-bit HMAC-SHA256 tag and 1 zero bit. Version-1 codes still restore.
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
GROUP = 4
# Version 1.
V1_MAC_BITS = 25
KEY_PURPOSE = b"screening result code v1"
# Version 2.
VERSION = 2
VERSION_BITS = 4
MIN_TAG_BITS = 40
HKDF_SALT = b"screening result codes"


class ResultCodeError(ValueError):
    """A code that cannot be restored. ``reason`` says why in words for the person typing it,
    with %(name)s placeholders filled from ``params``."""

    def __init__(self, reason: str, **params: object) -> None:
        self.reason = reason
        self.params = params
        super().__init__(reason % params if params else reason)


ALTERED = N_(
    "This code was not issued by this service, or it has been changed. "
    "Please check it with the patient."
)
OTHER_VERSION = N_("This code is for a different questionnaire or version.")


@dataclass(frozen=True)
class RestoredResult:
    answers: dict[int, int]
    completed_at: datetime


@dataclass(frozen=True)
class ResultCodeKeys:
    """Keys for result codes only, so the app secret itself never signs anything here."""

    v1_mac: bytes
    v2_tag: bytes
    v2_stream: bytes


def hkdf_sha256(secret: bytes, info: bytes, length: int = 32, salt: bytes = HKDF_SALT) -> bytes:
    """HKDF (RFC 5869) with SHA-256: extract with ``salt``, then expand for ``info``."""
    pseudo_random_key = hmac.new(salt, secret, hashlib.sha256).digest()
    output, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(
            pseudo_random_key, block + info + bytes([counter]), hashlib.sha256
        ).digest()
        output += block
    return output[:length]


def derive_key(secret: str | bytes) -> ResultCodeKeys:
    raw = secret.encode() if isinstance(secret, str) else secret
    return ResultCodeKeys(
        v1_mac=hmac.new(raw, KEY_PURPOSE, hashlib.sha256).digest(),
        v2_tag=hkdf_sha256(raw, b"result code v2 tag"),
        v2_stream=hkdf_sha256(raw, b"result code v2 keystream"),
    )


@dataclass(frozen=True)
class Layout:
    """The bit widths of one code version for one instrument; see the module docstring."""

    clear_bits: int
    sealed_bits: int
    tag_bits: int
    symbols: int  # data symbols, without the check symbol

    @classmethod
    def v2(cls, instrument: Instrument) -> Layout:
        clear = VERSION_BITS + INSTRUMENT_BITS + DAY_BITS
        sealed = MINUTE_BITS + ANSWER_BITS * len(instrument.items)
        symbols = -(-(clear + sealed + MIN_TAG_BITS) // 5)
        return cls(clear, sealed, symbols * 5 - clear - sealed, symbols)

    @classmethod
    def v1(cls, instrument: Instrument) -> Layout:
        clear = INSTRUMENT_BITS + DAY_BITS + MINUTE_BITS + ANSWER_BITS * len(instrument.items)
        return cls(clear, 0, V1_MAC_BITS, -(-(clear + V1_MAC_BITS) // 5))


def _bytes(number: int, bits: int) -> bytes:
    return number.to_bytes(-(-bits // 8), "big")


def _truncated_hmac(key: bytes, message: bytes, bits: int) -> int:
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") >> (256 - bits)


def _tag(keys: ResultCodeKeys, layout: Layout, header: int, plaintext: int) -> int:
    message = _bytes(
        (header << layout.sealed_bits) | plaintext, layout.clear_bits + layout.sealed_bits
    )
    return _truncated_hmac(keys.v2_tag, message, layout.tag_bits)


def _keystream(keys: ResultCodeKeys, layout: Layout, header: int, tag: int) -> int:
    message = _bytes(header, layout.clear_bits) + _bytes(tag, layout.tag_bits)
    return _truncated_hmac(keys.v2_stream, message, layout.sealed_bits)


def luhn_check_symbol(symbols: str) -> str:
    """Luhn mod 32: catches every single mistyped symbol and most swapped neighbours."""
    total = 0
    for position, symbol in enumerate(reversed(symbols)):
        value = VALUES[symbol] * (2 if position % 2 == 0 else 1)
        total += value // 32 + value % 32
    return ALPHABET[(32 - total % 32) % 32]


def _grouped(instrument: Instrument, number: int, symbols_count: int) -> str:
    symbols = "".join(
        ALPHABET[(number >> (5 * (symbols_count - 1 - i))) & 31] for i in range(symbols_count)
    )
    symbols += luhn_check_symbol(symbols)
    groups = (symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))
    return "-".join([instrument.id.upper(), *groups])


def _day_and_minute(completed_at: datetime) -> tuple[int, int]:
    moment = completed_at.astimezone(UTC)
    day = (moment.date() - EPOCH).days
    if not 0 <= day < 2**DAY_BITS:
        raise ValueError("completion date outside the range a result code can hold")
    return day, moment.hour * 60 + moment.minute


def _answer_bits(instrument: Instrument, answers: Mapping[int, int]) -> int:
    bits = 0
    for item in instrument.items:
        bits = (bits << ANSWER_BITS) | answers[item.number]
    return bits


def encode(
    instrument: Instrument, answers: Mapping[int, int], completed_at: datetime, keys: ResultCodeKeys
) -> str:
    """The grouped version-2 code for a complete set of answers (item number -> option index)."""
    layout = Layout.v2(instrument)
    day, minute = _day_and_minute(completed_at)
    header = (((VERSION << INSTRUMENT_BITS) | instrument.code_number) << DAY_BITS) | day
    answer_bits = ANSWER_BITS * len(instrument.items)
    plaintext = (minute << answer_bits) | _answer_bits(instrument, answers)
    tag = _tag(keys, layout, header, plaintext)
    sealed = plaintext ^ _keystream(keys, layout, header, tag)
    number = (((header << layout.sealed_bits) | sealed) << layout.tag_bits) | tag
    return _grouped(instrument, number, layout.symbols)


def encode_v1(
    instrument: Instrument, answers: Mapping[int, int], completed_at: datetime, keys: ResultCodeKeys
) -> str:
    """A version-1 code, answers in clear: no longer issued, kept to test that they restore."""
    layout = Layout.v1(instrument)
    day, minute = _day_and_minute(completed_at)
    payload = (((instrument.code_number << DAY_BITS) | day) << MINUTE_BITS) | minute
    payload = (payload << ANSWER_BITS * len(instrument.items)) | _answer_bits(instrument, answers)
    mac = _truncated_hmac(keys.v1_mac, _bytes(payload, layout.clear_bits), V1_MAC_BITS)
    padding = layout.symbols * 5 - layout.clear_bits - V1_MAC_BITS
    return _grouped(instrument, ((payload << V1_MAC_BITS) | mac) << padding, layout.symbols)


def normalise(text: str, instrument: Instrument) -> str:
    """Upper case, no spaces or hyphens, I/L/O read as 1/1/0, the prefix taken off."""
    compact = "".join(text.split()).replace("-", "").upper()
    prefix = instrument.id.upper()
    if compact.startswith(prefix):
        compact = compact[len(prefix) :]
    return compact.translate(READ_AS)


def _checked_number(text: str, instrument: Instrument) -> tuple[int, int]:
    """The code's data symbols as one number, and how many there were; typing mistakes refused."""
    lengths = {Layout.v2(instrument).symbols + 1, Layout.v1(instrument).symbols + 1}
    compact = normalise(text[:200], instrument)
    if not compact:
        raise ResultCodeError(N_("Please type or scan the result code."))
    if len(compact) not in lengths or any(symbol not in VALUES for symbol in compact):
        raise ResultCodeError(
            N_(
                "A result code has %(count)s letters and digits after \u201c%(prefix)s-\u201d. "
                "Please check it and try again."
            ),
            count=max(lengths),
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
    return number, len(symbols)


def _verified(expected: int, given: int, bits: int) -> None:
    if not hmac.compare_digest(_bytes(expected, bits), _bytes(given, bits)):
        raise ResultCodeError(ALTERED)


def _restored(instrument: Instrument, day: int, minute: int, answer_bits: int) -> RestoredResult:
    """Answers and time from a verified code, each checked against what the instrument allows."""
    answers = {}
    for item in reversed(instrument.items):
        answers[item.number] = answer_bits & (2**ANSWER_BITS - 1)
        answer_bits >>= ANSWER_BITS
        if answers[item.number] >= len(item.options):
            raise ResultCodeError(N_("This code does not hold a valid set of answers."))
    if minute >= 24 * 60:
        raise ResultCodeError(N_("This code does not hold a valid completion time."))
    completed_at = datetime.combine(EPOCH + timedelta(days=day), datetime.min.time(), UTC)
    return RestoredResult(
        answers=dict(sorted(answers.items())), completed_at=completed_at + timedelta(minutes=minute)
    )


def _decode_v2(number: int, instrument: Instrument, keys: ResultCodeKeys) -> RestoredResult:
    layout = Layout.v2(instrument)
    tag = number & (2**layout.tag_bits - 1)
    sealed = (number >> layout.tag_bits) & (2**layout.sealed_bits - 1)
    header = number >> (layout.tag_bits + layout.sealed_bits)
    if header >> (INSTRUMENT_BITS + DAY_BITS) != VERSION:
        raise ResultCodeError(OTHER_VERSION)
    plaintext = sealed ^ _keystream(keys, layout, header, tag)
    _verified(_tag(keys, layout, header, plaintext), tag, layout.tag_bits)
    if (header >> DAY_BITS) & (2**INSTRUMENT_BITS - 1) != instrument.code_number:
        raise ResultCodeError(OTHER_VERSION)
    answer_bits = ANSWER_BITS * len(instrument.items)
    return _restored(
        instrument,
        day=header & (2**DAY_BITS - 1),
        minute=plaintext >> answer_bits,
        answer_bits=plaintext & (2**answer_bits - 1),
    )


def _decode_v1(number: int, instrument: Instrument, keys: ResultCodeKeys) -> RestoredResult:
    layout = Layout.v1(instrument)
    number >>= layout.symbols * 5 - layout.clear_bits - V1_MAC_BITS
    payload, mac = number >> V1_MAC_BITS, number & (2**V1_MAC_BITS - 1)
    expected = _truncated_hmac(keys.v1_mac, _bytes(payload, layout.clear_bits), V1_MAC_BITS)
    _verified(expected, mac, V1_MAC_BITS)
    answer_bits = ANSWER_BITS * len(instrument.items)
    time_bits = payload >> answer_bits
    if time_bits >> (DAY_BITS + MINUTE_BITS) != instrument.code_number:
        raise ResultCodeError(OTHER_VERSION)
    return _restored(
        instrument,
        day=(time_bits >> MINUTE_BITS) & (2**DAY_BITS - 1),
        minute=time_bits & (2**MINUTE_BITS - 1),
        answer_bits=payload & (2**answer_bits - 1),
    )


def decode(
    text: str, instrument: Instrument, keys: ResultCodeKeys, accept_v1: bool = True
) -> RestoredResult:
    """Check and unpack a typed or scanned code; raise ResultCodeError saying what is wrong.

    ``accept_v1=False`` refuses version-1 codes: their 25-bit MAC is out of reach only where
    attempts are rate-limited (intake), and the server has issued only version 2 since.
    """
    number, symbols = _checked_number(text, instrument)
    if symbols == Layout.v2(instrument).symbols:
        return _decode_v2(number, instrument, keys)
    if not accept_v1:
        raise ResultCodeError(OTHER_VERSION)
    return _decode_v1(number, instrument, keys)


def check_age(restored: RestoredResult, now: datetime, max_age_days: int) -> None:
    """Refuse a code older than ``max_age_days`` (0: any age is accepted)."""
    if max_age_days and now - restored.completed_at > timedelta(days=max_age_days):
        raise ResultCodeError(
            N_(
                "This result code is more than %(days)s days old, and this service does not open "
                "codes that old. Please ask the patient to complete the screening again."
            ),
            days=max_age_days,
        )
