"""The questionnaire as data: frozen dataclasses and a loader that checks the file's shape.

Every clinical fact (wording, option order, per-option scores, bands, subscales, the safety rule,
the copyright notice) lives in a JSON file such as ``instruments/epds.json``; nothing here knows the
EPDS. A licensed translation or a newer version replaces the file, not the code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from screening.textfiles import read_utf8

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
    threshold: int
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

    def item(self, number: int) -> Item:
        return self.items[number - 1]

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.contains(total):
                return band
        raise ValueError(f"total {total} is outside 0-{self.max_total}")


def _require(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InstrumentError(f"{where}: '{key}' must be a {kind.__name__}")
    if kind is str and isinstance(value, str) and not value.strip():
        raise InstrumentError(f"{where}: '{key}' must not be empty")
    return value


def _parse_item(raw: Mapping[str, Any], position: int) -> Item:
    where = f"item {position}"
    number = _require(raw, "number", int, where)
    if number != position:
        raise InstrumentError(f"{where}: 'number' is {number}; items must be numbered 1, 2, 3, ...")
    raw_options = _require(raw, "options", list, where)
    options = tuple(
        Option(
            label=_require(option, "label", str, f"{where}, option {index + 1}"),
            score=_require(option, "score", int, f"{where}, option {index + 1}"),
        )
        for index, option in enumerate(raw_options)
    )
    scores = sorted(option.score for option in options)
    if scores != list(range(len(options))) or len(options) < 2:
        raise InstrumentError(
            f"{where}: option scores must use each of 0..{len(options) - 1} exactly once, "
            f"got {[option.score for option in options]}"
        )
    return Item(number=number, text=_require(raw, "text", str, where), options=options)


def _parse_band(raw: Mapping[str, Any], index: int) -> Band:
    where = f"band {index + 1}"
    return Band(
        min=_require(raw, "min", int, where),
        max=_require(raw, "max", int, where),
        label=_require(raw, "label", str, where),
        advice=_require(raw, "advice", str, where),
        source=_require(raw, "source", str, where),
        patient_label=_require(raw, "patient_label", str, where),
        flagged_label=_optional_text(raw, "flagged_label", where),
        flagged_advice=_require(raw, "flagged_advice", str, where),
    )


def _optional_text(data: Mapping[str, Any], key: str, where: str) -> str:
    return _require(data, key, str, where) if key in data else ""


def _parse_subscale(raw: Mapping[str, Any], item_count: int) -> Subscale:
    where = f"subscale {raw.get('id', '?') if isinstance(raw, Mapping) else '?'}"
    items = tuple(_require(raw, "items", list, where))
    if not items or any(not isinstance(n, int) or not 1 <= n <= item_count for n in items):
        raise InstrumentError(f"{where}: 'items' must list item numbers 1..{item_count}")
    return Subscale(
        id=_require(raw, "id", str, where),
        name=_require(raw, "name", str, where),
        label=_require(raw, "label", str, where),
        items=items,
        threshold=_require(raw, "threshold", int, where),
        description=_require(raw, "description", str, where),
        flag_text=_require(raw, "flag_text", str, where),
        below_text=_require(raw, "below_text", str, where),
        source=_require(raw, "source", str, where),
    )


def _check_bands_cover(bands: tuple[Band, ...], max_total: int) -> None:
    expected_min = 0
    for band in bands:
        if band.min != expected_min or band.max < band.min:
            raise InstrumentError(
                f"bands must cover 0..{max_total} in order without gaps or overlaps; "
                f"'{band.label}' starts at {band.min}, expected {expected_min}"
            )
        expected_min = band.max + 1
    if expected_min != max_total + 1:
        raise InstrumentError(f"bands must end at the maximum total {max_total}")


def _code_number(data: Mapping[str, Any]) -> int:
    """The instrument's number in result codes (3 bits): unique per instrument and version."""
    number = _require(data, "code_number", int, "instrument")
    if not 1 <= number <= 7:
        raise InstrumentError("instrument: 'code_number' must be 1..7")
    return number


def parse_instrument(data: Mapping[str, Any]) -> Instrument:
    """Build an Instrument from decoded JSON, refusing anything of the wrong shape."""
    where = "instrument"
    items = tuple(
        _parse_item(raw, position)
        for position, raw in enumerate(_require(data, "items", list, where), start=1)
    )
    if not items:
        raise InstrumentError("instrument: 'items' must not be empty")
    option_counts = {len(item.options) for item in items}
    if len(option_counts) != 1:
        raise InstrumentError(
            f"instrument: every item must have the same number of options, got {option_counts}"
        )
    bands = tuple(_parse_band(raw, i) for i, raw in enumerate(_require(data, "bands", list, where)))
    max_total = sum(item.max_score for item in items)
    _check_bands_cover(bands, max_total)
    raw_example = _require(data, "example", dict, where)
    example_options = tuple(_require(raw_example, "options", list, "example"))
    if not all(isinstance(option, str) and option for option in example_options):
        raise InstrumentError("example: 'options' must be a list of text")
    example = Example(
        intro=_require(raw_example, "intro", str, "example"),
        stem=_require(raw_example, "stem", str, "example"),
        options=example_options,
        chosen=_require(raw_example, "chosen", int, "example"),
        explanation=_require(raw_example, "explanation", str, "example"),
    )
    if not 0 <= example.chosen < len(example_options):
        raise InstrumentError("example: 'chosen' must index one of its options")
    raw_rule = _require(data, "safety_rule", dict, where)
    safety_rule = SafetyRule(
        item=_require(raw_rule, "item", int, "safety_rule"),
        min_score=_require(raw_rule, "min_score", int, "safety_rule"),
        source=_require(raw_rule, "source", str, "safety_rule"),
    )
    if not 1 <= safety_rule.item <= len(items):
        raise InstrumentError(f"safety_rule: 'item' must be an item number 1..{len(items)}")
    raw_crisis = _require(data, "crisis_support", dict, where)
    crisis_support = CrisisSupport(
        min_total=_require(raw_crisis, "min_total", int, "crisis_support"),
        source=_require(raw_crisis, "source", str, "crisis_support"),
    )
    return Instrument(
        id=_require(data, "id", str, where),
        title=_require(data, "title", str, where),
        short_title=_require(data, "short_title", str, where),
        version=_require(data, "version", str, where),
        code_number=_code_number(data),
        version_note=_require(data, "version_note", str, where),
        language=_require(data, "language", str, where),
        preamble=_require(data, "preamble", str, where),
        example=example,
        lead_in=_require(data, "lead_in", str, where),
        items=items,
        bands=bands,
        subscales=tuple(
            _parse_subscale(raw, len(items)) for raw in _require(data, "subscales", list, where)
        ),
        safety_rule=safety_rule,
        crisis_support=crisis_support,
        interpretation_sources=tuple(
            _require({"source": text}, "source", str, "interpretation_sources")
            for text in _require(data, "interpretation_sources", list, where)
        ),
        notice=_require(data, "notice", str, where),
        citation=_require(data, "citation", str, where),
    )


@cache
def load_instrument(path: Path = INSTRUMENTS_DIR / "epds.json") -> Instrument:
    """Read and check an instrument file once; later calls with the same path reuse it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InstrumentError(f"cannot read instrument file {path}: {error}") from error
    return parse_instrument(data)


def _overlay(base: Instrument, data: Mapping[str, Any], where: str) -> Instrument:
    """The base instrument with a translation's words; every score stays the base's own."""
    raw_items = _require(data, "items", list, where)
    if len(raw_items) != len(base.items):
        raise InstrumentError(
            f"{where}: has {len(raw_items)} items, the instrument has {len(base.items)}"
        )
    items = []
    for item, raw in zip(base.items, raw_items, strict=True):
        labels = _require(raw, "options", list, f"{where}, item {item.number}")
        if len(labels) != len(item.options) or not all(isinstance(x, str) and x for x in labels):
            raise InstrumentError(
                f"{where}, item {item.number}: 'options' must be {len(item.options)} texts in the "
                "published order"
            )
        items.append(
            Item(
                number=item.number,
                text=_require(raw, "text", str, f"{where}, item {item.number}"),
                options=tuple(
                    Option(label=label, score=option.score)
                    for label, option in zip(labels, item.options, strict=True)
                ),
            )
        )
    raw_example = _require(data, "example", dict, where)
    example_options = tuple(_require(raw_example, "options", list, f"{where}, example"))
    if len(example_options) != len(base.example.options):
        raise InstrumentError(f"{where}, example: 'options' must match the instrument's example")
    return replace(
        base,
        language=_require(data, "language", str, where),
        title=_require(data, "title", str, where),
        preamble=_require(data, "preamble", str, where),
        example=replace(
            base.example,
            intro=_require(raw_example, "intro", str, f"{where}, example"),
            stem=_require(raw_example, "stem", str, f"{where}, example"),
            options=example_options,
            explanation=_require(raw_example, "explanation", str, f"{where}, example"),
        ),
        lead_in=_require(data, "lead_in", str, where),
        items=tuple(items),
        notice=_require(data, "notice", str, where),
        validated_source=_require(data, "validated_source", str, where),
    )


def load_translations(base: Instrument, directory: Path) -> dict[str, Instrument]:
    """Licensed, validated translations dropped in ``directory`` as ``<id>.<language>.json``."""
    translations = {}
    for path in sorted(Path(directory).glob(f"{base.id}.*.json")):
        try:
            data = json.loads(read_utf8(path))
        except (OSError, ValueError) as error:  # ValueError: not UTF-8, or not JSON
            raise InstrumentError(f"cannot read translation {path}: {error}") from error
        translated = _overlay(base, data, f"translation {path.name}")
        if path.name != f"{base.id}.{translated.language}.json":
            raise InstrumentError(
                f"translation {path.name}: its 'language' is {translated.language!r}; "
                f"name the file {base.id}.{translated.language}.json"
            )
        translations[translated.language] = translated
    return translations
