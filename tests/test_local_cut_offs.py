"""Local cut-offs from a translation's validation: off by default, applied only to results read
in that translation, named with their source and the reason, never changing the patient's band."""

from __future__ import annotations

import pytest

from screening.core.instrument_file import overlay
from screening.core.local_cut_offs import applied_local_cut_offs, local_cut_off_notes
from screening.core.marks import english
from screening.core.scoring import score
from screening.web.config import DEFAULTS
from screening.web.state import settings_of
from tests.helpers import indexes_for_scores
from tests.pseudo_translation import pseudo_translation

CUT_OFF = {
    "min_total": 11,
    "meaning": "[xx] probable depression in the test population",
    "source": "[xx] Test fixture validation study, not real",
}


@pytest.fixture
def translated(epds):
    data = pseudo_translation(epds)
    data["provenance"]["local_cut_offs"] = [CUT_OFF]
    return overlay(epds, data, "translation epds.uk.json")


def result_with_total(instrument, total):
    scores = {n: 0 for n in range(1, 11)}
    for number in range(1, 10):  # never item 10: these tests are about the total
        scores[number] = min(3, total - sum(scores.values()))
    return score(instrument, indexes_for_scores(instrument, scores))


def test_local_cut_offs_are_off_by_default(app, translated):
    assert DEFAULTS["LOCAL_CUT_OFFS"] is False and settings_of(app).results.local_cut_offs is False
    assert applied_local_cut_offs(result_with_total(translated, 12), enabled=False) == ()
    assert local_cut_off_notes(result_with_total(translated, 12), english, enabled=False) == ()


@pytest.mark.parametrize("setting", ["true", "1", True])
def test_the_clinic_turns_them_on_with_a_setting(make_app, setting):
    assert settings_of(make_app(LOCAL_CUT_OFFS=setting)).results.local_cut_offs is True


@pytest.mark.parametrize(("total", "met"), [(10, False), (11, True), (12, True)])
def test_when_on_the_clinician_is_told_which_cut_off_applied_and_why(translated, total, met):
    result = result_with_total(translated, total)
    assert result.total == total
    (applied,) = applied_local_cut_offs(result, enabled=True)
    assert applied.met is met and applied.cut_off.min_total == 11
    (note,) = local_cut_off_notes(result, english, enabled=True)
    assert note.label == "Local cut-off:"
    assert note.text.startswith(
        "a total of 11 or more: [xx] probable depression in the test population "
        "([xx] Test fixture validation study, not real). "
        f"This total, {total}, is {'at or above it' if met else 'below it'}. "
        "Applied because the clinic uses local cut-offs and the items were read in Test fixture, "
        "not a real translation, version 0.0-test, not validated"
    )


def test_they_never_apply_to_the_english_items_nor_change_the_band(epds, translated):
    english_result = result_with_total(epds, 12)
    assert applied_local_cut_offs(english_result, enabled=True) == ()
    assert result_with_total(translated, 11).band == result_with_total(epds, 11).band
