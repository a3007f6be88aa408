"""Reading an instrument file and its translations: JSON Schema first, then the cross-field rules.

The data model is in ``screening/core/instrument.py``; this module turns a file into it. Each file's
shape is described once, as JSON Schema (``screening/core/schemas/instrument.schema.json`` and
``translation.schema.json``), and checked with ``jsonschema`` at start-up, as ONS's eQ runner
checks its questionnaires. What a schema cannot say (items numbered 1, 2, 3, ...; each option
score used once; bands covering every total without gaps; a translation's counts matching the
instrument's, a permission's dates) is checked here. Every error names the file and the field,
for example ``instrument file epds.json: items[2].text: '' should be non-empty``.

A translation is installed only with its provenance: the published source, the written
permission (start-up refuses a file without the permission's reference), the method and the
validation status. A permission ending within ``EXPIRY_WARNING_DAYS`` is logged as a warning at
start-up; an expired one is logged as an error and its translation is not installed (see
``load_translations`` for why it does not stop start-up).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from screening.core.instrument import (
    INSTRUMENTS_DIR,
    Band,
    CrisisSupport,
    Example,
    Instrument,
    InstrumentError,
    Item,
    LocalCutOff,
    Option,
    Permission,
    Provenance,
    ReliableChange,
    SafetyRule,
    Subscale,
    TranslationSource,
)
from screening.core.textfiles import read_utf8

SCHEMAS_DIR = Path(__file__).parent / "schemas"
# How long before a translation's permission ends the start-up log starts saying so.
EXPIRY_WARNING_DAYS = 30
NO_PERMISSION = (
    "no permission reference. The Royal College of Psychiatrists holds the copyright of the "
    "EPDS, its translations included: install a translation only with written permission "
    "(from the College, and from the translation's authors where they hold rights), and give "
    "the permission's holder, reference and date under provenance.permission."
)
log = logging.getLogger(__name__)


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _field(error: ValidationError) -> str:
    """The failing field as a path, e.g. ``items[2].options[0].score``."""
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
    )
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


def translation_schema_errors(data: Any) -> list[tuple[str, str]]:
    """Every way ``data`` misfits the translation schema, as (field, message), except blank
    texts, which the translation check reports as such."""
    return [
        (_field(error), _message(error))
        for error in _validator("translation").iter_errors(data)
        if not (isinstance(error.instance, str) and not error.instance.strip())
    ]


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
        reliable_change=ReliableChange(**data["reliable_change"]),
        chart_ticks=tuple(data["chart_ticks"]),
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


def require_permission_reference(data: Any, where: str) -> None:
    """Refuse a translation without a permission reference in words a clinic can act on,
    before the schema's generic "is a required property"."""
    provenance = data.get("provenance") if isinstance(data, dict) else None
    permission = provenance.get("permission") if isinstance(provenance, dict) else None
    reference = permission.get("reference") if isinstance(permission, dict) else None
    if not isinstance(reference, str) or not reference.strip():
        raise InstrumentError(f"{where}: provenance.permission.reference: {NO_PERMISSION}")


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InstrumentError(f"{field}: {text!r} is not a date (YYYY-MM-DD): {error}") from error


def parse_provenance(raw: Mapping[str, Any], where: str) -> Provenance:
    """A translation's provenance block, already checked against the schema."""
    field = f"{where}: provenance.permission"
    permission = raw["permission"]
    granted = _date(permission["granted"], f"{field}.granted")
    expires = _date(permission["expires"], f"{field}.expires") if "expires" in permission else None
    if expires is not None and expires < granted:
        raise InstrumentError(f"{field}.expires: {expires} is before the date granted, {granted}")
    return Provenance(
        source=TranslationSource(**raw["source"]),
        permission=Permission(
            holder=permission["holder"],
            reference=permission["reference"],
            granted=granted,
            expires=expires,
        ),
        method=tuple(raw["method"]),
        status=raw["status"],
        local_cut_offs=tuple(LocalCutOff(**cut) for cut in raw.get("local_cut_offs", ())),
    )


def option_labels(raw_options: list[Any]) -> list[str]:
    """The labels of a translated item's options, given as text or as label-and-score."""
    return [o["label"] if isinstance(o, dict) else o for o in raw_options]


def _translated_item(item: Item, raw: Mapping[str, Any], field: str) -> Item:
    labels = option_labels(raw["options"])
    if raw["number"] != item.number or len(labels) != len(item.options):
        raise InstrumentError(
            f"{field}: must be item {item.number} with "
            f"{len(item.options)} option texts in the published order"
        )
    for position, (given, option) in enumerate(zip(raw["options"], item.options, strict=True)):
        if isinstance(given, dict) and given["score"] != option.score:
            raise InstrumentError(
                f"{field}.options[{position}].score: is {given['score']}, but option "
                f"{position + 1} of item {item.number} scores {option.score}: the options must "
                "stay in the published order (some items are reverse-scored)"
            )
    options = tuple(
        Option(label=label, score=option.score)
        for label, option in zip(labels, item.options, strict=True)
    )
    return Item(number=item.number, text=raw["text"], options=options)


def overlay(base: Instrument, data: Any, where: str) -> Instrument:
    """The base instrument with a translation's words; every score stays the base's own."""
    require_permission_reference(data, where)
    check_shape(data, "translation", where)
    provenance = parse_provenance(data["provenance"], where)
    raw_items = data["items"]
    if len(raw_items) != len(base.items):
        raise InstrumentError(
            f"{where}: items: has {len(raw_items)} items, the instrument has {len(base.items)}"
        )
    items = [
        _translated_item(item, raw, f"{where}: items[{index}]")
        for index, (item, raw) in enumerate(zip(base.items, raw_items, strict=True))
    ]
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
        provenance=provenance,
    )


def read_translation(base: Instrument, path: Path) -> tuple[Instrument, Provenance]:
    """One translation file, checked: its shape, its counts, its provenance and its name."""
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
    return translated, provenance_of(translated)


def provenance_of(translated: Instrument) -> Provenance:
    """A translation's provenance, which overlay() always sets."""
    if translated.provenance is None:
        raise InstrumentError(f"{translated.id}.{translated.language}: not a translation")
    return translated.provenance


def permission_warning(permission: Permission, today: date) -> str:
    """What the start-up log says about a translation's permission ending, or ""."""
    days_left = permission.days_left(today)
    if days_left is None or days_left > EXPIRY_WARNING_DAYS:
        return ""
    if days_left < 0:
        return (
            f"the permission {permission.reference!r} from {permission.holder} ended on "
            f"{permission.expires}: this translation is not installed, and its language shows "
            "the English items until the permission is renewed and the file updated"
        )
    return (
        f"the permission {permission.reference!r} from {permission.holder} ends on "
        f"{permission.expires}, in {days_left} days: ask for its renewal now; after that day "
        "the translation is no longer installed"
    )


def load_translations(
    base: Instrument, directory: Path, today: date | None = None
) -> dict[str, Instrument]:
    """Licensed translations dropped in ``directory`` as ``<id>.<language>.json``, by language.

    A malformed file, or one without a permission reference, stops start-up. A translation whose
    permission has ended is left out, with an error in the log, rather than stopping start-up:
    a lapsed licence must not take the crisis numbers and the English questionnaire offline with
    it, and it must not keep the translation in use either. Its language then shows the English
    items with the interface in that language, as when no translation is installed.
    """
    today = today or date.today()
    translations = {}
    for path in sorted(Path(directory).glob(f"{base.id}.*.json")):
        translated, provenance = read_translation(base, path)
        warning = permission_warning(provenance.permission, today)
        if not provenance.permission.in_force_on(today):
            log.error("translation %s: %s", path.name, warning)
            continue
        if warning:
            log.warning("translation %s: %s", path.name, warning)
        translations[translated.language] = translated
    return translations


def log_installed_texts(base: Instrument, translations: Mapping[str, Instrument]) -> None:
    """One start-up log line per installed text with its fingerprint, so the log shows which
    words patients were shown from when."""
    log.info("instrument %s (%s): fingerprint %s", base.id, base.language, base.fingerprint)
    for language, translated in sorted(translations.items()):
        provenance = provenance_of(translated)
        log.info(
            "translation %s.%s: %s, version %s, %s; fingerprint %s",
            base.id,
            language,
            provenance.source.citation,
            provenance.source.version,
            provenance.status,
            translated.fingerprint,
        )
