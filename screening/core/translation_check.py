"""The clinician's check of a translation file before it goes live: every problem found, and
the English and the translation side by side. Pure; no Flask (the command is translation_cli).

Start-up refuses a file of the wrong shape at its first error; this check reads on past errors
so that one run lists every problem, and also looks for what start-up cannot call an error but a
clinician must see: a text left identical to the English, options in a changed order, and Latin
letters inside a Cyrillic text (or the reverse), which look alike but are not the same words.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from screening.core.instrument import Instrument, InstrumentError, normalised
from screening.core.instrument_file import (
    EXPIRY_WARNING_DAYS,
    NO_PERMISSION,
    overlay,
    parse_provenance,
    permission_warning,
    require_permission_reference,
    translation_schema_errors,
)

# The kinds of problem, as the report names them.
ITEM_COUNT = "item count"
MISSING_OPTION = "missing option"
OPTION_COUNT = "option count"
CHANGED_ORDER = "changed order"
EMPTY_TEXT = "empty text"
IDENTICAL = "identical to English"
MIXED_SCRIPTS = "mixed scripts"
FILE_SHAPE = "file shape"
PERMISSION = "permission"
FILE_NAME = "file name"
# Scripts with look-alike letters (Cyrillic a, e, i, o, p, c, x against Latin ones).
CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC")


@dataclass(frozen=True)
class Problem:
    field: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class Pair:
    """One text of the instrument and the translation's text in its place (None: missing)."""

    field: str
    label: str
    english: str
    translated: str | None
    score: int | None = None


@dataclass
class Report:
    pairs: list[Pair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    provenance: list[tuple[str, str]] = field(default_factory=list)
    english_fingerprint: str = ""
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)

    def add(self, where: str, kind: str, message: str) -> None:
        self.problems.append(Problem(where, kind, message))


def _text(raw: Any) -> str | None:
    """A translated text as given: an option may be a label or a label with its score."""
    if isinstance(raw, Mapping):
        raw = raw.get("label")
    return raw if isinstance(raw, str) else None


def _list(container: Any, key: str) -> list[Any]:
    value = container.get(key) if isinstance(container, Mapping) else None
    return value if isinstance(value, list) else []


def _get(container: Any, key: str) -> Any:
    return container.get(key) if isinstance(container, Mapping) else None


def _at(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def pairs(base: Instrument, data: Any) -> Iterator[Pair]:
    """Every answered text of the instrument with the translation's, in reading order."""
    yield Pair("title", "Title", base.title, _text(_get(data, "title")))
    yield Pair("preamble", "Instructions", base.preamble, _text(_get(data, "preamble")))
    example = _get(data, "example")
    yield Pair("example.intro", "Example", base.example.intro, _text(_get(example, "intro")))
    yield Pair("example.stem", "Example", base.example.stem, _text(_get(example, "stem")))
    options = _list(example, "options")
    for index, english in enumerate(base.example.options):
        where = f"example.options[{index}]"
        yield Pair(where, "Example", english, _text(_at(options, index)))
    explanation = _text(_get(example, "explanation"))
    yield Pair("example.explanation", "Example", base.example.explanation, explanation)
    yield Pair("lead_in", "Lead-in", base.lead_in, _text(_get(data, "lead_in")))
    items = _list(data, "items")
    for index, item in enumerate(base.items):
        raw = _at(items, index)
        star = "*" if item.is_reverse_scored else ""
        yield Pair(
            f"items[{index}].text", f"Item {item.number}{star}", item.text, _text(_get(raw, "text"))
        )
        labels = _list(raw, "options")
        for position, option in enumerate(item.options):
            where = f"items[{index}].options[{position}]"
            label = f"Item {item.number} option"
            yield Pair(where, label, option.label, _text(_at(labels, position)), option.score)


def _scripts(text: str) -> dict[str, list[str]]:
    """The letters of ``text`` by confusable script: {'LATIN': ['i'], 'CYRILLIC': [...]}."""
    found: dict[str, list[str]] = {}
    for character in text:
        if character.isalpha():
            script = unicodedata.name(character, "").split(" ")[0]
            if script in CONFUSABLE_SCRIPTS:
                found.setdefault(script, []).append(character)
    return found


def _main_script(texts: list[str]) -> str:
    """The script most of the translation's letters are in."""
    counts = {script: 0 for script in CONFUSABLE_SCRIPTS}
    for text in texts:
        for script, letters in _scripts(text).items():
            counts[script] += len(letters)
    return max(counts, key=lambda script: counts[script])


def _check_texts(report: Report) -> None:
    given = [pair.translated for pair in report.pairs if pair.translated]
    main = _main_script(given)
    for pair in report.pairs:
        if pair.translated is None or not pair.translated.strip():
            if pair.translated is not None or "options" not in pair.field:
                report.add(pair.field, EMPTY_TEXT, f"no text in place of {pair.english!r}")
            continue
        if normalised(pair.translated) == normalised(pair.english):
            report.add(pair.field, IDENTICAL, f"{pair.translated!r} is the English text")
        _check_scripts(report, pair, main)


def _check_scripts(report: Report, pair: Pair, main: str) -> None:
    """Look-alike letters of the other script inside one text, or a whole text in the other
    script than the rest of the translation."""
    scripts = _scripts(pair.translated or "")
    if len(scripts) > 1:
        own = max(scripts, key=lambda script: len(scripts[script]))
        for script, letters in scripts.items():
            if script != own:
                shown = ", ".join(sorted(set(letters)))
                report.add(
                    pair.field,
                    MIXED_SCRIPTS,
                    f"{script.title()} letters ({shown}) in a {own.title()} text: "
                    f"{pair.translated!r}",
                )
    elif scripts and main not in scripts:
        (script,) = scripts
        report.add(
            pair.field,
            MIXED_SCRIPTS,
            f"a {script.title()} text in a {main.title()} translation: {pair.translated!r}",
        )


def _check_items(base: Instrument, data: Any, report: Report) -> None:
    items = _list(data, "items")
    if len(items) != len(base.items):
        report.add(
            "items", ITEM_COUNT, f"has {len(items)} items, the instrument has {len(base.items)}"
        )
    english_labels = {normalised(o.label) for item in base.items for o in item.options}
    for index, (item, raw) in enumerate(zip(base.items, items, strict=False)):
        where = f"items[{index}]"
        number = _get(raw, "number")
        if number != item.number:
            report.add(f"{where}.number", CHANGED_ORDER, f"is {number!r}, expected {item.number}")
        given = _list(raw, "options")
        if len(given) < len(item.options):
            missing = ", ".join(
                f"option {position + 1} (score {option.score}, {option.label!r})"
                for position, option in enumerate(item.options)
                if position >= len(given)
            )
            report.add(f"{where}.options", MISSING_OPTION, f"no text for {missing}")
        elif len(given) > len(item.options):
            report.add(
                f"{where}.options",
                OPTION_COUNT,
                f"has {len(given)} options, item {item.number} has {len(item.options)}",
            )
        for position, (raw_option, option) in enumerate(zip(given, item.options, strict=False)):
            option_where = f"{where}.options[{position}]"
            score = _get(raw_option, "score")
            if isinstance(score, int) and score != option.score:
                report.add(
                    option_where,
                    CHANGED_ORDER,
                    f"scores {score} in the file, but option {position + 1} of item "
                    f"{item.number} scores {option.score}: keep the published order",
                )
            label = _text(raw_option)
            moved = label is not None and normalised(label) != normalised(option.label)
            if moved and label is not None and normalised(label) in english_labels:
                report.add(option_where, CHANGED_ORDER, f"{label!r} is another option's English")
    example_options = _list(_get(data, "example"), "options")
    if len(example_options) != len(base.example.options):
        report.add(
            "example.options",
            MISSING_OPTION if len(example_options) < len(base.example.options) else OPTION_COUNT,
            f"has {len(example_options)} options, the example has {len(base.example.options)}",
        )


def _describe_provenance(data: Any, where: str, today: date, report: Report) -> None:
    try:
        provenance = parse_provenance(data["provenance"], where)
    except (InstrumentError, KeyError, TypeError) as error:
        report.add("provenance", FILE_SHAPE, f"cannot be read: {error}")
        return
    source, permission = provenance.source, provenance.permission
    report.provenance = [
        ("Source", source.citation),
        ("Version", source.version),
        ("DOI", source.doi or "-"),
        ("URL", source.url or "-"),
        ("Permission", f"{permission.reference} from {permission.holder}"),
        ("Granted", permission.granted.isoformat()),
        ("Expires", permission.expires.isoformat() if permission.expires else "no end date"),
        ("Method", "; ".join(provenance.method)),
        ("Status", provenance.status),
    ]
    report.provenance += [
        (f"Local cut-off ({index + 1})", f"{cut.min_total} or more: {cut.meaning} ({cut.source})")
        for index, cut in enumerate(provenance.local_cut_offs)
    ]
    warning = permission_warning(permission, today)
    if not permission.in_force_on(today):
        report.add("provenance.permission.expires", PERMISSION, warning)
    elif warning:
        report.notes.append(f"Within {EXPIRY_WARNING_DAYS} days of its end: {warning}.")


def check_translation(base: Instrument, data: Any, file_name: str, today: date) -> Report:
    """Every problem of a translation file against ``base``, with the side-by-side texts, its
    provenance and, when it would install, its fingerprint."""
    where = f"translation {file_name}"
    report = Report(pairs=list(pairs(base, data)), english_fingerprint=base.fingerprint)
    for error_field, message in translation_schema_errors(data):
        report.add(error_field, FILE_SHAPE, message)
    _check_items(base, data, report)
    _check_texts(report)
    try:
        require_permission_reference(data, where)
    except InstrumentError:
        report.add("provenance.permission.reference", PERMISSION, NO_PERMISSION)
    else:
        _describe_provenance(data, where, today, report)
    language = _get(data, "language")
    if file_name != f"{base.id}.{language}.json":
        report.add(
            "language", FILE_NAME, f"is {language!r}; name the file {base.id}.{language}.json"
        )
    try:
        report.fingerprint = overlay(base, data, where).fingerprint
    except InstrumentError as error:
        if not report.problems:  # otherwise start-up's first error is one of those listed
            report.add("file", FILE_SHAPE, str(error))
    return report


def side_by_side(report: Report, language: str, width: int = 100) -> list[str]:
    """The English and the translation in two columns, with each option's score between."""
    column = max(20, (width - 8) // 2)
    lines = [f"{'':4} {'English':<{column}} | {language}"]
    last_label = ""
    for pair in report.pairs:
        if pair.label != last_label and pair.score is None:
            lines.append("")
            lines.append(pair.label)
        last_label = pair.label
        score = "" if pair.score is None else str(pair.score)
        translated = (
            "(missing)" if pair.translated is None else pair.translated.strip() or "(empty)"
        )
        left = textwrap.wrap(pair.english, column) or [""]
        right = textwrap.wrap(translated, column) or [""]
        for row in range(max(len(left), len(right))):
            lines.append(
                f"{score if row == 0 else '':>4} {_at(left, row) or '':<{column}} | "
                f"{_at(right, row) or ''}"
            )
    return lines
