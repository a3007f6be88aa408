"""Scoring against the published key: every option of every item, totals, bands, flags, EPDS-3A."""

from __future__ import annotations

import pytest

from screening.core.scoring import IncompleteAnswers, InvalidAnswer, score
from tests.helpers import indexes_for_scores

# The published scoring key (reference 1b): for each item, the score of each option top to bottom.
PUBLISHED_KEY = {
    1: [0, 1, 2, 3],
    2: [0, 1, 2, 3],
    3: [3, 2, 1, 0],
    4: [0, 1, 2, 3],
    5: [3, 2, 1, 0],
    6: [3, 2, 1, 0],
    7: [3, 2, 1, 0],
    8: [3, 2, 1, 0],
    9: [3, 2, 1, 0],
    10: [3, 2, 1, 0],
}
ZERO_SCORE_INDEXES = {item: key.index(0) for item, key in PUBLISHED_KEY.items()}


@pytest.mark.parametrize(
    ("item", "index", "expected"),
    [(item, index, s) for item, key in PUBLISHED_KEY.items() for index, s in enumerate(key)],
)
def test_each_option_scores_as_published(epds, item, index, expected):
    answers = {**ZERO_SCORE_INDEXES, item: index}
    result = score(epds, answers)
    assert result.answers[item - 1].score == expected
    assert result.total == expected


def test_the_first_option_everywhere_is_not_zero_because_of_reverse_scoring(epds):
    result = score(epds, dict.fromkeys(range(1, 11), 0))
    assert result.total == 3 * 7


def test_minimum_and_maximum_totals(epds):
    assert score(epds, ZERO_SCORE_INDEXES).total == 0
    highest = {item: key.index(3) for item, key in PUBLISHED_KEY.items()}
    assert score(epds, highest).total == 30


def scores_totalling(total: int, item10: int = 0) -> dict[int, int]:
    """Item scores that add up to ``total``, filling items 1-9 in turn and item 10 as given."""
    remaining = total - item10
    scores = {}
    for item in range(1, 10):
        scores[item] = min(3, remaining)
        remaining -= scores[item]
    scores[10] = item10
    return scores


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Below the usual screening threshold"),
        (9, "Below the usual screening threshold"),
        (10, "Possible depression"),
        (12, "Possible depression"),
        (13, "Probable depression"),
        (30, "Probable depression"),
    ],
)
def test_band_boundaries(epds, total, band):
    result = score(epds, indexes_for_scores(epds, scores_totalling(total, item10=min(total, 3))))
    assert result.total == total
    assert result.band.label == band


@pytest.mark.parametrize(("item10", "flag"), [(0, False), (1, True), (2, True), (3, True)])
def test_item_10_flag_is_independent_of_a_low_total(epds, item10, flag):
    result = score(epds, indexes_for_scores(epds, scores_totalling(item10, item10=item10)))
    assert result.total == item10
    assert result.band.label == "Below the usual screening threshold"
    assert result.safety_flag is flag


@pytest.mark.parametrize(
    ("scores_3_4_5", "expected", "flagged"),
    [((0, 0, 0), 0, False), ((2, 1, 1), 4, False), ((2, 2, 1), 5, True), ((3, 3, 3), 9, True)],
)
def test_epds_3a_sums_items_3_4_5_with_reverse_scoring(epds, scores_3_4_5, expected, flagged):
    scores = dict.fromkeys(range(1, 11), 0) | dict(zip((3, 4, 5), scores_3_4_5, strict=True))
    (anxiety,) = score(epds, indexes_for_scores(epds, scores)).subscales
    assert (anxiety.score, anxiety.max_score, anxiety.flagged) == (expected, 9, flagged)


def test_incomplete_answers_are_refused_not_filled_in(epds):
    answers = dict(ZERO_SCORE_INDEXES)
    del answers[4], answers[10]
    with pytest.raises(IncompleteAnswers) as caught:
        score(epds, answers)
    assert caught.value.missing == [4, 10]


@pytest.mark.parametrize(
    "bad", [{3: 4}, {3: -1}, {11: 0}, {3: True}, {3: "1"}], ids=["4", "-1", "item11", "bool", "str"]
)
def test_unknown_items_and_options_are_refused(epds, bad):
    with pytest.raises(InvalidAnswer):
        score(epds, {**ZERO_SCORE_INDEXES, **bad})
