"""A Babel extractor for the instrument file: our own words in it go into the catalogues.

Band labels and advice, subscale texts, the safety rule's source and the version note are
interface text we wrote, so they are translated like any other. The instrument's own text (items,
options, instructions, notice) is not: it changes only with a validated translation file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

OUR_WORDS = {
    "bands": ("label", "patient_label", "advice", "flagged_label", "flagged_advice"),
    "subscales": ("label", "description", "flag_text", "below_text"),
}


def extract_instrument(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Yield (line number, function name, message, comments) as Babel's extractors do."""
    data = json.loads(fileobj.read().decode("utf-8"))
    yield 0, None, data["version_note"], ["Instrument file: version note"]
    for section, fields in OUR_WORDS.items():
        for entry in data[section]:
            for field in fields:
                if field in entry:
                    yield 0, None, entry[field], [f"Instrument file: {section} {field}"]
    # The safety rule's source is our summary of the manual: the clinician reads it translated.
    yield 0, None, data["safety_rule"]["source"], ["Instrument file: safety_rule source"]
