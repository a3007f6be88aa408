"""Reading an instrument file and its translations: JSON Schema first, then the cross-field rules.

The data model is in ``screening/instrument.py``; this module turns a file into it. Each file's
shape is described once, as JSON Schema (``screening/schemas/instrument.schema.json`` and
``translation.schema.json``), and checked with ``jsonschema`` at start-up, as ONS's eQ runner
checks its questionnaires. What a schema cannot say (items numbered 1, 2, 3, ...; each option
score used once; bands covering every total without gaps; a translation's counts matching the
instrument's) is checked here. Every error names the file and the field, for example
``instrument file epds.json: items[2].text: '' should be non-empty``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from screening.instrument import (
    INSTRUMENTS_DIR,
    Band,
    CrisisSupport,
    Example,
    Instrument,
    InstrumentError,
    Item,
    Option,
    SafetyRule,
    Subscale,
)
from screening.textfiles import read_utf8

SCHEMAS_DIR = Path(__file__).parent / "schemas"


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _field(error: ValidationError) -> str:
    """The failing field as a path, e.g. ``items[2].options[0].score``."""
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.path)
    return path.lstrip(".") or "top level"


def _message(error: ValidationError) -> str:
    if error.validator == "pattern" and error.schema.get("pattern") == "\\S":
        return f"{error.instance!r} must not be blank"
    return error.message


def check_shape(data: Any, schema: str, where: str) -> None:
    """Raise InstrumentError naming ``where`` and the field if ``data`` does not fit ``schema``."""
    error = best_match(_validator(schema).iter_errors(data))
    if error is not None:
        raise InstrumentError(f"{where}: {_field(error)}: {_message(error)}")


def _item(raw: Mapping[str, Any], position: int, where: str) -> Item:
    field = f"{where}: items[{position - 1}]"
    if raw["number"] != position:
        raise InstrumentError(
            f"{field}.number: is {raw['number']}; items must be numbered 1, 2, 3, ..."
        )
    options = tuple(Option(label=o["label"], score=o["score"]) for o in raw["options"])
    if sorted(option.score for option in options) != list(range(len(options))):
        raise InstrumentError(
            f"{field}.options: scores must use each of 0..{len(options) - 1} exactly once, "
            f"got {[option.score for option in options]}"
        )
    return Item(number=position, text=raw["text"], options=options)


def _check_bands_cover(bands: tuple[Band, ...], max_total: int, where: str) -> None:
    expected_min = 0
    for index, band in enumerate(bands):
        if band.min != expected_min or band.max < band.min:
            raise InstrumentError(
                f"{where}: bands[{index}]: bands must cover 0..{max_total} in order without gaps "
                f"or overlaps; '{band.label}' starts at {band.min}, expected {expected_min}"
            )
        expected_min = band.max + 1
    if expected_min != max_total + 1:
        raise InstrumentError(f"{where}: bands: bands must end at the maximum total {max_total}")


def parse_instrument(data: Any, where: str = "instrument") -> Instrument:
    """Build an Instrument from decoded JSON, refusing anything of the wrong shape.

    ``where`` names the file in error messages.
    """
    check_shape(data, "instrument", where)
    items = tuple(
        _item(raw, position, where) for position, raw in enumerate(data["items"], start=1)
    )
    option_counts = {len(item.options) for item in items}
    if len(option_counts) != 1:
        raise InstrumentError(
            f"{where}: items: every item must have the same number of options, got {option_counts}"
        )
    bands = tuple(
        Band(**{"flagged_label": "", **raw})  # flagged_label is the one optional field
        for raw in data["bands"]
    )
    max_total = sum(item.max_score for item in items)
    _check_bands_cover(bands, max_total, where)
    subscales = []
    for index, raw in enumerate(data["subscales"]):
        if any(number > len(items) for number in raw["items"]):
            raise InstrumentError(
                f"{where}: subscales[{index}].items: must list item numbers 1..{len(items)}"
            )
        subscales.append(Subscale(**{**raw, "items": tuple(raw["items"])}))
    raw_example = data["example"]
    example = Example(**{**raw_example, "options": tuple(raw_example["options"])})
    if example.chosen >= len(example.options):
        raise InstrumentError(f"{where}: example.chosen: must index one of its options")
    safety_rule = SafetyRule(**data["safety_rule"])
    if safety_rule.item > len(items):
        raise InstrumentError(f"{where}: safety_rule.item: must be an item number 1..{len(items)}")
    scalars = {
        key: data[key]
        for key in (
            *("id", "title", "short_title", "version", "code_number", "version_note"),
            *("language", "preamble", "lead_in", "notice", "citation"),
        )
    }
    return Instrument(
        **scalars,
        example=example,
        items=items,
        bands=bands,
        subscales=tuple(subscales),
        safety_rule=safety_rule,
        crisis_support=CrisisSupport(**data["crisis_support"]),
        interpretation_sources=tuple(data["interpretation_sources"]),
    )


@cache
def load_instrument(path: Path = INSTRUMENTS_DIR / "epds.json") -> Instrument:
    """Read and check an instrument file once; later calls with the same path reuse it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InstrumentError(f"cannot read instrument file {path}: {error}") from error
    return parse_instrument(data, f"instrument file {Path(path).name}")


def overlay(base: Instrument, data: Any, where: str) -> Instrument:
    """The base instrument with a translation's words; every score stays the base's own."""
    check_shape(data, "translation", where)
    raw_items = data["items"]
    if len(raw_items) != len(base.items):
        raise InstrumentError(
            f"{where}: items: has {len(raw_items)} items, the instrument has {len(base.items)}"
        )
    items = []
    for index, (item, raw) in enumerate(zip(base.items, raw_items, strict=True)):
        labels = raw["options"]
        if raw["number"] != item.number or len(labels) != len(item.options):
            raise InstrumentError(
                f"{where}: items[{index}]: must be item {item.number} with "
                f"{len(item.options)} option texts in the published order"
            )
        options = tuple(
            Option(label=label, score=option.score)
            for label, option in zip(labels, item.options, strict=True)
        )
        items.append(Item(number=item.number, text=raw["text"], options=options))
    raw_example = data["example"]
    if len(raw_example["options"]) != len(base.example.options):
        raise InstrumentError(
            f"{where}: example.options: must be {len(base.example.options)} texts, as in the "
            "instrument's example"
        )
    return replace(
        base,
        language=data["language"],
        title=data["title"],
        preamble=data["preamble"],
        example=replace(base.example, **{**raw_example, "options": tuple(raw_example["options"])}),
        lead_in=data["lead_in"],
        items=tuple(items),
        notice=data["notice"],
        validated_source=data["validated_source"],
    )


def load_translations(base: Instrument, directory: Path) -> dict[str, Instrument]:
    """Licensed, validated translations dropped in ``directory`` as ``<id>.<language>.json``."""
    translations = {}
    for path in sorted(Path(directory).glob(f"{base.id}.*.json")):
        try:
            data = json.loads(read_utf8(path))
        except (OSError, ValueError) as error:  # ValueError: not UTF-8, or not JSON
            raise InstrumentError(f"cannot read translation {path}: {error}") from error
        translated = overlay(base, data, f"translation {path.name}")
        if path.name != f"{base.id}.{translated.language}.json":
            raise InstrumentError(
                f"translation {path.name}: language: is {translated.language!r}; "
                f"name the file {base.id}.{translated.language}.json"
            )
        translations[translated.language] = translated
    return translations
