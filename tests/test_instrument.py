"""The instrument file: its shape, and its text and scores against the reference, word for word."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from screening.core.instrument import INSTRUMENTS_DIR, InstrumentError
from screening.core.instrument_file import load_instrument, overlay, parse_instrument
from tests.pseudo_translation import PSEUDO_PROVENANCE

# Copied from shared/reference/epds.md, section 1b (version A), options top to bottom with scores.
REFERENCE_ITEMS = [
    ("I have been able to laugh and see the funny side of things", [
        ("As much as I always could", 0), ("Not quite so much now", 1),
        ("Definitely not so much now", 2), ("Not at all", 3)]),
    ("I have looked forward with enjoyment to things", [
        ("As much as I ever did", 0), ("Rather less than I used to", 1),
        ("Definitely less than I used to", 2), ("Hardly at all", 3)]),
    ("I have blamed myself unnecessarily when things went wrong", [
        ("Yes, most of the time", 3), ("Yes, some of the time", 2),
        ("Not very often", 1), ("No, never", 0)]),
    ("I have been anxious or worried for no good reason", [
        ("No, not at all", 0), ("Hardly ever", 1), ("Yes, sometimes", 2), ("Yes, very often", 3)]),
    ("I have felt scared or panicky for no very good reason", [
        ("Yes, quite a lot", 3), ("Yes, sometimes", 2),
        ("No, not much", 1), ("No, not at all", 0)]),
    ("Things have been getting on top of me", [
        ("Yes, most of the time I haven't been able to cope at all", 3),
        ("Yes, sometimes I haven't been coping as well as usual", 2),
        ("No, most of the time I have coped quite well", 1),
        ("No, I have been coping as well as ever", 0)]),
    ("I have been so unhappy that I have had difficulty sleeping", [
        ("Yes, most of the time", 3), ("Yes, sometimes", 2),
        ("Not very often", 1), ("No, not at all", 0)]),
    ("I have felt sad or miserable", [
        ("Yes, most of the time", 3), ("Yes, quite often", 2),
        ("Not very often", 1), ("No, not at all", 0)]),
    ("I have been so unhappy that I have been crying", [
        ("Yes, most of the time", 3), ("Yes, quite often", 2),
        ("Only occasionally", 1), ("No, never", 0)]),
    ("The thought of harming myself has occurred to me", [
        ("Yes, quite often", 3), ("Sometimes", 2), ("Hardly ever", 1), ("Never", 0)]),
]  # fmt: skip

REFERENCE_PREAMBLE = (
    "As you are pregnant or have recently had a baby, we would like to know how you are feeling. "
    "Please check the answer that comes closest to how you have felt IN THE PAST 7 DAYS, not just "
    "how you feel today."
)
REFERENCE_NOTICE_START = "\u00a9 1987 The Royal College of Psychiatrists."
REFERENCE_NOTICE_END = (
    "Written permission must be obtained from the Royal College of Psychiatrists for copying and "
    "distribution to others or for republication (in print, online or by any other medium)."
)


def raw_epds() -> dict:
    return json.loads((INSTRUMENTS_DIR / "epds.json").read_text(encoding="utf-8"))


def test_items_options_and_scores_match_the_reference_exactly(epds):
    assert [
        (item.text, [(option.label, option.score) for option in item.options])
        for item in epds.items
    ] == REFERENCE_ITEMS
    assert [item.number for item in epds.items] == list(range(1, 11))


def test_version_a_wording_example_and_lead_in(epds):
    assert epds.version == "A"
    assert epds.preamble == REFERENCE_PREAMBLE
    assert epds.example.stem == "I have felt happy:"
    assert epds.example.options[epds.example.chosen] == "Yes, most of the time"
    assert epds.lead_in == "In the past 7 days:"


def test_reverse_scored_items_derived_from_the_data(epds):
    assert epds.reverse_scored_items == {3, 5, 6, 7, 8, 9, 10}


def test_totals_bands_subscale_and_safety_rule(epds):
    assert epds.max_total == 30
    assert [(band.min, band.max) for band in epds.bands] == [(0, 9), (10, 12), (13, 30)]
    assert "normal" not in " ".join(b.label + b.advice for b in epds.bands).lower()
    (anxiety,) = epds.subscales
    assert (anxiety.name, anxiety.items, anxiety.threshold) == ("EPDS-3A", (3, 4, 5), 5)
    assert "BMC Psychology 2021" in anxiety.source
    assert (epds.safety_rule.item, epds.safety_rule.min_score) == (10, 1)


def test_copyright_notice_and_citation(epds):
    assert epds.notice.startswith(REFERENCE_NOTICE_START)
    assert epds.notice.endswith(REFERENCE_NOTICE_END)
    assert "Cox, J.L., Holden, J.M., & Sagovsky, R. (1987)" in epds.citation


def broken(change) -> dict:
    data = copy.deepcopy(raw_epds())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["items"].pop(), r"bands: bands must end"),
        (lambda d: d["items"][0]["options"].pop(), r"items: .*same number of options"),
        (lambda d: d["items"][0]["options"][3].update(score=4), r"items\[0\]\.options: .*0\.\.3"),
        (lambda d: d["items"][2]["options"][0].update(score=2), r"items\[2\].*exactly once"),
        (lambda d: d["items"][4].update(number=7), r"items\[4\]\.number: .*numbered 1, 2, 3"),
        (lambda d: d["items"][1].update(text=""), r"items\[1\]\.text: '' should be non-empty"),
        (lambda d: d["items"][1].update(text="  "), r"items\[1\]\.text: '  ' must not be blank"),
        (
            lambda d: d["items"][1]["options"][0].update(score="0"),
            r"items\[1\]\.options\[0\]\.score: '0' is not of type 'integer'",
        ),
        (lambda d: d["bands"][1].update(min=11), r"bands\[1\]: .*without gaps"),
        (lambda d: d["bands"][2].update(max=29), r"bands: bands must end"),
        (
            lambda d: d["bands"][0].pop("flagged_advice"),
            r"bands\[0\]: 'flagged_advice' is a required",
        ),
        (
            lambda d: d["bands"][0].update(flaged_label="x"),
            r"bands\[0\]: .*'flaged_label' was unexpected",
        ),
        (lambda d: d["subscales"][0].update(items=[3, 11]), r"subscales\[0\]\.items: .*1\.\.10"),
        (lambda d: d["subscales"][0].update(threshold=None), r"subscales\[0\]\.threshold: None"),
        (lambda d: d["safety_rule"].update(item=0), r"safety_rule\.item: 0 is less than"),
        (lambda d: d["safety_rule"].update(item=11), r"safety_rule\.item: .*1\.\.10"),
        (lambda d: d["example"].update(chosen=4), r"example\.chosen: must index one"),
        (lambda d: d.update(code_number=8), r"code_number: 8 is greater than the maximum of 7"),
        (
            lambda d: d["crisis_support"].pop("min_total"),
            r"crisis_support: 'min_total' is a required",
        ),
        (lambda d: d.pop("notice"), r"top level: 'notice' is a required property"),
        (lambda d: d.pop("citation"), r"top level: 'citation' is a required property"),
    ],
)
def test_a_malformed_file_is_refused_with_a_clear_message(change, message):
    with pytest.raises(InstrumentError, match=rf"^instrument: {message}"):
        parse_instrument(broken(change))


def test_the_error_names_the_file(tmp_path):
    path = tmp_path / "epds-local.json"
    path.write_text(json.dumps(broken(lambda d: d["items"][1].update(text=""))), encoding="utf-8")
    with pytest.raises(
        InstrumentError, match=r"^instrument file epds-local\.json: items\[1\]\.text"
    ):
        load_instrument(path)


def translation(change) -> dict:
    data = {
        "language": "uk",
        "provenance": copy.deepcopy(PSEUDO_PROVENANCE),
        "title": "T",
        "preamble": "T",
        "example": {"intro": "T", "stem": "T", "options": ["0", "1", "2", "3"], "explanation": "T"},
        "lead_in": "T",
        "items": [
            {"number": n, "text": "T", "options": ["a", "b", "c", "d"]} for n in range(1, 11)
        ],
        "notice": "T",
    }
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("provenance"), r"provenance\.permission\.reference: no permission"),
        (lambda d: d["items"].pop(), r"items: has 9 items, the instrument has 10"),
        (lambda d: d["items"][3]["options"].pop(), r"items\[3\]: must be item 4 with 4 option"),
        (lambda d: d["items"][3].update(number=5), r"items\[3\]: must be item 4"),
        (lambda d: d["items"][3]["options"].__setitem__(0, ""), r"items\[3\]\.options\[0\]: ''"),
        (lambda d: d["example"]["options"].pop(), r"example\.options: must be 4 texts"),
        (
            lambda d: d["items"][0].update(options=[{"label": "a", "score": 3}] * 4),
            r"items\[0\]\.options\[0\]\.score: is 3, but option 1 of item 1 scores 0",
        ),
        (
            lambda d: d["items"][0].update(options=[{"label": "a"}] * 4),
            r"items\[0\]\.options\[\d\]: 'score' is a required",
        ),
        (lambda d: d.update(language="Ukrainian"), r"language: 'Ukrainian' does not match"),
    ],
)
def test_a_malformed_translation_is_refused_with_a_clear_message(epds, change, message):
    with pytest.raises(InstrumentError, match=rf"^translation epds\.uk\.json: {message}"):
        overlay(epds, translation(change), "translation epds.uk.json")


def test_a_translation_changes_words_and_never_scores(epds):
    translated = overlay(epds, translation(lambda d: None), "translation epds.uk.json")
    assert [o.score for o in translated.item(3).options] == [o.score for o in epds.item(3).options]
    assert translated.item(3).options[0].label == "a"
    assert translated.references == (epds.citation, "Test fixture, not a real translation")


def test_the_readmes_cut_offs_match_the_instrument_file(epds):
    """The README states every cut-off in prose; a change to the data must show up there too."""
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text("utf-8").split())
    *lower, top = epds.bands
    expected = [f"the total is 0–{epds.max_total}", f"{top.min} or more {top.label.lower()}"]
    expected += [f"{band.min}–{band.max} {band.label.lower()}" for band in lower]
    for sub in epds.subscales:
        items = ", ".join(str(n) for n in sub.items)
        maximum = sum(epds.item(n).max_score for n in sub.items)
        expected.append(
            f"{sub.name} (items {items}; 0–{maximum}) is flagged at {sub.threshold} or more"
        )
        # The source says what its study found: a clinic that moves the cut-off keeps the
        # citation as it is (it must not credit the study with a number it did not find).
        assert re.search(r"\b(19|20)\d\d\b", sub.source), sub.source
    expected.append(f"tiers alone for a total of {epds.crisis_support.min_total} or more")
    expected.append(
        f"Any answer above {epds.safety_rule.min_score - 1} on item {epds.safety_rule.item} "
        "raises the safety flag"
    )
    for fact in expected:
        assert fact in readme, fact


def test_the_cut_off_is_written_once_and_the_texts_take_it_as_a_placeholder(epds):
    for sub in epds.subscales:
        for text in (sub.flag_text, sub.below_text):
            assert "%(threshold)s" in text and str(sub.threshold) not in text
