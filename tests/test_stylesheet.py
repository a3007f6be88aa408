"""The stylesheet's house rules: one print block, colours only through custom properties, no
id selectors, no rule written twice."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

CSS = (Path(__file__).parents[1] / "screening" / "web" / "static" / "style.css").read_text(
    encoding="utf-8"
)
WITHOUT_COMMENTS = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
ROOT = re.search(r":root\s*\{(.*?)\}", WITHOUT_COMMENTS, flags=re.S)[1]
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(|(?<![-\w])(?:white|black)(?![-\w])")


def rules() -> list[tuple[str, str]]:
    """(selector, declarations) for every rule, print rules included."""
    return [
        (selector.strip(), body.strip())
        for selector, body in re.findall(r"([^{}@]+)\{([^{}]*)\}", WITHOUT_COMMENTS)
    ]


def test_one_print_block():
    assert WITHOUT_COMMENTS.count("@media print") == 1


def test_colours_are_custom_properties_set_once_in_root():
    outside_root = WITHOUT_COMMENTS.replace(ROOT, "")
    assert not COLOUR.findall(outside_root)
    assert all(line.strip().startswith("--") for line in ROOT.splitlines() if COLOUR.search(line))


def test_no_id_selectors():
    for selector, _ in rules():
        assert not re.search(r"#[A-Za-z_-]", selector), selector


def test_no_selector_is_written_twice_in_one_context():
    screen = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", WITHOUT_COMMENTS)
    selectors = Counter(
        selector.strip() for selector, _ in re.findall(r"([^{}@]+)\{([^{}]*)\}", screen)
    )
    assert [s for s, count in selectors.items() if count > 1] == []


def test_no_deprecated_property():
    """CSS Masking deprecates ``clip``; the visually hidden text uses ``clip-path``."""
    assert not re.search(r"(?<![-\w])clip\s*:", WITHOUT_COMMENTS)
    assert "clip-path: inset(50%)" in CSS
