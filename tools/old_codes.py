"""Encoders of result code versions no longer issued: the app only decodes them, the tests make
them to show that they still restore. Each one is the encoder as it was issued, so a change to a
version's layout, keys or sealing in the app's decoder shows up as a code that no longer opens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from screening.codes import symbols
from screening.codes.codec import (
    ANSWER_BITS,
    DAY_BITS,
    MINUTE_BITS,
    V1_MAC_BITS,
    Layout,
    Sealing,
    answer_bits,
    context_plaintext,
    day_and_minute,
    interface_plaintext,
    sealed_code,
    v1_mac,
)
from screening.codes.seal import ResultCodeKeys
from screening.core.context import NOT_GIVEN, Context
from screening.core.instrument import Instrument


def encode_v4(
    instrument: Instrument,
    answers: Mapping[int, int],
    completed_at: datetime,
    keys: ResultCodeKeys,
    context: Context = NOT_GIVEN,
    read_in: str | None = None,
) -> str:
    """A version-4 code: version 3's fields and the interface language."""
    day, minute = day_and_minute(completed_at)
    plaintext = interface_plaintext(instrument, answers, minute, context, read_in)
    return sealed_code(instrument, Sealing.of(4, instrument, keys), day, plaintext)


def encode_v3(
    instrument: Instrument,
    answers: Mapping[int, int],
    completed_at: datetime,
    keys: ResultCodeKeys,
    context: Context = NOT_GIVEN,
) -> str:
    """A version-3 code: the minute, the answers and the context, without the language."""
    day, minute = day_and_minute(completed_at)
    plaintext = context_plaintext(instrument, answers, minute, context)
    return sealed_code(instrument, Sealing.of(3, instrument, keys), day, plaintext)


def encode_v2(
    instrument: Instrument, answers: Mapping[int, int], completed_at: datetime, keys: ResultCodeKeys
) -> str:
    """A version-2 code: the minute and the answers, without the context."""
    day, minute = day_and_minute(completed_at)
    plaintext = (minute << ANSWER_BITS * len(instrument.items)) | answer_bits(instrument, answers)
    return sealed_code(instrument, Sealing.of(2, instrument, keys), day, plaintext)


def encode_v1(
    instrument: Instrument, answers: Mapping[int, int], completed_at: datetime, keys: ResultCodeKeys
) -> str:
    """A version-1 code, answers in clear under a 25-bit MAC."""
    layout = Layout.v1(instrument)
    day, minute = day_and_minute(completed_at)
    payload = (((instrument.code_number << DAY_BITS) | day) << MINUTE_BITS) | minute
    payload = (payload << ANSWER_BITS * len(instrument.items)) | answer_bits(instrument, answers)
    mac = v1_mac(instrument, keys, payload)
    padding = layout.symbols * symbols.SYMBOL_BITS - layout.clear_bits - V1_MAC_BITS
    return symbols.written(
        instrument.id.upper(), ((payload << V1_MAC_BITS) | mac) << padding, layout.symbols
    )
