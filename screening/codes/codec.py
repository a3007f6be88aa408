"""Result codes' layouts and versions: encode a screening, decode and verify a typed code. Pure;
no Flask. This docstring is the format's specification.

A result code is a short, typeable code that carries a completed screening from one device to
another without the server storing anything. Codes are Crockford base-32 symbols after the
instrument's prefix, in groups of four, the last symbol a Luhn mod 32 check character
(``symbols.py``), so a mistyped symbol is caught before any key is used. The number of symbols
tells the versions apart.

Version 5 (issued today): ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX``, 25 symbols (125 bits) and
a check symbol: version 4's fields with the version 5, then 21 more sealed bits, least
significant last:

    3 bits   the language of the items' text (``LANGUAGE_NUMBERS``, 0 not recorded)
    16 bits  the top 16 bits of that text's fingerprint (``Instrument.fingerprint``, SHA-256
             of its normalised words; 0 when the language is not recorded, else refused)
    2 bits   the mode (``MODE_NUMBERS``: 0 not recorded, 1 self-completed online, 2 paper form
             entered by staff, 3 interview)

and a 41-bit tag. So intake, the PDFs and FHIR can name the very text the patient read (its
source, version and status) and say when that text is no longer installed here; the score
never depends on the text. Why 16 bits of fingerprint: they need not resist anyone (the tag
seals them; only this server makes codes), only tell apart the texts of one language this
server has had installed, one at a time, over the codes' lifetime. Two versions of a language
share 16 bits with probability 1 in 65,536, so even ten successive versions (45 pairs) collide
with probability under 1 in 1,400; the cost of a collision is naming a replaced text's
successor, never a different score. 16 bits is also what fits: 22 clear + 62 sealed + a tag of
at least 40 is 124 bits, 25 whole symbols, the tag taking the 1 bit left over; 20 bits would
cost a 27th symbol to type. Every new code is of version 5 whatever the language, the text
and the mode, so a code's length says nothing about them. A result restored from an older
code and sealed again records what the older code did not as not recorded (0), never guessed.
Codes of version 4 and older read the mode as not recorded: nothing proves how they were
given (only self-completed online existed, but a clinician may have typed a paper form's
answers into the patient pages).

Version 4 (issued before version 5): ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX-XX``, 21 symbols (105 bits)
and a check symbol: version 3's fields with the version 4, then 3 more sealed bits, the interface
language the patient read the page in (``LANGUAGE_NUMBERS``: 0 not recorded, 1 English,
2 Ukrainian, 3 Russian; 4-7 never issued, refused), and a 42-bit tag. So intake and the PDF can
say that the items were read in English by someone reading the page in Ukrainian. The language
a result page's code carries is the one the questionnaire was answered in: a result page shown
again in another language seals the same language again, and a result from an older code,
sealed again, records it as not recorded. A new interface language takes the next free number;
numbers are never reused.

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

Sealing (``seal.py``) is deterministic authenticated encryption in the manner of SIV (RFC 5297),
a pair of HKDF-derived keys for each version. Without the key, a code shows its version,
instrument and day and nothing else: a different answer, minute or context gives a different tag
and so an unrelated keystream. Any change to a code is refused.

A later version adds sealed fields with a new version number: ``Layout`` takes the sealed
fields' width, the tag takes what is left of whole symbols, and it must keep at least
``MIN_TAG_BITS``.

Version 1 (issued until 2026-11): ``EPDS-XXXX-XXXX-XXXX-XXXX``, 15 symbols (75 bits) and a
check symbol: 3 bits instrument, 15 bits day, 11 bits minute, 20 bits answers, all in clear,
then a 25-bit HMAC-SHA256 tag and 1 zero bit. Version-1 codes still restore.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from screening.codes import symbols
from screening.codes.errors import (
    EMPTY,
    NOT_VALID_ANSWERS,
    NOT_VALID_TIME,
    OTHER_VERSION,
    TOO_OLD,
    TYPING_MISTAKE,
    V1_NO_LONGER_ACCEPTED,
    WRONG_LENGTH,
    ResultCodeError,
)
from screening.codes.seal import (
    ResultCodeKeys,
    SealKey,
    Widths,
    as_bytes,
    check_mac,
    header_of,
    open_sealed,
    seal,
    truncated_hmac,
)
from screening.core.administration import Administration, ItemsText, Mode
from screening.core.context import NOT_ASKED, NOT_GIVEN, WEEKS, Context, Status
from screening.core.instrument import Instrument

EPOCH = date(2024, 1, 1)
INSTRUMENT_BITS = 3
DAY_BITS = 15
MINUTE_BITS = 11
ANSWER_BITS = 2
# Version 1.
V1_MAC_BITS = 25
# Versions 2 and later.
VERSION_BITS = 4
MIN_TAG_BITS = 40
VERSION = 5
# Version 3: the context number (see the module docstring), counted from these bases.
CONTEXT_BITS = 7
# Version 4: the interface language the patient read the page in. Numbers are never reused.
LANGUAGE_BITS = 3
NOT_RECORDED = 0
LANGUAGE_NUMBERS = {"en": 1, "uk": 2, "ru": 3}
# Version 5: the items' text (its language by LANGUAGE_NUMBERS, the top bits of its fingerprint;
# see the module docstring for why 16) and the mode. 0 is not recorded for both.
FINGERPRINT_BITS = 16
MODE_BITS = 2
MODE_NUMBERS = {Mode.ONLINE: 1, Mode.PAPER: 2, Mode.INTERVIEW: 3}
CONTEXT_BASE = {
    Status.NOT_GIVEN: 0,
    Status.PREFER_NOT_TO_SAY: 1,
    Status.PREGNANT: 2,  # 2 without weeks, 3-44 with 1-42
    Status.POSTPARTUM: 45,  # 45 without weeks, 46-98 with 0-52
    Status.NEITHER: 99,
    Status.LOSS: 100,  # added after 99 within the same 7 bits: every older code reads as before
}


@dataclass(frozen=True)
class RestoredResult:
    """What a verified code holds; codes older than version 3 were made before the question
    about pregnancy or birth was asked, older than version 4 do not record the interface
    language (``read_in`` None), and older than version 5 neither the items' language, their
    text's fingerprint (the code's ``FINGERPRINT_BITS`` of it, in hex) nor the mode (None)."""

    answers: dict[int, int]
    completed_at: datetime
    context: Context = NOT_GIVEN
    version: int = VERSION
    read_in: str | None = None
    items_language: str | None = None
    fingerprint: str | None = None
    mode: Mode | None = None

    def administration(self, installed: Iterable[Instrument]) -> Administration:
        """How the screening was given, the items' text found among the ``installed`` ones by
        its language and fingerprint (``ItemsText.installed`` None: no longer installed)."""
        items = None
        if self.items_language is not None and self.fingerprint is not None:
            found = [
                text
                for text in installed
                if text.language == self.items_language
                and text.fingerprint.startswith(self.fingerprint)
            ]
            items = (
                ItemsText.of(found[0])
                if found
                else ItemsText(self.items_language, self.fingerprint)
            )
        return Administration(self.read_in, items, self.mode)


@dataclass(frozen=True)
class Layout(Widths):
    """The bit widths of one code version for one instrument; see the module docstring."""

    symbols: int  # data symbols, without the check symbol

    @classmethod
    def sealed(cls, instrument: Instrument, extra_bits: int) -> Layout:
        """A sealed version: the clear header, the minute, the answers and ``extra_bits`` more
        sealed, then the tag in what is left of whole symbols."""
        clear = VERSION_BITS + INSTRUMENT_BITS + DAY_BITS
        sealed = MINUTE_BITS + ANSWER_BITS * len(instrument.items) + extra_bits
        count = -(-(clear + sealed + MIN_TAG_BITS) // symbols.SYMBOL_BITS)
        return cls(clear, sealed, count * symbols.SYMBOL_BITS - clear - sealed, count)

    @classmethod
    def v5(cls, instrument: Instrument) -> Layout:
        return cls.sealed(
            instrument,
            CONTEXT_BITS + 2 * LANGUAGE_BITS + FINGERPRINT_BITS + MODE_BITS,
        )

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
        return cls(clear, 0, V1_MAC_BITS, -(-(clear + V1_MAC_BITS) // symbols.SYMBOL_BITS))


SEALED_LAYOUTS = {2: Layout.v2, 3: Layout.v3, 4: Layout.v4, 5: Layout.v5}


@dataclass(frozen=True)
class Sealing:
    """A sealed version's number, layout and pair of keys."""

    version: int
    layout: Layout
    key: SealKey

    @classmethod
    def of(cls, version: int, instrument: Instrument, keys: ResultCodeKeys) -> Sealing:
        return cls(version, SEALED_LAYOUTS[version](instrument), keys.for_version(version))


def day_and_minute(completed_at: datetime) -> tuple[int, int]:
    moment = completed_at.astimezone(UTC)
    day = (moment.date() - EPOCH).days
    if not 0 <= day < 2**DAY_BITS:
        raise ValueError("completion date outside the range a result code can hold")
    return day, moment.hour * 60 + moment.minute


def answer_bits(instrument: Instrument, answers: Mapping[int, int]) -> int:
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


def fingerprint_number(items_language: str | None, fingerprint: str | None) -> int:
    """The top ``FINGERPRINT_BITS`` of a text's fingerprint (hex) as version 5 seals them; 0
    when the items' language is not recorded, as it then says nothing."""
    if not language_number(items_language) or not fingerprint:
        return 0
    return int(fingerprint[: FINGERPRINT_BITS // 4], 16)


def mode_number(mode: Mode | None) -> int:
    return MODE_NUMBERS[mode] if mode is not None else NOT_RECORDED


def mode_from_number(number: int) -> Mode | None:
    for mode, known in MODE_NUMBERS.items():
        if known == number:
            return mode
    return None


def sealed_code(instrument: Instrument, sealing: Sealing, day: int, plaintext: int) -> str:
    """The grouped code of a sealed version for this plaintext."""
    header = (((sealing.version << INSTRUMENT_BITS) | instrument.code_number) << DAY_BITS) | day
    number = seal(sealing.key, sealing.layout, header, plaintext)
    return symbols.written(instrument.id.upper(), number, sealing.layout.symbols)


def context_plaintext(
    instrument: Instrument, answers: Mapping[int, int], minute: int, context: Context
) -> int:
    """Version 3's sealed fields: the minute, the answers and the context."""
    width = ANSWER_BITS * len(instrument.items)
    plaintext = (minute << width) | answer_bits(instrument, answers)
    return (plaintext << CONTEXT_BITS) | context_number(context)


def interface_plaintext(
    instrument: Instrument,
    answers: Mapping[int, int],
    minute: int,
    context: Context,
    read_in: str | None,
) -> int:
    """Version 4's sealed fields: version 3's and the interface language."""
    plaintext = context_plaintext(instrument, answers, minute, context)
    return (plaintext << LANGUAGE_BITS) | language_number(read_in)


def encode(
    instrument: Instrument,
    answers: Mapping[int, int],
    completed_at: datetime,
    keys: ResultCodeKeys,
    context: Context = NOT_GIVEN,
    read_in: str | None = None,
    *,
    items_language: str | None = None,
    fingerprint: str | None = None,
    mode: Mode | None = Mode.ONLINE,
) -> str:
    """The grouped version-5 code for a complete set of answers (item number -> option index),
    the answer to the question before the items, the interface language the questionnaire was
    answered in, the language and fingerprint (hex) of the text the items were read in, and the
    mode. None records any of them as not recorded (a result restored from an older code)."""
    day, minute = day_and_minute(completed_at)
    plaintext = interface_plaintext(instrument, answers, minute, context, read_in)
    plaintext = (plaintext << LANGUAGE_BITS) | language_number(items_language)
    plaintext = (plaintext << FINGERPRINT_BITS) | fingerprint_number(items_language, fingerprint)
    plaintext = (plaintext << MODE_BITS) | mode_number(mode)
    return sealed_code(instrument, Sealing.of(VERSION, instrument, keys), day, plaintext)


def encode_administered(
    instrument: Instrument,
    answers: Mapping[int, int],
    completed_at: datetime,
    keys: ResultCodeKeys,
    context: Context,
    administration: Administration,
) -> str:
    """``encode`` with what ``administration`` records of how the screening was given."""
    items = administration.items
    return encode(
        instrument,
        answers,
        completed_at,
        keys,
        context,
        administration.read_in,
        items_language=items.language if items else None,
        fingerprint=items.fingerprint if items else None,
        mode=administration.mode,
    )


def code_pattern(instrument: Instrument) -> str:
    """What a code issued today looks like, e.g. ``EPDS-XXXX-XXXX-XXXX-XXXX-XXXX-X``."""
    return symbols.in_groups(
        instrument.id.upper(), "X" * (SEALED_LAYOUTS[VERSION](instrument).symbols + 1)
    )


def normalise(text: str, instrument: Instrument) -> str:
    """Upper case, no spaces or hyphens, I/L/O read as 1/1/0, the prefix taken off."""
    return symbols.normalise(text, instrument.id.upper())


def code_lengths(instrument: Instrument) -> dict[int, int]:
    """Symbols after the prefix, check symbol included -> the version of a code that long."""
    lengths = {
        layout(instrument).symbols + 1: version
        for version, layout in sorted(SEALED_LAYOUTS.items(), reverse=True)
    }
    return lengths | {Layout.v1(instrument).symbols + 1: 1}


def looks_like_a_code(compact: str, instrument: Instrument) -> bool:
    """Whether these symbols could be one whole code, as far as anyone can tell without the key:
    of a code's length, its check symbol right, and its first symbol holding that length's
    version (version 1: the instrument's number). Cuts a run of codes typed without prefixes
    where each one ends, rarely fooled by a check symbol right by chance."""
    version = code_lengths(instrument).get(len(compact))
    if version is None or any(symbol not in symbols.VALUES for symbol in compact):
        return False
    first = symbols.VALUES[compact[0]]
    # The first symbol's 5 bits: version 1's 3-bit instrument number and 2 bits of its day; a
    # sealed version's 4-bit version and the top bit of the instrument number.
    leading = first >> 2 if version == 1 else first >> 1
    expected = instrument.code_number if version == 1 else version
    return leading == expected and symbols.check_symbol_matches(compact)


def _checked_number(text: str, instrument: Instrument) -> tuple[int, int]:
    """The code's data symbols as one number, and its version; typing mistakes refused."""
    lengths = code_lengths(instrument)
    compact = normalise(text[:200], instrument)
    if not compact:
        raise ResultCodeError(EMPTY)
    if len(compact) not in lengths or any(symbol not in symbols.VALUES for symbol in compact):
        raise ResultCodeError(*WRONG_LENGTH, count=max(lengths), prefix=instrument.id.upper())
    if not symbols.check_symbol_matches(compact):
        raise ResultCodeError(TYPING_MISTAKE)
    return symbols.symbols_number(compact[:-1]), lengths[len(compact)]


def _restored(
    instrument: Instrument, day: int, minute: int, bits: int
) -> tuple[dict[int, int], datetime]:
    """Answers and time from a verified code, each checked against what the instrument allows."""
    answers = {}
    for item in reversed(instrument.items):
        answers[item.number] = bits & (2**ANSWER_BITS - 1)
        bits >>= ANSWER_BITS
        if answers[item.number] >= len(item.options):
            raise ResultCodeError(NOT_VALID_ANSWERS)
    if minute >= 24 * 60:
        raise ResultCodeError(NOT_VALID_TIME)
    completed_at = datetime.combine(EPOCH + timedelta(days=day), datetime.min.time(), UTC)
    return dict(sorted(answers.items())), completed_at + timedelta(minutes=minute)


def _opened(number: int, instrument: Instrument, sealing: Sealing) -> tuple[int, int]:
    """A sealed code's day and verified plaintext."""
    header = header_of(sealing.layout, number)
    if header >> (INSTRUMENT_BITS + DAY_BITS) != sealing.version:
        raise ResultCodeError(OTHER_VERSION)
    plaintext = open_sealed(sealing.key, sealing.layout, number)
    if (header >> DAY_BITS) & (2**INSTRUMENT_BITS - 1) != instrument.code_number:
        raise ResultCodeError(OTHER_VERSION)
    return header & (2**DAY_BITS - 1), plaintext


def _decode_sealed(
    number: int, version: int, instrument: Instrument, keys: ResultCodeKeys
) -> RestoredResult:
    day, plaintext = _opened(number, instrument, Sealing.of(version, instrument, keys))
    context, read_in = NOT_ASKED, None
    items_language, fingerprint, mode = None, None, None
    if version == 5:
        mode = mode_from_number(plaintext & (2**MODE_BITS - 1))
        plaintext >>= MODE_BITS
        fingerprint_bits = plaintext & (2**FINGERPRINT_BITS - 1)
        plaintext >>= FINGERPRINT_BITS
        items_language = language_from_number(plaintext & (2**LANGUAGE_BITS - 1))
        plaintext >>= LANGUAGE_BITS
        if items_language is None and fingerprint_bits:
            raise ResultCodeError(NOT_VALID_ANSWERS)  # a fingerprint of no language: never issued
        if items_language is not None:
            fingerprint = f"{fingerprint_bits:0{FINGERPRINT_BITS // 4}x}"
    if version >= 4:
        read_in = language_from_number(plaintext & (2**LANGUAGE_BITS - 1))
        plaintext >>= LANGUAGE_BITS
    if version >= 3:
        context = context_from_number(plaintext & (2**CONTEXT_BITS - 1))
        plaintext >>= CONTEXT_BITS
    width = ANSWER_BITS * len(instrument.items)
    answers, completed_at = _restored(
        instrument, day, plaintext >> width, plaintext & (2**width - 1)
    )
    return RestoredResult(
        answers, completed_at, context, version, read_in, items_language, fingerprint, mode
    )


def v1_mac(instrument: Instrument, keys: ResultCodeKeys, payload: int) -> int:
    """Version 1's truncated HMAC over its clear payload."""
    return truncated_hmac(
        keys.v1_mac, as_bytes(payload, Layout.v1(instrument).clear_bits), V1_MAC_BITS
    )


def _decode_v1(number: int, instrument: Instrument, keys: ResultCodeKeys) -> RestoredResult:
    layout = Layout.v1(instrument)
    number >>= layout.symbols * symbols.SYMBOL_BITS - layout.clear_bits - V1_MAC_BITS
    payload, mac = number >> V1_MAC_BITS, number & (2**V1_MAC_BITS - 1)
    check_mac(v1_mac(instrument, keys, payload), mac, V1_MAC_BITS)
    width = ANSWER_BITS * len(instrument.items)
    time_bits = payload >> width
    if time_bits >> (DAY_BITS + MINUTE_BITS) != instrument.code_number:
        raise ResultCodeError(OTHER_VERSION)
    answers, completed_at = _restored(
        instrument,
        day=(time_bits >> MINUTE_BITS) & (2**DAY_BITS - 1),
        minute=time_bits & (2**MINUTE_BITS - 1),
        bits=payload & (2**width - 1),
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
        raise ResultCodeError(V1_NO_LONGER_ACCEPTED)
    if max_age_days and now - restored.completed_at > timedelta(days=max_age_days):
        raise ResultCodeError(TOO_OLD, days=max_age_days)


def verified_code(
    text: str,
    instrument: Instrument,
    keys: ResultCodeKeys,
    now: datetime,
    max_age_days: int,
    v1_until: date | None = None,
    accept_v1: bool = True,
) -> RestoredResult:
    """A typed code decoded, verified and checked for age in one step (``decode`` then
    ``check_age``); every refusal is a ResultCodeError saying why."""
    restored = decode(text, instrument, keys, accept_v1)
    check_age(restored, now, max_age_days, v1_until)
    return restored
