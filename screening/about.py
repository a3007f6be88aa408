"""The clinic's own paragraphs for the about page, from a text file in the instance folder.

``about.<language>.txt`` (e.g. ``about.uk.txt``) or else ``about.txt`` replaces the built-in
description of the clinic's care. Paragraphs are separated by blank lines; a paragraph whose
first line starts with ``## `` is a heading. The text is escaped like any other: no HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def clinic_paragraphs(instance: Path, language: str) -> list[Block] | None:
    """The clinic's replacement text for this language, or None to use the built-in one."""
    for name in (f"about.{language}.txt", "about.txt"):
        path = instance / name
        if path.is_file():
            return parse_blocks(path.read_text(encoding="utf-8"))
    return None
