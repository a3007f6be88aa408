"""The questionnaire as data: frozen dataclasses, built from a checked file. Pure; no I/O.

Every clinical fact (wording, option order, per-option scores, bands, subscales, the safety rule,
the copyright notice) lives in a JSON file such as ``instruments/epds.json``; nothing here knows the
EPDS. A licensed translation or a newer version replaces the file, not the code. Reading and
checking the file (its JSON Schema, the translation overlay) is ``screening/instrument_file.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

INSTRUMENTS_DIR = Path(__file__).parent / "instruments"


class InstrumentError(ValueError):
    """The instrument file is missing, unreadable or not of the expected shape."""


@dataclass(frozen=True)
class Option:
    label: str
    score: int


@dataclass(frozen=True)
class Item:
    number: int
    text: str
    options: tuple[Option, ...]

    @property
    def is_reverse_scored(self) -> bool:
        """True where the top option carries the highest score (printed with an asterisk)."""
        return self.options[0].score > self.options[-1].score

    @property
    def max_score(self) -> int:
        return max(option.score for option in self.options)


@dataclass(frozen=True)
class Band:
    """A range of totals. ``label`` is the technical label for the clinician (PDF, intake);
    ``patient_label`` is the plain, non-diagnostic heading a patient reads. When the safety
    item is positive, ``flagged_advice`` replaces the advice, and a band whose own words would
    reassure (it has a ``flagged_label``) has its heading and its label replaced too, so that
    nothing reassuring follows a positive safety item."""

    min: int
    max: int
    label: str
    advice: str
    source: str
    patient_label: str
    flagged_advice: str
    flagged_label: str = ""

    @property
    def reassuring(self) -> bool:
        """Its words would reassure, so none of them may stand beside a positive safety item."""
        return bool(self.flagged_label)

    def contains(self, total: int) -> bool:
        return self.min <= total <= self.max


@dataclass(frozen=True)
class Subscale:
    id: str
    name: str
    label: str
    items: tuple[int, ...]
    threshold: int  # the cut-off, written only here: flag_text and below_text say %(threshold)s
    description: str
    flag_text: str
    below_text: str
    source: str


@dataclass(frozen=True)
class SafetyRule:
    """An item whose score at or above ``min_score`` needs urgent attention, whatever the total."""

    item: int
    min_score: int
    source: str


@dataclass(frozen=True)
class CrisisSupport:
    """A total at or above ``min_total`` gets the crisis pathway, whatever the safety item."""

    min_total: int
    source: str


@dataclass(frozen=True)
class Example:
    intro: str
    stem: str
    options: tuple[str, ...]
    chosen: int
    explanation: str


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    short_title: str
    version: str
    code_number: int
    version_note: str
    language: str
    preamble: str
    example: Example
    lead_in: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    subscales: tuple[Subscale, ...]
    safety_rule: SafetyRule
    crisis_support: CrisisSupport
    interpretation_sources: tuple[str, ...]
    notice: str
    citation: str
    # For a translation: the published, validated source it comes from, as a citation.
    validated_source: str = ""

    @property
    def max_total(self) -> int:
        return sum(item.max_score for item in self.items)

    @property
    def reverse_scored_items(self) -> frozenset[int]:
        return frozenset(item.number for item in self.items if item.is_reverse_scored)

    @property
    def references(self) -> tuple[str, ...]:
        """The scale's citation and, for a translation, its validated source: for the clinician."""
        return (self.citation, self.validated_source) if self.validated_source else (self.citation,)

    def item(self, number: int) -> Item:
        return self.items[number - 1]

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.contains(total):
                return band
        raise ValueError(f"total {total} is outside 0-{self.max_total}")
