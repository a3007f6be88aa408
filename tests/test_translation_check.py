"""`flask translation check FILE`: the English and the translation side by side with option
scores, the provenance, the fingerprint, and every problem found, with a non-zero exit."""

from __future__ import annotations

import re

import pytest

from screening.core.instrument_file import overlay
from tests.pseudo_translation import (
    cyrillic_pseudo_translation,
    pseudo_translation,
    write_translation,
)


@pytest.fixture
def check(app, tmp_path):
    def run(data, name: str | None = None):
        path = write_translation(tmp_path / "received", data)
        if name:
            path = path.rename(path.with_name(name))
        return app.test_cli_runner().invoke(args=["translation", "check", str(path)])

    return run


def test_a_clean_file_passes_and_is_shown_side_by_side_with_scores(check, epds):
    data = cyrillic_pseudo_translation(epds)
    result = check(data)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "No problems found." in out
    # Item 3 is reverse-scored: its first option scores 3, next to the translation's first.
    assert re.search(r"^Item 3\*$", out, re.MULTILINE)
    assert re.search(r"^\s+3 Yes, most of the time\s+\| \[хх\] варіант 3\.1$", out, re.MULTILINE)
    assert re.search(r"^\s+0 No, never\s+\| \[хх\] варіант 3\.4$", out, re.MULTILINE)
    assert re.search(r"^\s+I have felt sad or miserable\s+\| \[хх\] пункт 8$", out, re.MULTILINE)
    for line in (
        "Source:                Test fixture, not a real translation",
        "Version:               0.0-test",
        "Permission:            TEST-PERMISSION-0 from Nobody (test fixture)",
        "Granted:               2026-01-01",
        "Expires:               no end date",
        "Status:                not validated",
    ):
        assert line in out
    fingerprint = overlay(epds, data, "t").fingerprint
    assert f"uk:                    {fingerprint}" in out
    assert f"English:               {epds.fingerprint}" in out


def items(data):
    return data["items"]


PROBLEMS = [
    (
        lambda d: items(d)[4]["options"].pop(),
        "items[4].options: missing option: no text for option 4 (score 0, 'No, not at all')",
    ),
    (
        lambda d: items(d)[4]["options"].append("[хх] зайвий"),
        "items[4].options: option count: has 5 options, item 5 has 4",
    ),
    (
        lambda d: d["example"]["options"].pop(),
        "example.options: missing option: has 3 options, the example has 4",
    ),
    (lambda d: items(d).pop(), "items: item count: has 9 items, the instrument has 10"),
    (
        lambda d: items(d)[2].update(
            options=[{"label": f"[хх] в {i}", "score": i} for i in range(4)]
        ),
        "items[2].options[0]: changed order: scores 0 in the file, but option 1 of item 3 scores 3",
    ),
    (lambda d: items(d)[3].update(number=5), "items[3].number: changed order: is 5, expected 4"),
    (
        lambda d: items(d)[0]["options"].__setitem__(0, "Not at all"),
        "items[0].options[0]: changed order: 'Not at all' is another option's English",
    ),
    (
        lambda d: d.update(lead_in=" \t"),
        "lead_in: empty text: no text in place of 'In the past 7 days:'",
    ),
    (lambda d: items(d)[6]["options"].__setitem__(1, ""), "items[6].options[1]: empty text"),
    (
        lambda d: items(d)[5].update(text="Things have been  getting on top of me"),
        "items[5].text: identical to English: 'Things have been  getting on top of me'",
    ),
    (
        lambda d: items(d)[6].update(text="[хх] пункт сeмь"),  # a Latin "e" among Cyrillic
        "items[6].text: mixed scripts: Latin letters (e) in a Cyrillic text",
    ),
    (
        lambda d: items(d)[7].update(text="[xx] item eight"),
        "items[7].text: mixed scripts: a Latin text in a Cyrillic translation",
    ),
    (
        lambda d: d["provenance"]["permission"].pop("reference"),
        "provenance.permission.reference: permission: no permission reference. The Royal College",
    ),
    (
        lambda d: d["provenance"]["permission"].update(expires="2026-01-31"),
        "provenance.permission.expires: permission: the permission 'TEST-PERMISSION-0' from "
        "Nobody (test fixture) ended on 2026-01-31",
    ),
    (lambda d: d.update(language="ru"), "language: file name: is 'ru'; name the file epds.ru.json"),
    (lambda d: d.update(extra="x"), "top level: file shape: Additional properties"),
]


@pytest.mark.parametrize(("change", "problem"), PROBLEMS)
def test_every_problem_is_reported_and_the_exit_code_is_non_zero(check, epds, change, problem):
    data = cyrillic_pseudo_translation(epds)
    change(data)
    result = check(data, name="epds.uk.json")
    assert result.exit_code == 1, result.output
    assert f"  {problem}" in result.output, result.output
    assert "No problems found." not in result.output


def test_cyrillic_letters_inside_a_latin_text_are_reported_too(check, epds):
    data = pseudo_translation(epds)  # every text Latin: "[xx] <English>"
    items(data)[1]["text"] = "[xx] I have l\u043eoked forward"  # a Cyrillic "o"
    result = check(data)
    assert "  items[1].text: mixed scripts: Cyrillic letters (о) in a Latin text" in result.output
    assert result.exit_code == 1


def test_a_file_that_is_not_json_gets_a_clear_message_and_a_non_zero_exit(app, tmp_path):
    path = tmp_path / "epds.uk.json"
    path.write_text("{not json", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["translation", "check", str(path)])
    assert result.exit_code != 0 and f"cannot read {path}" in result.output
