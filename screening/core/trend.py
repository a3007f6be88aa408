"""A series of screenings of one person: their results in time order and what changed between
consecutive ones. Pure; no Flask.

Change between two totals is read with the instrument's Reliable Change Index (for the EPDS,
Matthey 2004; the points and the source are in the instrument file): a difference of that many
points or more is a reliable change (95% confidence that it is not measurement error); a
reliable change that also crosses the cut-off into the top band is clinically significant
(Jacobson & Truax's method, same paper). Anything smaller is within measurement error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from screening.core.administration import NOT_RECORDED, Administration
from screening.core.context import (
    EXPECTING,
    NO_INFANT,
    NOT_GIVEN,
    Context,
    Status,
    Translate,
    TranslatePlural,
)
from screening.core.instrument import Instrument
from screening.core.marks import N_, NP_
from screening.core.scoring import ScreeningResult

# Each screening asks about the past 7 days, and a repeat is usually made after 2 weeks: closer
# screenings' changes are read with care.
REPEAT_AFTER_DAYS = 14
CLOSE_TOGETHER = N_(
    "Less than 2 weeks apart: %(pairs)s. Each screening asks about the past 7 days and a repeat "
    "is usually made after 2 weeks or more, so read the change between these with care."
)
# One pair of close screenings in that list, e.g. "1 Jun 2026 to 6 Jun 2026 (5 days)".
CLOSE_PAIR = N_("%(first)s to %(second)s (%(days)s)")
DAYS = NP_("%(num)s day", "%(num)s days")
# Every screening of the series whose total is 0, not only the latest: a later rise from it may
# be a first full answer rather than a worsening.
ZERO_TOTAL_IN_SERIES = N_(
    "A total of 0 (%(date)s) may mean that the patient was not comfortable answering fully "
    "(PIRI); read any change from it with care."
)
CHANGE_RULE = N_(
    "A change of %(points)s points or more is a reliable change; a reliable change that also "
    "crosses %(below)s/%(above)s is clinically significant; smaller changes are within "
    "measurement error."
)
WITHIN_ERROR = N_("within measurement error")
RELIABLE_IMPROVED = N_("reliable change: improved")
RELIABLE_WORSENED = N_("reliable change: worsened")
SIGNIFICANT_IMPROVED = N_("reliable change: improved; clinically significant")
SIGNIFICANT_WORSENED = N_("reliable change: worsened; clinically significant")
FIRST_TO_LATEST = N_("First screening to the latest")
LOWEST_TO_LATEST = N_("Lowest total to the latest")
CHANGE_LABELS = (
    WITHIN_ERROR,
    RELIABLE_IMPROVED,
    RELIABLE_WORSENED,
    SIGNIFICANT_IMPROVED,
    SIGNIFICANT_WORSENED,
)


@dataclass(frozen=True)
class Screening:
    """One restored screening: its scored result, when it was completed, the code it came from,
    that code's format version, the answer to the question before the items and how it was
    given, as far as the code records it (the interface language, the items' text, the mode)."""

    result: ScreeningResult
    completed_at: datetime
    code: str
    code_version: int = 4
    context: Context = NOT_GIVEN
    administration: Administration = NOT_RECORDED


@dataclass(frozen=True)
class Change:
    """From one screening's total to the next one's."""

    delta: int
    reliable: bool
    clinically_significant: bool

    @property
    def label(self) -> str:
        """The untranslated label: one of CHANGE_LABELS."""
        if not self.reliable:
            return WITHIN_ERROR
        if self.clinically_significant:
            return SIGNIFICANT_IMPROVED if self.delta < 0 else SIGNIFICANT_WORSENED
        return RELIABLE_IMPROVED if self.delta < 0 else RELIABLE_WORSENED


def clinical_cut_off(result: ScreeningResult) -> int:
    """The lowest total of the top band: a total at or above it is above the cut-off."""
    return result.instrument.clinical_cut_off


def change(before: ScreeningResult, after: ScreeningResult) -> Change:
    """How the total moved from ``before`` to ``after`` (lower EPDS totals are better)."""
    delta = after.total - before.total
    reliable = abs(delta) >= before.instrument.reliable_change.points
    cut_off = clinical_cut_off(before)
    crosses = (before.total >= cut_off) != (after.total >= cut_off)
    return Change(delta=delta, reliable=reliable, clinically_significant=reliable and crosses)


@dataclass(frozen=True)
class Series:
    """Screenings in the order they were completed, oldest first."""

    screenings: tuple[Screening, ...]

    @classmethod
    def of(cls, screenings: list[Screening]) -> Series:
        ordered = sorted(screenings, key=lambda screening: screening.completed_at)
        return cls(tuple(ordered))

    @property
    def changes(self) -> tuple[Change | None, ...]:
        """For each screening, the change from the one before it (None for the first)."""
        results = [screening.result for screening in self.screenings]
        return (None, *(change(a, b) for a, b in pairwise(results)))

    @property
    def latest(self) -> Screening:
        return self.screenings[-1]

    @property
    def latest_without_infant(self) -> bool:
        """Whether the clinician's notes on the latest screening ask about the patient and any
        children in her care rather than about mother and infant: the latest screening says
        there is no infant (a loss, or neither pregnant nor a birth in the past year), or a loss
        was reported in this series and the latest screening is not of a new pregnancy or a
        birth since (then there is an infant, or one expected, again)."""
        latest = self.latest.context.status
        reported = any(one.context.status is Status.LOSS for one in self.screenings)
        return latest in NO_INFANT or (reported and latest not in EXPECTING)

    @property
    def lowest(self) -> Screening:
        """The screening with the lowest total; of equal ones, the most recent."""
        return min(reversed(self.screenings), key=lambda screening: screening.result.total)

    @property
    def overall(self) -> Change:
        """From the first screening to the latest: a slow rise a little smaller than a reliable
        change at every step is within measurement error each time and still a reliable change
        over the whole series."""
        return change(self.screenings[0].result, self.latest.result)

    @property
    def from_lowest(self) -> Change:
        """From the lowest total to the latest: a worsening after an improvement, which the
        first-to-latest change can hide."""
        return change(self.lowest.result, self.latest.result)

    @property
    def overall_changes(self) -> tuple[tuple[str, Screening, Change], ...]:
        """The untranslated title, the screening compared with the latest, and the change, for
        first-to-latest and lowest-to-latest; the latter only when the lowest is an earlier
        screening (the latest compared with itself says nothing)."""
        first = (FIRST_TO_LATEST, self.screenings[0], self.overall)
        if self.lowest is self.latest:
            return (first,)
        return (first, (LOWEST_TO_LATEST, self.lowest, self.from_lowest))

    @property
    def close_together(self) -> tuple[tuple[Screening, Screening, int], ...]:
        """Consecutive screenings less than REPEAT_AFTER_DAYS apart, with the days between."""
        return tuple(
            (before, after, days)
            for before, after in pairwise(self.screenings)
            if (days := (after.completed_at - before.completed_at).days) < REPEAT_AFTER_DAYS
        )

    @property
    def flagged(self) -> tuple[Screening, ...]:
        """Every screening whose safety item was above 0, oldest first: a positive answer in
        the past stays in view however the later totals read."""
        return tuple(screening for screening in self.screenings if screening.result.safety_flag)

    @property
    def mixes_code_versions(self) -> bool:
        """Version-1 codes among sealed ones (versions 2 to 4 share one sealed format)."""
        versions = {screening.code_version for screening in self.screenings}
        return 1 in versions and len(versions) > 1


def change_rule_text(instrument: Instrument, translate: Translate) -> str:
    """The rule the changes are read by, with the instrument's numbers, and its source."""
    cut_off = instrument.clinical_cut_off
    points = instrument.reliable_change.points
    rule = translate(CHANGE_RULE, points=points, below=cut_off - 1, above=cut_off)
    return f"{rule} {instrument.reliable_change.source}"


def close_together_text(
    series: Series, translate: Translate, plural: TranslatePlural, date: Callable[[datetime], str]
) -> str:
    """The screenings less than 2 weeks apart, in one sentence (empty when there are none)."""
    pairs = [
        translate(
            CLOSE_PAIR,
            first=date(before.completed_at),
            second=date(after.completed_at),
            days=plural(*DAYS, days),
        )
        for before, after, days in series.close_together
    ]
    return translate(CLOSE_TOGETHER, pairs="; ".join(pairs)) if pairs else ""


def zero_total_texts(
    series: Series, translate: Translate, date: Callable[[datetime], str]
) -> list[str]:
    """A note for each screening whose total is 0, oldest first."""
    return [
        translate(ZERO_TOTAL_IN_SERIES, date=date(screening.completed_at))
        for screening in series.screenings
        if screening.result.total == 0
    ]
