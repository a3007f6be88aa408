"""Result codes: every answer vector round-trips, any change to a code is refused, the answers
are sealed (no answer bit visible without the key), and version-1 codes still restore."""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.result_code import (
    ALPHABET,
    VALUES,
    Layout,
    ResultCodeError,
    check_age,
    decode,
    derive_key,
    encode,
    encode_v1,
    hkdf_sha256,
    luhn_check_symbol,
    normalise,
)

KEY = derive_key("one secret")
OTHER_KEY = derive_key("another secret")
CODE_FORMAT = re.compile(r"EPDS-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}")

answer_vectors = st.fixed_dictionaries({n: st.integers(0, 3) for n in range(1, 11)})
minutes = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(answers=answer_vectors, completed_at=minutes)
def test_every_valid_vector_round_trips(epds, answers, completed_at):
    code = encode(epds, answers, completed_at, KEY)
    assert CODE_FORMAT.fullmatch(code), code
    restored = decode(code, epds, KEY)
    assert restored.answers == answers
    assert restored.completed_at == completed_at


@settings(max_examples=25, deadline=None)
@given(answers=answer_vectors, completed_at=minutes)
def test_every_single_character_change_is_refused(epds, answers, completed_at):
    code = encode(epds, answers, completed_at, KEY)
    for position, original in enumerate(code):
        if original == "-":
            continue
        for replacement in ALPHABET:
            if replacement == original:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(ResultCodeError):
                decode(changed, epds, KEY)


def test_a_code_from_one_secret_is_refused_by_another(epds):
    code = encode(
        epds, dict.fromkeys(range(1, 11), 1), datetime(2026, 11, 20, 9, 30, tzinfo=UTC), KEY
    )
    with pytest.raises(ResultCodeError, match="not issued by this service"):
        decode(code, epds, OTHER_KEY)


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


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "type or scan"),
        ("EPDS-1234", "has 20 letters and digits"),
        ("EPDS-UUUU-UUUU-UUUU-UUUU", "has 20 letters and digits"),
        ("EPDS-1234-5678-9ABC-DEFG-H", "has 20 letters and digits"),
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
    assert encode_v1(epds, answers, completed_at, KEY) == code
    with pytest.raises(ResultCodeError, match="not issued by this service"):
        decode(code, epds, OTHER_KEY)


@settings(max_examples=10, deadline=None)
@given(answers=answer_vectors, completed_at=minutes)
def test_every_single_character_change_of_a_version_1_code_is_refused(epds, answers, completed_at):
    code = encode_v1(epds, answers, completed_at, KEY)
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
    with pytest.raises(ResultCodeError, match="not issued by this service"):
        decode(code, epds, OTHER_KEY)


def test_hkdf_matches_rfc_5869_test_case_1():
    okm = hkdf_sha256(bytes([0x0B]) * 22, bytes(range(0xF0, 0xFA)), 42, salt=bytes(range(13)))
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def code_number(code: str, epds) -> int:
    """A code's data symbols as one number: what anyone can read without the key."""
    number = 0
    for symbol in normalise(code, epds)[:-1]:
        number = (number << 5) | VALUES[symbol]
    return number


def code_fields(code: str, epds) -> tuple[int, int]:
    """A version-2 code's clear header and its sealed (encrypted minute and answers) bits."""
    layout = Layout.v2(epds)
    number = code_number(code, epds)
    sealed = (number >> layout.tag_bits) & (2**layout.sealed_bits - 1)
    return number >> (layout.tag_bits + layout.sealed_bits), sealed


def test_the_version_2_layout_leaves_a_long_tag(epds):
    layout = Layout.v2(epds)
    assert (layout.clear_bits, layout.sealed_bits, layout.tag_bits, layout.symbols) == (
        22,
        31,
        42,
        19,
    )


DAY = datetime(2026, 11, 20, tzinfo=UTC)


def answer_bit_flips(encoder, epds, pairs: int) -> list[int]:
    """Over pairs of codes for the same minute whose answers differ in one item, how often each
    bit of the code's minute-and-answers region differs."""
    rng = random.Random(13)
    width = Layout.v2(epds).sealed_bits
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


@pytest.mark.parametrize("skew", ["all answers 0", "random answers"])
def test_answer_bits_are_uniform_without_the_key(epds, skew):
    """Over one day's codes, every sealed bit is 1 half the time and every 2-bit answer slot
    takes its four values equally often, even when every patient gave the same answers."""
    rng = random.Random(7)
    layout = Layout.v2(epds)
    count = 24 * 60
    ones = [0] * layout.sealed_bits
    slots = [[0] * 4 for _ in range(10)]
    for minute in range(count):
        answers = {n: 0 if skew == "all answers 0" else rng.randrange(4) for n in range(1, 11)}
        _, sealed = code_fields(encode(epds, answers, DAY + timedelta(minutes=minute), KEY), epds)
        for bit in range(layout.sealed_bits):
            ones[bit] += sealed >> bit & 1
        for slot in range(10):
            slots[slot][sealed >> (2 * slot) & 3] += 1
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
