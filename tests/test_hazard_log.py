"""The hazard log (docs/safety/hazard-log.md) cannot drift from the code: every hazard has its
fields and at least one control proved by a test, every test it names exists, and every risk rating
follows the DCB0129 matrix the log states, with none left unacceptable after its controls.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "safety" / "hazard-log.md"

SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very high", "High", "Medium", "Low", "Very low")
# DCB0129's matrix, row by likelihood (as above), column by severity (as above).
MATRIX = {
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}
HIGHEST_ACCEPTED_AFTER_CONTROLS = 3

HEADING = re.compile(r"^## (HAZ-\d{2}): (.+)$")
FIELD = re.compile(r"^- \*\*(Harm|Causes|Before|After):\*\* (.+)$")
RATING = re.compile(r"^(?P<severity>[A-Za-z ]+?) × (?P<likelihood>[A-Za-z ]+?) = (?P<risk>\d)$")
NODE_ID = re.compile(r"`(tests/[\w/]+\.py::[\w:]+)`")


@dataclass
class Hazard:
    id: str
    title: str
    fields: dict[str, str] = field(default_factory=dict)
    controls: list[tuple[str, list[str]]] = field(default_factory=list)


def parse(text: str) -> list[Hazard]:
    """Reads every `## HAZ-NN` section: its bullet fields and its table of controls and tests."""
    hazards: list[Hazard] = []
    for line in text.splitlines():
        if heading := HEADING.match(line):
            hazards.append(Hazard(heading[1], heading[2]))
        elif not hazards:
            continue
        elif bullet := FIELD.match(line):
            hazards[-1].fields[bullet[1]] = bullet[2].strip()
        elif line.startswith("|") and not line.startswith(("| control", "|---")):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if len(cells) == 2:
                hazards[-1].controls.append((cells[0], NODE_ID.findall(cells[1])))
    return hazards


@cache
def _defined_names(path: Path) -> frozenset[str]:
    """Every test a file defines, as `name` or `Class::name`."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{member.name}"
                for member in node.body
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset(names)


def missing_tests(hazards: list[Hazard], root: Path = ROOT) -> list[str]:
    """The node ids named in the log that no test file defines."""
    missing = []
    for hazard in hazards:
        for _, node_ids in hazard.controls:
            for node_id in node_ids:
                file, _, name = node_id.partition("::")
                path = root / file
                if not path.is_file() or name not in _defined_names(path):
                    missing.append(f"{hazard.id}: {node_id}")
    return missing


def rating_problems(hazard: Hazard) -> list[str]:
    problems = []
    ratings = {}
    for when in ("Before", "After"):
        rating = RATING.match(hazard.fields.get(when, ""))
        if rating is None:
            problems.append(f"{hazard.id}: '{when}' is not 'Severity × Likelihood = risk'")
            continue
        severity, likelihood, risk = rating["severity"], rating["likelihood"], int(rating["risk"])
        if severity not in SEVERITIES or likelihood not in LIKELIHOODS:
            problems.append(f"{hazard.id}: '{when}' names an unknown severity or likelihood")
            continue
        expected = MATRIX[likelihood][SEVERITIES.index(severity)]
        if risk != expected:
            problems.append(
                f"{hazard.id}: {when} {severity} × {likelihood} is {expected}, not {risk}"
            )
        ratings[when] = risk
    if ratings.get("After", 0) > HIGHEST_ACCEPTED_AFTER_CONTROLS:
        problems.append(f"{hazard.id}: still unacceptable after its controls")
    if len(ratings) == 2 and ratings["After"] > ratings["Before"]:
        problems.append(f"{hazard.id}: its controls raise the risk")
    return problems


@pytest.fixture(scope="module")
def hazards() -> list[Hazard]:
    return parse(LOG.read_text(encoding="utf-8"))


def test_the_log_has_hazards_with_unique_ids(hazards):
    ids = [hazard.id for hazard in hazards]
    assert len(ids) >= 8
    assert len(ids) == len(set(ids))


def test_every_hazard_has_its_fields_and_a_control_proved_by_a_test(hazards):
    for hazard in hazards:
        assert set(hazard.fields) == {"Harm", "Causes", "Before", "After"}, hazard.id
        assert hazard.controls, f"{hazard.id} has no control"
        for control, node_ids in hazard.controls:
            assert control, f"{hazard.id}: a control without words"
            assert node_ids, f"{hazard.id}: control '{control}' names no test"


def test_every_test_the_log_names_exists(hazards):
    assert missing_tests(hazards) == []


def test_every_risk_follows_the_matrix_and_none_stays_unacceptable(hazards):
    assert [problem for hazard in hazards for problem in rating_problems(hazard)] == []


def test_the_matrix_in_the_log_is_the_one_this_test_applies():
    rows = {
        cells[0]: tuple(int(cell) for cell in cells[1:])
        for line in LOG.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ")
        and (cells := [cell.strip() for cell in line.strip().strip("|").split("|")])[0]
        in LIKELIHOODS
    }
    assert rows == MATRIX


def test_a_renamed_test_is_caught(hazards):
    """The check is real: the same log with one test's name changed is reported."""
    text = LOG.read_text(encoding="utf-8")
    first = next(node_id for hazard in hazards for _, ids in hazard.controls for node_id in ids)
    renamed = parse(text.replace(first, first + "_renamed", 1))
    assert missing_tests(renamed) == [f"{hazards[0].id}: {first}_renamed"]


def test_a_wrong_rating_and_an_unproved_control_are_caught():
    log = (
        "## HAZ-99: example\n- **Harm:** h\n- **Causes:** c\n"
        "- **Before:** Major × Medium = 2\n- **After:** Catastrophic × Medium = 4\n"
        "| control | tests |\n|---|---|\n| words only | none |\n"
    )
    (hazard,) = parse(log)
    assert rating_problems(hazard) == [
        "HAZ-99: Before Major × Medium is 3, not 2",
        "HAZ-99: still unacceptable after its controls",
        "HAZ-99: its controls raise the risk",
    ]
    assert hazard.controls == [("words only", [])]
