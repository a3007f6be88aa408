"""Scoring: answers (item number -> chosen option index) in, a ScreeningResult out. Pure; no Flask.

Scores are read from each chosen option in the instrument data, never inferred from an option's
position, so reverse-scored items need no special case here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from screening.core.instrument import Band, Instrument, Item, Option, Subscale


class IncompleteAnswers(ValueError):
    """Some items have no answer; the EPDS is never scored with gaps filled in."""

    def __init__(self, missing: list[int]) -> None:
        self.missing = missing
        super().__init__(f"unanswered items: {', '.join(map(str, missing))}")


class InvalidAnswer(ValueError):
    """An answer names an item or option that the instrument does not have."""


@dataclass(frozen=True)
class Answer:
    item: Item
    option_index: int

    @property
    def option(self) -> Option:
        return self.item.options[self.option_index]

    @property
    def score(self) -> int:
        return self.option.score


@dataclass(frozen=True)
class SubscaleResult:
    subscale: Subscale
    score: int
    max_score: int

    @property
    def flagged(self) -> bool:
        return self.score >= self.subscale.threshold

    @property
    def verdict(self) -> str:
        """The untranslated verdict; translate it with ``threshold=subscale.threshold``."""
        return self.subscale.flag_text if self.flagged else self.subscale.below_text


@dataclass(frozen=True)
class ScreeningResult:
    instrument: Instrument
    answers: tuple[Answer, ...]
    total: int
    band: Band
    subscales: tuple[SubscaleResult, ...]
    safety_flag: bool

    @property
    def max_total(self) -> int:
        return self.instrument.max_total

    @property
    def option_indexes(self) -> dict[int, int]:
        """The answers as posted: item number -> option index (what the PDF form re-posts)."""
        return {answer.item.number: answer.option_index for answer in self.answers}

    @property
    def safety_answer(self) -> Answer:
        return self.answers[self.instrument.safety_rule.item - 1]

    @property
    def needs_crisis_support(self) -> bool:
        """A positive safety item, or a total high enough that crisis support is offered."""
        return self.safety_flag or self.total >= self.instrument.crisis_support.min_total

    @property
    def patient_heading(self) -> str:
        """The band's plain heading for the patient; with the safety flag, its flag-aware one."""
        if self.safety_flag and self.band.reassuring:
            return self.band.flagged_label
        return self.band.patient_label

    @property
    def patient_advice(self) -> str:
        return self.band.flagged_advice if self.safety_flag else self.band.advice


def score(instrument: Instrument, answers: Mapping[int, int]) -> ScreeningResult:
    """Score a complete set of answers; refuse unknown items, bad indexes and gaps."""
    unknown = sorted(set(answers) - {item.number for item in instrument.items})
    if unknown:
        raise InvalidAnswer(f"unknown items: {unknown}")
    missing = [item.number for item in instrument.items if item.number not in answers]
    if missing:
        raise IncompleteAnswers(missing)
    chosen: list[Answer] = []
    for item in instrument.items:
        index = answers[item.number]
        if isinstance(index, bool) or not isinstance(index, int):
            raise InvalidAnswer(f"item {item.number}: option index must be an int")
        if not 0 <= index < len(item.options):
            raise InvalidAnswer(f"item {item.number}: no option {index}")
        chosen.append(Answer(item, index))
    total = sum(answer.score for answer in chosen)
    subscales = tuple(
        SubscaleResult(
            subscale=subscale,
            score=sum(chosen[number - 1].score for number in subscale.items),
            max_score=sum(instrument.item(number).max_score for number in subscale.items),
        )
        for subscale in instrument.subscales
    )
    rule = instrument.safety_rule
    return ScreeningResult(
        instrument=instrument,
        answers=tuple(chosen),
        total=total,
        band=instrument.band_for(total),
        subscales=subscales,
        safety_flag=chosen[rule.item - 1].score >= rule.min_score,
    )
