"""Result codes: every answer vector round-trips, and any change to a code is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.result_code import (
    ALPHABET,
    ResultCodeError,
    decode,
    derive_key,
    encode,
    luhn_check_symbol,
)

KEY = derive_key("one secret")
OTHER_KEY = derive_key("another secret")
CODE_FORMAT = re.compile(r"EPDS-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")

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
        ("EPDS-1234", "has 16 letters and digits"),
        ("EPDS-UUUU-UUUU-UUUU-UUUU", "has 16 letters and digits"),
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
