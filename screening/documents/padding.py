"""Constant-size responses: pad a body to a fixed length, and the answer sets whose responses are
the longest a language can produce. Pure; no Flask.

Byte counts are visible to anyone who sees an access log or the sizes of TLS records. A result
page with the safety message is longer than one without, so without padding the size alone
would tell who reported thoughts of self-harm. Every response that depends on the answers is
therefore padded to one length per language (and kind): the longest such response, measured on
the answer sets below, plus a margin for what varies with the code (its QR drawing) and the date.
"""

from __future__ import annotations

from collections.abc import Iterator

from screening.core.instrument import Instrument, Item

# What varies besides the answers: the QR code's drawing (up to ~500 bytes between two codes),
# the digits of the total and the length of the date's month name.
MARGIN = {
    "page": 1536,
    "access": 512,
    "pdf": 3072,
    "fhir": 512,
    "questionnaire": 1024,
    "series": 1024,
    "series-pdf": 3072,
}
# A series also varies per screening: its chart's coordinates, the digits of each total and
# change, each date, and codes of either version.
MARGIN_PER_SCREENING = {"series": 256, "series-pdf": 512}
GRANULE = 512


class PaddingOverflow(ValueError):
    """A body is longer than the size it should have been padded to."""


def padded_length(longest: int, kind: str) -> int:
    """The fixed length for a kind of response whose longest measured body is ``longest``."""
    target = longest + MARGIN[kind]
    return -(-target // GRANULE) * GRANULE


def series_padded_length(longest: int, kind: str, count: int) -> int:
    """The fixed length for a series of ``count`` screenings whose longest measured body (or
    upper bound) is ``longest``."""
    target = longest + MARGIN[kind] + MARGIN_PER_SCREENING[kind] * count
    return -(-target // GRANULE) * GRANULE


def pad_text(body: str, length: int) -> bytes:
    """HTML or JSON, encoded, with trailing white space up to ``length`` bytes (both formats
    ignore white space after the document)."""
    data = body.encode("utf-8")
    if len(data) > length:
        raise PaddingOverflow(f"{len(data)} bytes > {length}")
    return data + b"\n" * (length - len(data))


def pad_pdf(body: bytes, length: int) -> bytes:
    """A PDF of exactly ``length`` bytes: a comment line of padding just before its
    cross-reference section, and the ``startxref`` offset moved past it. Everything the
    cross-reference table points at comes before the padding, so no other offset changes, and
    the file still ends with its one ``startxref`` and ``%%EOF`` (readers look for them only in
    the last kilobyte, so padding after them makes qpdf call the file damaged)."""
    objects_end = body.rindex(b"\nxref\n") + 1
    old_offset = body[body.rindex(b"startxref\n") :].split()[1]
    if int(old_offset) != objects_end:
        raise ValueError(f"startxref {old_offset.decode()} is not the xref at {objects_end}")
    head, tail = body[:objects_end], body[objects_end:]
    # The new offset can need more digits than the old one. Where a length has no exact fit
    # (one byte less of padding drops that digit again) the offset gets a leading zero.
    for digits in range(len(old_offset), len(str(length)) + 1):
        room = length - len(body) - (digits - len(old_offset))
        if room < 2:
            raise PaddingOverflow(f"{len(body)} bytes > {length}")
        if len(str(objects_end + room)) <= digits:
            break
    new_offset = str(objects_end + room).zfill(digits).encode()
    comment = b"%" + b" " * (room - 2) + b"\n"
    padded = head + comment + tail.replace(b"startxref\n" + old_offset, b"startxref\n" + new_offset)
    assert len(padded) == length
    return padded


def extreme_answers(instrument: Instrument) -> Iterator[dict[int, int]]:
    """Answer sets that between them produce every kind of result: each band's edges, with each
    answer to the safety item, with the subscale items filled first or last, and each item's
    longest option label where the score allows it."""
    safety = instrument.safety_rule.item
    others = [item for item in instrument.items if item.number != safety]
    totals = sorted(
        {edge for band in instrument.bands for edge in (band.min, band.max)}
        | {instrument.crisis_support.min_total - 1, instrument.crisis_support.min_total}
    )
    for safety_index, safety_option in enumerate(instrument.item(safety).options):
        for total in totals:
            for order in (others, others[::-1]):
                remaining = total - safety_option.score
                if not 0 <= remaining <= sum(item.max_score for item in others):
                    continue
                answers = {safety: safety_index}
                for item in order:
                    wanted = min(item.max_score, remaining)
                    remaining -= wanted
                    answers[item.number] = _longest_option(item, wanted)
                yield answers


def _longest_option(item: Item, score: int) -> int:
    """The index of the item's option with this score and the longest label."""
    scoring = [index for index, option in enumerate(item.options) if option.score == score]
    return max(scoring, key=lambda index: len(item.options[index].label))
