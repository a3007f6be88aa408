"""Result codes: every answer vector, every answer to the question before the items, every
interface language, every items' text and every mode round-trips, any change to a code is
refused, the answers are sealed (no answer bit visible without the key), and codes of versions 1
to 4 still restore."""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.codes.codec import (
    CONTEXT_BITS,
    FINGERPRINT_BITS,
    LANGUAGE_BITS,
    LANGUAGE_NUMBERS,
    MODE_BITS,
    MODE_NUMBERS,
    Layout,
    Sealing,
    check_age,
    context_from_number,
    context_number,
    decode,
    encode,
    language_from_number,
    language_number,
    normalise,
    sealed_code,
    verified_code,
)
from screening.codes.errors import ResultCodeError
from screening.codes.seal import derive_key, hkdf_sha256
from screening.codes.symbols import ALPHABET, VALUES, luhn_check_symbol
from screening.core.administration import Mode
from screening.core.context import NOT_ASKED, NOT_GIVEN, Context, Status, every_context
from tools.old_codes import encode_v1, encode_v2, encode_v3, encode_v4

KEY = derive_key("one secret")
OTHER_KEY = derive_key("another secret")
SYMBOL = "[0-9A-HJKMNP-TV-Z]"
CODE_FORMAT = re.compile(rf"EPDS-{SYMBOL}{{4}}(-{SYMBOL}{{4}}){{5}}-{SYMBOL}{{2}}")
V4_FORMAT = re.compile(rf"EPDS-{SYMBOL}{{4}}(-{SYMBOL}{{4}}){{4}}-{SYMBOL}{{2}}")
V3_FORMAT = re.compile(rf"EPDS-{SYMBOL}{{4}}(-{SYMBOL}{{4}}){{4}}-{SYMBOL}")
V2_FORMAT = re.compile(rf"EPDS-{SYMBOL}{{4}}(-{SYMBOL}{{4}}){{4}}")

answer_vectors = st.fixed_dictionaries({n: st.integers(0, 3) for n in range(1, 11)})
minutes = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(second=0, microsecond=0))
# Every answer the question can record (99 of them): not given, prefer not to say, and each
# status with no weeks and with every week, both ends of each range included.
contexts = st.sampled_from(list(every_context()))
languages = st.sampled_from([None, *LANGUAGE_NUMBERS])
fingerprints = st.text("0123456789abcdef", min_size=64, max_size=64)
modes = st.sampled_from([None, *Mode])


@settings(max_examples=300, deadline=None)
@given(answers=answer_vectors, completed_at=minutes, context=contexts, read_in=languages)
def test_every_valid_version_4_vector_round_trips(epds, answers, completed_at, context, read_in):
    code = encode_v4(epds, answers, completed_at, KEY, context, read_in)
    assert V4_FORMAT.fullmatch(code), code
    restored = decode(code, epds, KEY)
    assert restored.answers == answers
    assert restored.completed_at == completed_at
    assert restored.context == context
    assert restored.read_in == read_in
    assert restored.version == 4
    assert (restored.items_language, restored.fingerprint, restored.mode) == (None, None, None)


@settings(max_examples=300, deadline=None)
@given(
    answers=answer_vectors,
    completed_at=minutes,
    context=contexts,
    read_in=languages,
    items_language=languages,
    fingerprint=fingerprints,
    mode=modes,
)
def test_every_valid_vector_round_trips(
    epds, answers, completed_at, context, read_in, items_language, fingerprint, mode
):
    code = encode(
        epds,
        answers,
        completed_at,
        KEY,
        context,
        read_in,
        items_language=items_language,
        fingerprint=fingerprint,
        mode=mode,
    )
    assert CODE_FORMAT.fullmatch(code), code
    restored = decode(code, epds, KEY)
    assert restored.answers == answers
    assert restored.completed_at == completed_at
    assert restored.context == context
    assert restored.read_in == read_in
    assert restored.version == 5
    assert restored.items_language == items_language
    assert restored.mode == mode
    # The top 16 bits of the fingerprint, as 4 hex digits; nothing without a language.
    assert restored.fingerprint == (fingerprint[:4] if items_language else None)


def test_the_mode_defaults_to_self_completed_online(epds):
    code = encode(epds, dict.fromkeys(range(1, 11), 0), datetime(2026, 12, 4, tzinfo=UTC), KEY)
    assert decode(code, epds, KEY).mode is Mode.ONLINE


def test_every_text_and_mode_gives_a_code_of_the_same_length(epds):
    moment = datetime(2026, 11, 28, 23, 59, tzinfo=UTC)
    answers = {n: n % 4 for n in range(1, 11)}
    codes = [
        encode(
            epds,
            answers,
            moment,
            KEY,
            NOT_GIVEN,
            read_in,
            items_language=items,
            fingerprint=fingerprint,
            mode=mode,
        )
        for read_in in [None, *LANGUAGE_NUMBERS]
        for items in [None, *LANGUAGE_NUMBERS]
        for fingerprint in ["0" * 64, "f" * 64, epds.fingerprint]
        for mode in [None, *Mode]
    ]
    assert {len(code) for code in codes} == {len("EPDS-") + 26 + 6}
    # Without an items language the fingerprint is not sealed (0): 4 * 3 * 3 * 4 + 4 * 4.
    assert len(set(codes)) == 160


def test_the_mode_numbers_are_those_the_format_documents():
    assert MODE_NUMBERS == {Mode.ONLINE: 1, Mode.PAPER: 2, Mode.INTERVIEW: 3}
    assert set(MODE_NUMBERS) == set(Mode) and len(Mode) + 1 == 2**MODE_BITS  # 0: not recorded


def version_5_plaintext(items: int, fingerprint: int, mode: int) -> int:
    """A version-5 plaintext with the answers 7, the minute 0 and the other fields 0."""
    plaintext = (7 << 20 << CONTEXT_BITS << LANGUAGE_BITS << LANGUAGE_BITS) | items
    return (((plaintext << FINGERPRINT_BITS) | fingerprint) << MODE_BITS) | mode


@pytest.mark.parametrize("number", range(max(LANGUAGE_NUMBERS.values()) + 1, 2**LANGUAGE_BITS))
def test_an_items_language_never_issued_is_refused_even_under_a_valid_tag(epds, number):
    code = sealed_code(epds, Sealing.of(5, epds, KEY), 1000, version_5_plaintext(number, 0, 1))
    with pytest.raises(ResultCodeError, match="valid set of answers"):
        decode(code, epds, KEY)


def test_a_fingerprint_without_a_language_is_refused_even_under_a_valid_tag(epds):
    code = sealed_code(epds, Sealing.of(5, epds, KEY), 1000, version_5_plaintext(0, 0x2CBF, 1))
    with pytest.raises(ResultCodeError, match="valid set of answers"):
        decode(code, epds, KEY)
    fine = sealed_code(epds, Sealing.of(5, epds, KEY), 1000, version_5_plaintext(1, 0x2CBF, 1))
    assert (decode(fine, epds, KEY).items_language, decode(fine, epds, KEY).fingerprint) == (
        "en",
        "2cbf",
    )


def test_every_interface_language_has_a_number_and_codes_of_one_length():
    from screening.web.i18n import LANGUAGES

    assert set(LANGUAGES) <= set(LANGUAGE_NUMBERS)
    assert len(set(LANGUAGE_NUMBERS.values())) == len(LANGUAGE_NUMBERS)
    assert 0 not in LANGUAGE_NUMBERS.values()  # 0: not recorded
    assert language_number("xx") == language_number(None) == 0


def test_every_language_gives_a_code_of_the_same_length(epds):
    moment = datetime(2026, 11, 28, 23, 59, tzinfo=UTC)
    answers = {n: n % 4 for n in range(1, 11)}
    codes = {
        read_in: encode(
            epds,
            answers,
            moment,
            KEY,
            NOT_GIVEN,
            read_in,
            items_language="en",
            fingerprint=epds.fingerprint,
        )
        for read_in in [None, *LANGUAGE_NUMBERS]
    }
    assert len({len(code) for code in codes.values()}) == 1
    assert {decode(code, epds, KEY).read_in for code in codes.values()} == set(codes)


@pytest.mark.parametrize("number", range(max(LANGUAGE_NUMBERS.values()) + 1, 2**LANGUAGE_BITS))
def test_a_language_number_never_issued_is_refused_even_under_a_valid_tag(epds, number):
    plaintext = (7 << 20 << CONTEXT_BITS << LANGUAGE_BITS) | number
    code = sealed_code(epds, Sealing.of(4, epds, KEY), 1000, plaintext)
    with pytest.raises(ResultCodeError, match="valid set of answers"):
        decode(code, epds, KEY)
    with pytest.raises(ResultCodeError):
        language_from_number(number)


def test_every_context_round_trips_with_the_same_answers_and_length(epds):
    answers = {n: n % 4 for n in range(1, 11)}
    moment = datetime(2026, 11, 28, 23, 59, tzinfo=UTC)
    codes = {context: encode(epds, answers, moment, KEY, context) for context in every_context()}
    assert len(codes) == 101 == len(set(codes.values()))
    assert {len(code) for code in codes.values()} == {len(codes[NOT_GIVEN])}
    for context, code in codes.items():
        assert decode(code, epds, KEY).context == context


@pytest.mark.parametrize(
    ("context", "number"),
    [
        (NOT_GIVEN, 0),
        (Context(Status.PREFER_NOT_TO_SAY), 1),
        (Context(Status.NEITHER), 99),
        (Context(Status.PREGNANT), 2),
        (Context(Status.PREGNANT, 1), 3),
        (Context(Status.PREGNANT, 42), 44),
        (Context(Status.POSTPARTUM), 45),
        (Context(Status.POSTPARTUM, 0), 46),
        (Context(Status.POSTPARTUM, 52), 98),
        (Context(Status.LOSS), 100),
    ],
)
def test_the_context_numbers_are_those_the_format_documents(context, number):
    assert context_number(context) == number
    assert context_from_number(number) == context


@pytest.mark.parametrize("number", range(101, 2**CONTEXT_BITS))
def test_a_context_number_never_issued_is_refused_even_under_a_valid_tag(epds, number):
    # Sealed with this server's own key, so only the context check can refuse it.
    plaintext = (7 << 20 << CONTEXT_BITS) | number
    code = sealed_code(epds, Sealing.of(3, epds, KEY), 1000, plaintext)
    with pytest.raises(ResultCodeError, match="valid set of answers"):
        decode(code, epds, KEY)
    plaintext = (7 << 20 << CONTEXT_BITS << LANGUAGE_BITS) | number << LANGUAGE_BITS
    code = sealed_code(epds, Sealing.of(4, epds, KEY), 1000, plaintext)
    with pytest.raises(ResultCodeError, match="valid set of answers"):
        decode(code, epds, KEY)


@pytest.mark.parametrize(
    ("status", "weeks"),
    [
        (Status.PREGNANT, 0),
        (Status.PREGNANT, 43),
        (Status.POSTPARTUM, -1),
        (Status.POSTPARTUM, 53),
        (Status.PREFER_NOT_TO_SAY, 4),
        (Status.NOT_GIVEN, 4),
    ],
)
def test_a_context_with_weeks_out_of_range_or_without_a_status_cannot_exist(status, weeks):
    with pytest.raises(ValueError):
        Context(status, weeks)


@settings(max_examples=25, deadline=None)
@given(answers=answer_vectors, completed_at=minutes, context=contexts)
def test_every_single_character_change_is_refused(epds, answers, completed_at, context):
    code = encode(epds, answers, completed_at, KEY, context)
    for position, original in enumerate(code):
        if original == "-":
            continue
        for replacement in ALPHABET:
            if replacement == original:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(ResultCodeError):
                decode(changed, epds, KEY)


@settings(max_examples=10, deadline=None)
@given(answers=answer_vectors, completed_at=minutes, context=contexts)
def test_every_single_symbol_change_with_its_check_symbol_made_right_fails_the_tag(
    epds, answers, completed_at, context
):
    """The Luhn check catches a typing mistake; this is what is left when someone recomputes
    it: every position times every other symbol, refused by the tag or the header."""
    data = normalise(encode(epds, answers, completed_at, KEY, context), epds)[:-1]
    for position, original in enumerate(data):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            changed = data[:position] + replacement + data[position + 1 :]
            with pytest.raises(ResultCodeError):
                decode(changed + luhn_check_symbol(changed), epds, KEY)


@pytest.mark.parametrize(
    "context", [NOT_GIVEN, Context(Status.PREGNANT, 24), Context(Status.POSTPARTUM, 6)]
)
def test_a_code_from_one_secret_is_refused_by_another(epds, context):
    moment = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    code = encode(epds, dict.fromkeys(range(1, 11), 1), moment, KEY, context)
    with pytest.raises(ResultCodeError, match="not issued by this service"):
        decode(code, epds, OTHER_KEY)


def test_each_sealed_version_has_keys_of_its_own():
    keys = [KEY.v2_tag, KEY.v2_stream, KEY.v3_tag, KEY.v3_stream, KEY.v4_tag, KEY.v4_stream]
    keys += [KEY.v5_tag, KEY.v5_stream, KEY.v1_mac]
    assert len(set(keys)) == len(keys)


def test_typing_is_forgiving_about_case_spaces_hyphens_and_lookalikes(epds):
    moment = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    answers = {n: n % 4 for n in range(1, 11)}
    code = encode(epds, answers, moment, KEY)
    body = code.removeprefix("EPDS-")
    variants = [
        code.lower(),
        " ".join(code.split("-")),
        body.replace("-", ""),
        body.replace("1", "I").replace("0", "O").lower(),
    ]
    for variant in variants:
        assert decode(variant, epds, KEY).answers == answers


# The attack run's spellings of a correct code that got "must be 26 letters after EPDS-": what
# a Ukrainian keyboard, a word processor, an email or a copied web page gives for its characters.
CYRILLIC = str.maketrans("ABCEHKMOPTXYSJ3", "АВСЕНКМОРТХҮЅЈЗ")
GREEK = str.maketrans("ABEHKMNOPTXYZ", "ΑΒΕΗΚΜΝΟΡΤΧΥΖ")
SPELLINGS = {
    "Cyrillic look-alikes": lambda code: code.translate(CYRILLIC),
    "Cyrillic look-alikes, small": lambda code: code.translate(CYRILLIC).lower(),
    "Greek look-alikes": lambda code: code.translate(GREEK),
    "non-breaking hyphens": lambda code: code.replace("-", "\u2011"),
    "en and em dashes, minus signs": lambda code: (
        code.replace("-", "\u2013", 2).replace("-", "\u2014", 2).replace("-", "\u2212")
    ),
    "fullwidth": lambda code: "".join(chr(ord(c) + 0xFEE0) for c in code),
    "right-to-left override before it": lambda code: "\u202e" + code,
    "bidi marks and zero-width spaces inside": lambda code: (
        "\u200e" + code.replace("-", "\u200b-\u200f", 3).replace("-", "-\u2060")
    ),
    "soft hyphens and a byte order mark": lambda code: "\ufeff" + code.replace("-", "\u00ad"),
}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_code_typed_with_look_alike_characters_is_read_as_the_code(epds, spelling):
    moment = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    answers = {n: n % 4 for n in range(1, 11)}
    code = encode(epds, answers, moment, KEY)
    typed = SPELLINGS[spelling](code)
    assert typed != code
    assert decode(typed, epds, KEY).answers == answers


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "type or scan"),
        ("EPDS-1234", "has 26 letters and digits"),
        ("EPDS-UUUU-UUUU-UUUU-UUUU", "has 26 letters and digits"),
        ("EPDS-1234-5678-9ABC-DEFG-HJKM-NPQ", "has 26 letters and digits"),
    ],
)
def test_malformed_codes_get_a_reason_in_plain_words(epds, text, reason):
    with pytest.raises(ResultCodeError, match=reason):
        decode(text, epds, KEY)


def test_a_mistyped_symbol_is_reported_as_a_typing_mistake(epds):
    code = encode(epds, dict.fromkeys(range(1, 11), 0), datetime(2026, 1, 2, tzinfo=UTC), KEY)
    wrong = "Z" if code[5] != "Z" else "Y"
    with pytest.raises(ResultCodeError, match="typing mistake"):
        decode(code[:5] + wrong + code[6:], epds, KEY)


def test_luhn_mod_32_matches_a_hand_worked_example():
    # "AB": B=11 doubled is 22; A=10 once is 10; total 32; check (32 - 0) % 32 = 0.
    assert luhn_check_symbol("AB") == "0"
    # "1": doubled is 2; check 30 = "Y".
    assert luhn_check_symbol("1") == "Y"


# Issued by the version-1 encoder before version 2 existed, under derive_key("one secret").
V1_CODES = [
    (
        "EPDS-443S-3MV3-CD28-0NT6",
        {n: n % 4 for n in range(1, 11)},
        datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    ),
    ("EPDS-4000-01ZZ-ZYZ0-4A6Z", dict.fromkeys(range(1, 11), 3), datetime(2024, 1, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize(("code", "answers", "completed_at"), V1_CODES)
def test_version_1_codes_still_restore(epds, code, answers, completed_at):
    restored = decode(code, epds, KEY)
    assert (restored.answers, restored.completed_at) == (answers, completed_at)
    assert (restored.context, restored.version) == (NOT_ASKED, 1)
    assert encode_v1(epds, answers, completed_at, KEY) == code
    with pytest.raises(ResultCodeError, match="not issued by this service"):
        decode(code, epds, OTHER_KEY)


@pytest.mark.parametrize("encoder", [encode_v1, encode_v2], ids=["version 1", "version 2"])
@settings(max_examples=10, deadline=None)
@given(answers=answer_vectors, completed_at=minutes)
def test_every_single_character_change_of_an_older_code_is_refused(
    epds, encoder, answers, completed_at
):
    code = encoder(epds, answers, completed_at, KEY)
    assert decode(code, epds, KEY).answers == answers
    for position in range(5, len(code)):
        for replacement in ALPHABET:
            if code[position] not in {"-", replacement}:
                with pytest.raises(ResultCodeError):
                    decode(code[:position] + replacement + code[position + 1 :], epds, KEY)


# Issued by the version-2 encoder before version 3 existed, under derive_key("one secret"): a
# change to version 2's layout, keys or sealing would stop these restoring.
V2_CODES = [
    (
        "EPDS-4887-G6GT-KDEY-DSEQ-19PB",
        {n: n % 4 for n in range(1, 11)},
        datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    ),
    (
        "EPDS-4800-1ZDY-GVV6-CG5V-ES6G",
        dict.fromkeys(range(1, 11), 3),
        datetime(2024, 1, 1, tzinfo=UTC),
    ),
    (
        "EPDS-488H-YPA8-ZGNH-BYH2-VNN5",
        dict.fromkeys(range(1, 11), 0),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(("code", "answers", "completed_at"), V2_CODES)
def test_version_2_codes_still_restore(epds, code, answers, completed_at):
    restored = decode(code, epds, KEY, accept_v1=False)
    assert (restored.answers, restored.completed_at) == (answers, completed_at)
    assert (restored.context, restored.version) == (NOT_ASKED, 2)
    assert V2_FORMAT.fullmatch(code) and encode_v2(epds, answers, completed_at, KEY) == code
    # Sealed again (the restored page's own code), the question never asked reads not given.
    again = encode(epds, restored.answers, restored.completed_at, KEY, restored.context)
    assert decode(again, epds, KEY).context == NOT_GIVEN
    with pytest.raises(ResultCodeError, match="not issued by this service"):
        decode(code, epds, OTHER_KEY)


# Issued by the version-4 encoder before version 5 existed, under derive_key("one secret").
V4_CODES = [
    ("EPDS-8887-NE9G-SZNM-EJYP-D0JQ-46", NOT_GIVEN, None),
    ("EPDS-8887-J8AR-DTT0-E3W3-XVVD-C2", Context(Status.PREGNANT, 24), "uk"),
    ("EPDS-8887-JV8S-GR98-4Q5V-7KCG-40", Context(Status.LOSS), "ru"),
]


@pytest.mark.parametrize(("code", "context", "read_in"), V4_CODES)
def test_version_4_codes_keep_restoring(epds, code, context, read_in):
    answers, moment = {n: n % 4 for n in range(1, 11)}, datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    restored = decode(code, epds, KEY, accept_v1=False)
    assert (restored.answers, restored.completed_at, restored.context) == (answers, moment, context)
    assert (restored.version, restored.read_in) == (4, read_in)
    # Nothing proves how a version-4 code was given, nor which text: not recorded.
    assert (restored.items_language, restored.fingerprint, restored.mode) == (None, None, None)
    assert V4_FORMAT.fullmatch(code)
    assert encode_v4(epds, answers, moment, KEY, context, read_in) == code
    # Sealed again (the restored page's own code), what it never recorded stays not recorded.
    again = decode(
        encode(epds, answers, moment, KEY, context, read_in, mode=restored.mode), epds, KEY
    )
    assert (again.version, again.read_in, again.items_language, again.mode) == (
        5,
        read_in,
        None,
        None,
    )


# Issued by the version-3 encoder when it was written, under derive_key("one secret").
V3_CODES = [
    ("EPDS-6887-JY0E-8QN4-V5SF-KF34-X", NOT_GIVEN),
    ("EPDS-6887-P9N9-ZAXK-145Z-X4SB-D", Context(Status.PREGNANT, 24)),
    ("EPDS-6887-MAG7-JR13-50NY-89Q6-G", Context(Status.POSTPARTUM, 0)),
]


@pytest.mark.parametrize(("code", "context"), V3_CODES)
def test_version_3_codes_keep_restoring(epds, code, context):
    answers, moment = {n: n % 4 for n in range(1, 11)}, datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    restored = decode(code, epds, KEY, accept_v1=False)
    assert (restored.answers, restored.completed_at, restored.context) == (answers, moment, context)
    assert (restored.version, restored.read_in) == (3, None)
    assert V3_FORMAT.fullmatch(code) and encode_v3(epds, answers, moment, KEY, context) == code
    # Sealed again (the restored page's own code), the language reads not recorded.
    again = encode(epds, restored.answers, moment, KEY, restored.context, restored.read_in)
    assert decode(again, epds, KEY).read_in is None


# RFC 5869, appendix A, the three SHA-256 cases: (IKM, salt, info, L, OKM).
RFC_5869_CASES = [
    (
        bytes([0x0B]) * 22,
        bytes(range(13)),
        bytes(range(0xF0, 0xFA)),
        42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ),
    (
        bytes(range(0x50)),
        bytes(range(0x60, 0xB0)),
        bytes(range(0xB0, 0x100)),
        82,
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
        "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
        "cc30c58179ec3e87c14c01d5c1f3434f1d87",
    ),
    (
        bytes([0x0B]) * 22,
        b"",
        b"",
        42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    ),
]


@pytest.mark.parametrize(
    ("secret", "salt", "info", "length", "okm"), RFC_5869_CASES, ids=["case 1", "case 2", "case 3"]
)
def test_hkdf_matches_rfc_5869_test_cases(secret, salt, info, length, okm):
    assert hkdf_sha256(secret, info, length, salt=salt).hex() == okm


def code_number(code: str, epds) -> int:
    """A code's data symbols as one number: what anyone can read without the key."""
    number = 0
    for symbol in normalise(code, epds)[:-1]:
        number = (number << 5) | VALUES[symbol]
    return number


def code_fields(code: str, epds) -> tuple[int, int]:
    """A version-5 code's clear header and its sealed (encrypted minute, answers, context,
    languages, fingerprint and mode) bits."""
    layout = Layout.v5(epds)
    number = code_number(code, epds)
    sealed = (number >> layout.tag_bits) & (2**layout.sealed_bits - 1)
    return number >> (layout.tag_bits + layout.sealed_bits), sealed


@pytest.mark.parametrize(
    ("layout", "widths"),
    [
        # Version 2 leaves a long tag; version 3 adds one symbol for the 7-bit context and keeps
        # the minimum tag.
        (Layout.v2, (22, 31, 42, 19)),
        (Layout.v3, (22, 38, 40, 20)),
        # Version 4 adds one symbol for the 3-bit language; the 2 bits left over join the tag.
        (Layout.v4, (22, 41, 42, 21)),
        # Version 5 adds 21 bits (items' language, 16 of the fingerprint, mode): 4 symbols, and
        # the 1 bit left over joins the tag.
        (Layout.v5, (22, 62, 41, 25)),
    ],
    ids=["version 2", "version 3", "version 4", "version 5"],
)
def test_each_sealed_layout_keeps_a_tag_of_at_least_40_bits(epds, layout, widths):
    laid_out = layout(epds)
    assert (laid_out.clear_bits, laid_out.sealed_bits, laid_out.tag_bits, laid_out.symbols) == (
        widths
    )


DAY = datetime(2026, 11, 20, tzinfo=UTC)


def answer_bit_flips(encoder, epds, pairs: int) -> list[int]:
    """Over pairs of codes for the same minute whose answers differ in one item, how often each
    bit of the code's sealed region (version 1: its minute-and-answers region) differs."""
    rng = random.Random(13)
    width = (Layout.v5 if encoder is encode else Layout.v2)(epds).sealed_bits
    flips = [0] * width
    for _ in range(pairs):
        answers = {n: rng.randrange(4) for n in range(1, 11)}
        item = rng.randrange(1, 11)
        other = answers | {item: (answers[item] + rng.randrange(1, 4)) % 4}
        moment = DAY + timedelta(minutes=rng.randrange(24 * 60))
        first, second = (encoder(epds, given, moment, KEY) for given in (answers, other))
        if encoder is encode:
            (head, sealed), (other_head, other_sealed) = (
                code_fields(code, epds) for code in (first, second)
            )
            assert head == other_head  # the version, instrument and day, nothing else
            difference = sealed ^ other_sealed
        else:  # version 1: minute and answers in clear, above the 25-bit MAC and 1 zero bit
            difference = (code_number(first, epds) ^ code_number(second, epds)) >> 26
        for bit in range(width):
            flips[bit] += difference >> bit & 1
    return flips


def each_bit_flips_about_half_the_time(flips: list[int], pairs: int) -> bool:
    # Binomial(pairs, 1/2): 5 standard deviations either side.
    bound = 5 * math.sqrt(pairs) / 2
    return all(abs(count - pairs / 2) <= bound for count in flips)


def test_codes_that_differ_in_one_answer_share_no_visible_answer_bits(epds):
    pairs = 800
    assert each_bit_flips_about_half_the_time(answer_bit_flips(encode, epds, pairs), pairs)
    # The same check on version 1 fails: there one answer changes only its own two bits.
    assert not each_bit_flips_about_half_the_time(answer_bit_flips(encode_v1, epds, pairs), pairs)


def test_codes_that_differ_only_in_the_context_share_no_visible_sealed_bits(epds):
    rng = random.Random(17)
    every = list(every_context())
    pairs = 800
    flips = [0] * Layout.v5(epds).sealed_bits
    for _ in range(pairs):
        answers = {n: rng.randrange(4) for n in range(1, 11)}
        moment = DAY + timedelta(minutes=rng.randrange(24 * 60))
        one, other = rng.sample(every, 2)
        (head, sealed), (other_head, other_sealed) = (
            code_fields(encode(epds, answers, moment, KEY, context), epds)
            for context in (one, other)
        )
        assert head == other_head
        for bit in range(len(flips)):
            flips[bit] += (sealed ^ other_sealed) >> bit & 1
    assert each_bit_flips_about_half_the_time(flips, pairs)


@pytest.mark.parametrize("skew", ["all answers 0", "random answers"])
def test_answer_bits_are_uniform_without_the_key(epds, skew):
    """Over one day's codes, every sealed bit is 1 half the time and every 2-bit answer slot
    takes its four values equally often, even when every patient gave the same answers and
    the same answer to the question before the items."""
    rng = random.Random(7)
    every = list(every_context())
    layout = Layout.v5(epds)
    count = 24 * 60
    ones = [0] * layout.sealed_bits
    slots = [[0] * 4 for _ in range(10)]
    for minute in range(count):
        skewed = skew == "all answers 0"
        answers = {n: 0 if skewed else rng.randrange(4) for n in range(1, 11)}
        context = NOT_GIVEN if skewed else rng.choice(every)
        moment = DAY + timedelta(minutes=minute)
        _, sealed = code_fields(encode(epds, answers, moment, KEY, context), epds)
        for bit in range(layout.sealed_bits):
            ones[bit] += sealed >> bit & 1
        for slot in range(10):
            below = 2 * LANGUAGE_BITS + FINGERPRINT_BITS + MODE_BITS + CONTEXT_BITS
            slots[slot][sealed >> (below + 2 * slot) & 3] += 1
    assert each_bit_flips_about_half_the_time(ones, count)
    for observed in slots:
        chi_square = sum((value - count / 4) ** 2 / (count / 4) for value in observed)
        assert chi_square < 27.9, observed  # 3 degrees of freedom: p < 0.000004


def test_a_code_older_than_the_maximum_age_is_refused(epds):
    restored = decode(encode(epds, dict.fromkeys(range(1, 11), 0), DAY, KEY), epds, KEY)
    check_age(restored, DAY + timedelta(days=30), 30)
    check_age(restored, DAY + timedelta(days=3000), 0)  # 0: no maximum
    with pytest.raises(ResultCodeError, match="more than 30 days old"):
        check_age(restored, DAY + timedelta(days=30, minutes=1), 30)


def test_verified_code_decodes_and_checks_the_age_in_one_step(epds):
    code = encode(epds, dict.fromkeys(range(1, 11), 0), DAY, KEY)
    restored = verified_code(code, epds, KEY, DAY + timedelta(days=30), 30)
    assert restored == decode(code, epds, KEY)
    with pytest.raises(ResultCodeError, match="more than 30 days old"):
        verified_code(code, epds, KEY, DAY + timedelta(days=30, minutes=1), 30)
    with pytest.raises(ResultCodeError, match="not issued by this service"):
        verified_code(code, epds, OTHER_KEY, DAY, 30)
    old = encode_v1(epds, dict.fromkeys(range(1, 11), 0), DAY, KEY)
    with pytest.raises(ResultCodeError, match="different questionnaire or version"):
        verified_code(old, epds, KEY, DAY, 30, accept_v1=False)
    with pytest.raises(ResultCodeError, match="no longer accepted"):
        verified_code(old, epds, KEY, DAY + timedelta(days=2), 30, v1_until=DAY.date())
