"""Result codes: a short, typeable code that carries a completed screening from one device to
another without the server storing anything. Pure; no Flask.

Codes are Crockford base-32 symbols after the instrument's prefix, in groups of four, the last
symbol a Luhn mod 32 check character, so a mistyped symbol is caught before any key is used.
Crockford's alphabet has no I, L, O or U; on input I and L read as 1, O as 0, and spaces,
hyphens and case do not matter. The number of symbols tells the versions apart.

Version 4 (issued today): ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX-XX``, 21 symbols (105 bits) and a
check symbol: version 3's fields with the version 4, then 3 more sealed bits, the interface
language the patient read the page in (``LANGUAGE_NUMBERS``: 0 not recorded, 1 English,
2 Ukrainian, 3 Russian; 4-7 never issued, refused), and a 42-bit tag. So intake and the PDF can
say that the items were read in English by someone reading the page in Ukrainian. Every new
code is of version 4, in every language, so a code's length says nothing about the language
or the answers. The language a result page's code carries is the one the questionnaire was
answered in: a result page shown again in another language seals the same language again, and
a result from an older code, sealed again, records it as not recorded. A new interface
language takes the next free number; numbers are never reused.

Version 3 (issued before version 4): ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX-X``, 20 symbols (100 bits)
and a check symbol. Most significant first:

    in clear  4 bits   the format version (3)
              3 bits   the instrument's code number (EPDS version A is 1)
              15 bits  the day completed, counted from 2024-01-01 (UTC)
    sealed    11 bits  the minute of that day
              20 bits  the ten answers, 2 bits each: the option index, top option 0
              7 bits   the question asked before the items (screening/core/context.py), one number:
                         0      not given
                         1      prefer not to say
                         2      pregnant, weeks not given
                         3-44   pregnant, 1-42 weeks (2 + weeks)
                         45     gave birth in the past year, weeks not given
                         46-98  gave birth 0-52 weeks ago (46 + weeks)
                         99     neither pregnant nor a birth in the past year
                         100    a pregnancy ended, or a baby died, in the past year (issued
                                since 2026-12; older servers refuse it as never issued)
                         101-127 never issued, refused
    tag       40 bits  the rest: the synthetic IV (MIN_TAG_BITS)

Every version-3 code had that field, with or without an answer to that question, so a code's
length never told whether it was answered. One number for the whole answer needs 7 bits (100 values)
where a status and a weeks field would take 8; 7 are the 5 bits of one more symbol and the 2
that version 2's tag had above the minimum.

Version 2 (issued before version 3): ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX``, 19 symbols (95 bits)
and a check symbol: the same clear header with version 2, 31 sealed bits (the minute and the
answers, no context) and a 42-bit tag. Version-2 codes still restore; their context reads
"not asked" (``context.NOT_ASKED``), and sealed again as version 3 it becomes "not given".

Sealing is deterministic authenticated encryption in the manner of SIV (RFC 5297): the tag is
HMAC-SHA256 over the clear header and the sealed plaintext under one key, truncated; the
keystream is HMAC-SHA256 over the header and the tag under a second key, and is XORed onto the
plaintext. The keys are derived from the app secret with HKDF-SHA256 (RFC 5869), a pair for
each version. Without the key, a code shows its version, instrument and day and nothing else: a
different answer, minute or context gives a different tag and so an unrelated keystream.
Opening a code recomputes the tag from the decrypted plaintext and compares it in constant
time, so any change to a code is refused.

A later version adds sealed fields with a new version number: ``Layout`` takes the sealed
fields' width, the tag takes what is left of whole symbols, and it must keep at least
``MIN_TAG_BITS``.

Version 1 (issued until 2026-11): ``EPDS-XXXX-XXXX-XXXX-XXXX``, 15 symbols (75 bits) and a
check symbol: 3 bits instrument, 15 bits day, 11 bits minute, 20 bits answers, all in clear,
then a 25-bit HMAC-SHA256 tag and 1 zero bit. Version-1 codes still restore.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from screening.core.context import NOT_ASKED, NOT_GIVEN, WEEKS, Context, Status
from screening.core.instrument import Instrument
from screening.core.marks import N_, NP_

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
# Versions 2 and 3.
VERSION_BITS = 4
MIN_TAG_BITS = 40
HKDF_SALT = b"screening result codes"
# Version 3: the context number (see the module docstring), counted from these bases.
VERSION = 4
CONTEXT_BITS = 7
# Version 4: the interface language the patient read the page in. Numbers are never reused.
LANGUAGE_BITS = 3
NOT_RECORDED = 0
LANGUAGE_NUMBERS = {"en": 1, "uk": 2, "ru": 3}
CONTEXT_BASE = {
    Status.NOT_GIVEN: 0,
    Status.PREFER_NOT_TO_SAY: 1,
    Status.PREGNANT: 2,  # 2 without weeks, 3-44 with 1-42
    Status.POSTPARTUM: 45,  # 45 without weeks, 46-98 with 0-52
    Status.NEITHER: 99,
    Status.LOSS: 100,  # added after 99 within the same 7 bits: every older code reads as before
}


class ResultCodeError(ValueError):
    """A code that cannot be restored. ``reason`` says why in words for the person typing it,
    with %(name)s placeholders filled from ``params``; with ``plural``, a message whose words
    follow ``params["count"]`` (Ukrainian and Russian have three forms)."""

    def __init__(self, reason: str, plural: str | None = None, **params: object) -> None:
        self.reason = reason
        self.plural = plural
        self.params = params
        english = plural if plural is not None and params.get("count") != 1 else reason
        super().__init__(english % params if params else english)

    def in_words(self, translate: Callable[..., str], translate_plural: Callable[..., str]) -> str:
        return reason_in_words(self.reason, self.plural, self.params, translate, translate_plural)


def reason_in_words(
    reason: str,
    plural: str | None,
    params: Mapping[str, object],
    translate: Callable[..., str],
    translate_plural: Callable[..., str],
) -> str:
    """A refusal's reason translated, in the plural form its count calls for if it has one."""
    if plural is None:
        return translate(reason, **params)
    return translate_plural(reason, plural, params["count"], **params)


WRONG_LENGTH = NP_(
    "After \u201c%(prefix)s-\u201d a result code has %(count)s letter or digit.",
    "After \u201c%(prefix)s-\u201d a result code has %(count)s letters and digits.",
)


ALTERED = N_(
    "This code was not issued by this service, or it has been changed. "
    "Please check it with the patient."
)
OTHER_VERSION = N_("This code is for a different questionnaire or version.")
NOT_VALID_ANSWERS = N_("This code does not hold a valid set of answers.")


@dataclass(frozen=True)
class RestoredResult:
    """What a verified code holds; codes older than version 3 were made before the question
    about pregnancy or birth was asked, and older than version 4 do not record the interface
    language (``read_in`` None)."""

    answers: dict[int, int]
    completed_at: datetime
    context: Context = NOT_GIVEN
    version: int = VERSION
    read_in: str | None = None


@dataclass(frozen=True)
class ResultCodeKeys:
    """Keys for result codes only, so the app secret itself never signs anything here."""

    v1_mac: bytes
    v2_tag: bytes
    v2_stream: bytes
    v3_tag: bytes
    v3_stream: bytes
    v4_tag: bytes
    v4_stream: bytes


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
    # Version 3 has keys of its own rather than version 2's with the version in the header:
    # the header already differs, but separate keys keep each version's tags and keystreams
    # independent whatever a later layout puts in its header, for two HMACs at start-up.
    return ResultCodeKeys(
        v1_mac=hmac.new(raw, KEY_PURPOSE, hashlib.sha256).digest(),
        v2_tag=hkdf_sha256(raw, b"result code v2 tag"),
        v2_stream=hkdf_sha256(raw, b"result code v2 keystream"),
        v3_tag=hkdf_sha256(raw, b"result code v3 tag"),
        v3_stream=hkdf_sha256(raw, b"result code v3 keystream"),
        v4_tag=hkdf_sha256(raw, b"result code v4 tag"),
        v4_stream=hkdf_sha256(raw, b"result code v4 keystream"),
    )


@dataclass(frozen=True)
class Layout:
    """The bit widths of one code version for one instrument; see the module docstring."""

    clear_bits: int
    sealed_bits: int
    tag_bits: int
    symbols: int  # data symbols, without the check symbol

    @classmethod
    def sealed(cls, instrument: Instrument, extra_bits: int) -> Layout:
        """A sealed version: the clear header, the minute, the answers and ``extra_bits`` more
        sealed, then the tag in what is left of whole symbols."""
        clear = VERSION_BITS + INSTRUMENT_BITS + DAY_BITS
        sealed = MINUTE_BITS + ANSWER_BITS * len(instrument.items) + extra_bits
        symbols = -(-(clear + sealed + MIN_TAG_BITS) // 5)
        return cls(clear, sealed, symbols * 5 - clear - sealed, symbols)

    @classmethod
    def v4(cls, instrument: Instrument) -> Layout:
        return cls.sealed(instrument, CONTEXT_BITS + LANGUAGE_BITS)

    @classmethod
    def v3(cls, instrument: Instrument) -> Layout:
        return cls.sealed(instrument, CONTEXT_BITS)

    @classmethod
    def v2(cls, instrument: Instrument) -> Layout:
        return cls.sealed(instrument, 0)

    @classmethod
    def v1(cls, instrument: Instrument) -> Layout:
        clear = INSTRUMENT_BITS + DAY_BITS + MINUTE_BITS + ANSWER_BITS * len(instrument.items)
        return cls(clear, 0, V1_MAC_BITS, -(-(clear + V1_MAC_BITS) // 5))


@dataclass(frozen=True)
class Sealing:
    """A sealed version's number, layout and pair of keys."""

    version: int
    layout: Layout
    tag_key: bytes
    stream_key: bytes

    @classmethod
    def of(cls, version: int, instrument: Instrument, keys: ResultCodeKeys) -> Sealing:
        if version == 2:
            return cls(2, Layout.v2(instrument), keys.v2_tag, keys.v2_stream)
        if version == 3:
            return cls(3, Layout.v3(instrument), keys.v3_tag, keys.v3_stream)
        return cls(4, Layout.v4(instrument), keys.v4_tag, keys.v4_stream)


def _bytes(number: int, bits: int) -> bytes:
    return number.to_bytes(-(-bits // 8), "big")


def _truncated_hmac(key: bytes, message: bytes, bits: int) -> int:
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") >> (256 - bits)


def _tag(sealing: Sealing, header: int, plaintext: int) -> int:
    layout = sealing.layout
    message = _bytes(
        (header << layout.sealed_bits) | plaintext, layout.clear_bits + layout.sealed_bits
    )
    return _truncated_hmac(sealing.tag_key, message, layout.tag_bits)


def _keystream(sealing: Sealing, header: int, tag: int) -> int:
    layout = sealing.layout
    message = _bytes(header, layout.clear_bits) + _bytes(tag, layout.tag_bits)
    return _truncated_hmac(sealing.stream_key, message, layout.sealed_bits)


def luhn_check_symbol(symbols: str) -> str:
    """Luhn mod 32: catches every single mistyped symbol and most swapped neighbours."""
    total = 0
    for position, symbol in enumerate(reversed(symbols)):
        value = VALUES[symbol] * (2 if position % 2 == 0 else 1)
        total += value // 32 + value % 32
    return ALPHABET[(32 - total % 32) % 32]


def check_symbol_matches(compact: str) -> bool:
    """Whether the last of these alphabet symbols is the Luhn check of the ones before it."""
    return luhn_check_symbol(compact[:-1]) == compact[-1]


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


def context_number(context: Context) -> int:
    """The context as version 3 seals it (the table in the module docstring). A result from an
    older code, sealed again, records the question it was never asked as not given."""
    if context == NOT_ASKED:
        return CONTEXT_BASE[Status.NOT_GIVEN]
    base = CONTEXT_BASE[context.status]
    if context.weeks is None:
        return base
    return base + 1 + context.weeks - WEEKS[context.status].start


def context_from_number(number: int) -> Context:
    """The context a verified version-3 code holds; a number never issued is refused."""
    for status, base in reversed(CONTEXT_BASE.items()):
        if number >= base:
            if number == base:
                return Context(status)
            weeks = WEEKS.get(status, range(0))
            if number - base - 1 < len(weeks):
                return Context(status, weeks.start + number - base - 1)
            break
    raise ResultCodeError(NOT_VALID_ANSWERS)


def language_number(read_in: str | None) -> int:
    """The interface language as version 4 seals it; one the table does not know (or none) is
    sealed as not recorded rather than guessed."""
    return LANGUAGE_NUMBERS.get(read_in or "", NOT_RECORDED)


def language_from_number(number: int) -> str | None:
    """The language a verified version-4 code holds (None: not recorded); a number never issued
    is refused."""
    if number == NOT_RECORDED:
        return None
    for language, known in LANGUAGE_NUMBERS.items():
        if known == number:
            return language
    raise ResultCodeError(NOT_VALID_ANSWERS)


def _sealed_code(instrument: Instrument, sealing: Sealing, day: int, plaintext: int) -> str:
    layout = sealing.layout
    header = (((sealing.version << INSTRUMENT_BITS) | instrument.code_number) << DAY_BITS) | day
    tag = _tag(sealing, header, plaintext)
    sealed = plaintext ^ _keystream(sealing, header, tag)
    number = (((header << layout.sealed_bits) | sealed) << layout.tag_bits) | tag
    return _grouped(instrument, number, layout.symbols)


def _context_plaintext(
    instrument: Instrument, answers: Mapping[int, int], minute: int, context: Context
) -> int:
    """Version 3's sealed fields: the minute, the answers and the context."""
    answer_bits = ANSWER_BITS * len(instrument.items)
    plaintext = (minute << answer_bits) | _answer_bits(instrument, answers)
    return (plaintext << CONTEXT_BITS) | context_number(context)


def encode(
    instrument: Instrument,
    answers: Mapping[int, int],
    completed_at: datetime,
    keys: ResultCodeKeys,
    context: Context = NOT_GIVEN,
    read_in: str | None = None,
) -> str:
    """The grouped version-4 code for a complete set of answers (item number -> option index),
    the answer to the question before the items and the interface language the questionnaire
    was answered in (None: not recorded)."""
    day, minute = _day_and_minute(completed_at)
    plaintext = _context_plaintext(instrument, answers, minute, context)
    plaintext = (plaintext << LANGUAGE_BITS) | language_number(read_in)
    return _sealed_code(instrument, Sealing.of(4, instrument, keys), day, plaintext)


def encode_v3(
    instrument: Instrument,
    answers: Mapping[int, int],
    completed_at: datetime,
    keys: ResultCodeKeys,
    context: Context = NOT_GIVEN,
) -> str:
    """A version-3 code, without the language: no longer issued, kept to test that they
    restore."""
    day, minute = _day_and_minute(completed_at)
    plaintext = _context_plaintext(instrument, answers, minute, context)
    return _sealed_code(instrument, Sealing.of(3, instrument, keys), day, plaintext)


def encode_v2(
    instrument: Instrument, answers: Mapping[int, int], completed_at: datetime, keys: ResultCodeKeys
) -> str:
    """A version-2 code, without the context: no longer issued, kept to test that they
    restore."""
    day, minute = _day_and_minute(completed_at)
    plaintext = (minute << ANSWER_BITS * len(instrument.items)) | _answer_bits(instrument, answers)
    return _sealed_code(instrument, Sealing.of(2, instrument, keys), day, plaintext)


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


def code_pattern(instrument: Instrument) -> str:
    """What a code issued today looks like, e.g. ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX-X``."""
    symbols = "X" * (Layout.v4(instrument).symbols + 1)
    groups = (symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))
    return "-".join([instrument.id.upper(), *groups])


def normalise(text: str, instrument: Instrument) -> str:
    """Upper case, no spaces or hyphens, I/L/O read as 1/1/0, the prefix taken off."""
    compact = "".join(text.split()).replace("-", "").upper()
    prefix = instrument.id.upper()
    if compact.startswith(prefix):
        compact = compact[len(prefix) :]
    return compact.translate(READ_AS)


def code_lengths(instrument: Instrument) -> dict[int, int]:
    """Symbols after the prefix, check symbol included -> the version of a code that long."""
    return {
        Layout.v4(instrument).symbols + 1: 4,
        Layout.v3(instrument).symbols + 1: 3,
        Layout.v2(instrument).symbols + 1: 2,
        Layout.v1(instrument).symbols + 1: 1,
    }


def _checked_number(text: str, instrument: Instrument) -> tuple[int, int]:
    """The code's data symbols as one number, and its version; typing mistakes refused."""
    lengths = code_lengths(instrument)
    compact = normalise(text[:200], instrument)
    if not compact:
        raise ResultCodeError(N_("Please type or scan the result code."))
    if len(compact) not in lengths or any(symbol not in VALUES for symbol in compact):
        raise ResultCodeError(*WRONG_LENGTH, count=max(lengths), prefix=instrument.id.upper())
    if not check_symbol_matches(compact):
        raise ResultCodeError(
            N_(
                "This code has a typing mistake. Please compare it with the code on the "
                "patient's screen or PDF, letter by letter."
            )
        )
    number = 0
    for symbol in compact[:-1]:
        number = (number << 5) | VALUES[symbol]
    return number, lengths[len(compact)]


def _verified(expected: int, given: int, bits: int) -> None:
    if not hmac.compare_digest(_bytes(expected, bits), _bytes(given, bits)):
        raise ResultCodeError(ALTERED)


def _restored(
    instrument: Instrument, day: int, minute: int, answer_bits: int
) -> tuple[dict[int, int], datetime]:
    """Answers and time from a verified code, each checked against what the instrument allows."""
    answers = {}
    for item in reversed(instrument.items):
        answers[item.number] = answer_bits & (2**ANSWER_BITS - 1)
        answer_bits >>= ANSWER_BITS
        if answers[item.number] >= len(item.options):
            raise ResultCodeError(NOT_VALID_ANSWERS)
    if minute >= 24 * 60:
        raise ResultCodeError(N_("This code does not hold a valid completion time."))
    completed_at = datetime.combine(EPOCH + timedelta(days=day), datetime.min.time(), UTC)
    return dict(sorted(answers.items())), completed_at + timedelta(minutes=minute)


def _opened(number: int, instrument: Instrument, sealing: Sealing) -> tuple[int, int]:
    """A sealed code's day and verified plaintext."""
    layout = sealing.layout
    tag = number & (2**layout.tag_bits - 1)
    sealed = (number >> layout.tag_bits) & (2**layout.sealed_bits - 1)
    header = number >> (layout.tag_bits + layout.sealed_bits)
    if header >> (INSTRUMENT_BITS + DAY_BITS) != sealing.version:
        raise ResultCodeError(OTHER_VERSION)
    plaintext = sealed ^ _keystream(sealing, header, tag)
    _verified(_tag(sealing, header, plaintext), tag, layout.tag_bits)
    if (header >> DAY_BITS) & (2**INSTRUMENT_BITS - 1) != instrument.code_number:
        raise ResultCodeError(OTHER_VERSION)
    return header & (2**DAY_BITS - 1), plaintext


def _decode_sealed(
    number: int, version: int, instrument: Instrument, keys: ResultCodeKeys
) -> RestoredResult:
    day, plaintext = _opened(number, instrument, Sealing.of(version, instrument, keys))
    context, read_in = NOT_ASKED, None
    if version == 4:
        read_in = language_from_number(plaintext & (2**LANGUAGE_BITS - 1))
        plaintext >>= LANGUAGE_BITS
    if version >= 3:
        context = context_from_number(plaintext & (2**CONTEXT_BITS - 1))
        plaintext >>= CONTEXT_BITS
    answer_bits = ANSWER_BITS * len(instrument.items)
    answers, completed_at = _restored(
        instrument, day, plaintext >> answer_bits, plaintext & (2**answer_bits - 1)
    )
    return RestoredResult(answers, completed_at, context, version, read_in)


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
    answers, completed_at = _restored(
        instrument,
        day=(time_bits >> MINUTE_BITS) & (2**DAY_BITS - 1),
        minute=time_bits & (2**MINUTE_BITS - 1),
        answer_bits=payload & (2**answer_bits - 1),
    )
    return RestoredResult(answers, completed_at, NOT_ASKED, 1)


def decode(
    text: str, instrument: Instrument, keys: ResultCodeKeys, accept_v1: bool = True
) -> RestoredResult:
    """Check and unpack a typed or scanned code; raise ResultCodeError saying what is wrong.

    ``accept_v1=False`` refuses version-1 codes: their 25-bit MAC is out of reach only where
    attempts are rate-limited (intake), and the server has issued only sealed codes since.
    """
    number, version = _checked_number(text, instrument)
    if version > 1:
        return _decode_sealed(number, version, instrument, keys)
    if not accept_v1:
        raise ResultCodeError(OTHER_VERSION)
    return _decode_v1(number, instrument, keys)


def check_age(
    restored: RestoredResult, now: datetime, max_age_days: int, v1_until: date | None = None
) -> None:
    """Refuse a code older than ``max_age_days`` (0: any age is accepted), and a version-1 code
    after ``v1_until`` (None: no end)."""
    if restored.version == 1 and v1_until is not None and now.date() > v1_until:
        raise ResultCodeError(
            N_(
                "Codes of this older format (16 symbols) are no longer accepted: they did not "
                "protect the answers well enough. Please ask the patient to complete the "
                "screening again."
            )
        )
    if max_age_days and now - restored.completed_at > timedelta(days=max_age_days):
        raise ResultCodeError(
            N_(
                "This result code is more than %(days)s days old, and this service does not open "
                "codes that old. Please ask the patient to complete the screening again."
            ),
            days=max_age_days,
        )
