"""The clinic's own paragraphs for the about page, from a text file in the instance folder.

``about.<language>.txt`` (e.g. ``about.uk.txt``) or else ``about.txt`` replaces the built-in
description of the clinic's care. Paragraphs are separated by blank lines; a paragraph whose
first line starts with ``## `` is a heading. The text is escaped like any other: no HTML.
Every file is read and checked once, at start-up (``load_clinic_texts``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from screening.core.textfiles import InstanceFileError, read_utf8


@dataclass(frozen=True)
class Block:
    text: str
    is_heading: bool = False


def parse_blocks(text: str) -> list[Block]:
    blocks = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        if not lines or not lines[0]:
            continue
        if lines[0].startswith("## "):
            blocks.append(Block(lines[0][3:].strip(), is_heading=True))
            lines = lines[1:]
        if lines:
            blocks.append(Block(" ".join(lines)))
    return blocks


FILE_NAME = re.compile(r"about(?:\.([a-z]{2,3}))?\.txt")


def load_clinic_texts(instance: Path) -> dict[str, list[Block]]:
    """Every ``about[.<language>].txt`` in the instance folder, keyed by its language ("" for
    the file for every language); InstanceFileError naming a file that is not UTF-8."""
    texts = {}
    for path in sorted(instance.glob("about*.txt")):
        match = FILE_NAME.fullmatch(path.name)
        if match:
            try:
                texts[match[1] or ""] = parse_blocks(read_utf8(path))
            except (OSError, ValueError) as error:
                raise InstanceFileError(f"about-page text: {error}") from error
    return texts


def clinic_paragraphs(texts: Mapping[str, list[Block]], language: str) -> list[Block] | None:
    """The clinic's replacement text for this language, or None to use the built-in one."""
    return texts.get(language, texts.get(""))
