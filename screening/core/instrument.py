"""The questionnaire as data: frozen dataclasses, built from a checked file. Pure; no I/O.

Every clinical fact (wording, option order, per-option scores, bands, subscales, the safety rule,
the copyright notice) lives in a JSON file such as ``instruments/epds.json``; nothing here knows the
EPDS. A licensed translation or a newer version replaces the file, not the code. Reading and
checking the file (its JSON Schema, the translation overlay) is
``screening/core/instrument_file.py``.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from screening.core.marks import N_

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
class ReliableChange:
    """The least difference between two totals that is a reliable change (95% confidence that it
    is not measurement error), and where that number comes from."""

    points: int
    source: str


@dataclass(frozen=True)
class Example:
    intro: str
    stem: str
    options: tuple[str, ...]
    chosen: int
    explanation: str


# A translation's status, as its source reports it: only a validation study gives "validated".
# Marked for translation where a clinician reads them (the schema lists the same three).
TRANSLATION_STATUSES = (
    N_("validated"),
    N_("linguistically validated"),
    N_("not validated"),
)


@dataclass(frozen=True)
class TranslationSource:
    """Where a translation's words come from: a citation, how to find it, its own version."""

    citation: str
    version: str
    doi: str = ""
    url: str = ""


@dataclass(frozen=True)
class Permission:
    """The written permission to reproduce the translation: who granted it, their reference,
    when, and until when (``None``: no end date)."""

    holder: str
    reference: str
    granted: date
    expires: date | None = None

    def in_force_on(self, day: date) -> bool:
        return self.expires is None or day <= self.expires

    def days_left(self, day: date) -> int | None:
        """Days until the permission ends (0 on its last day), or None without an end date."""
        return None if self.expires is None else (self.expires - day).days


@dataclass(frozen=True)
class LocalCutOff:
    """A cut-off validated for the translation's population: a total at or above ``min_total``
    means ``meaning``, according to ``source``. Shown to the clinician only, and only when the
    clinic turns local cut-offs on; the patient's band always comes from the instrument."""

    min_total: int
    meaning: str
    source: str


@dataclass(frozen=True)
class Provenance:
    """What a clinician needs to trust an installed translation: its source, the permission,
    how it was made (``method``: e.g. forward and back translation, cognitive interviews, a
    validation study) and its ``status``, one of TRANSLATION_STATUSES."""

    source: TranslationSource
    permission: Permission
    method: tuple[str, ...]
    status: str
    local_cut_offs: tuple[LocalCutOff, ...] = ()


def normalised(text: str) -> str:
    """A text as the fingerprint reads it: Unicode NFC, every run of whitespace (spaces, tabs,
    line breaks, no-break spaces) folded to one space, none at either end. So re-saving a file
    in another editor leaves the fingerprint as it was; changing one letter changes it."""
    return " ".join(unicodedata.normalize("NFC", text).split())


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
    reliable_change: ReliableChange
    # The totals the series chart marks on its axis; those that start a band are drawn dashed.
    chart_ticks: tuple[int, ...]
    interpretation_sources: tuple[str, ...]
    notice: str
    citation: str
    # For a translation: where it comes from, its permission and status. None for the original.
    provenance: Provenance | None = None

    @property
    def chart_thresholds(self) -> tuple[int, ...]:
        """The totals at which a band above the lowest starts: the chart's dashed lines."""
        return tuple(band.min for band in self.bands[1:])

    @property
    def clinical_cut_off(self) -> int:
        """The lowest total of the top band: a total at or above it is above the cut-off."""
        return self.bands[-1].min

    @property
    def validated_source(self) -> str:
        """For a translation, the citation of its published source; "" for the original."""
        return self.provenance.source.citation if self.provenance else ""

    @property
    def fingerprinted_texts(self) -> tuple[str, ...]:
        """The words a person reads to answer, in reading order: the preamble, the example
        (intro, stem, options, explanation), the lead-in, then each item and its options.
        The title and the copyright notice are not answered, so they are left out."""
        example = self.example
        texts = [self.preamble, example.intro, example.stem, *example.options]
        texts += [example.explanation, self.lead_in]
        for item in self.items:
            texts += [item.text, *(option.label for option in item.options)]
        return tuple(texts)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the normalised texts, as one compact JSON array in UTF-8. It tells
        installed texts apart, the English included; scores are not part of it."""
        texts = [normalised(text) for text in self.fingerprinted_texts]
        encoded = json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()

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
