"""The optional question asked before the EPDS items (pregnant now, gave birth in the past year,
a pregnancy that ended or a baby who died in the past year, neither, or prefer not to say, with
weeks if known) and its one wording for pages, PDFs and FHIR. Pure.

It stands outside the instrument: the answer travels with the result but never changes the score,
the band or the safety flag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

from screening.core.marks import N_, NP_

Translate = Callable[..., str]  # gettext's signature: (message, **variables)
# ngettext's signature: (singular, plural, number, **variables), the number also as %(num)s.
TranslatePlural = Callable[..., str]


class Status(Enum):
    """What the person chose; the values are what the questionnaire posts. NOT_ASKED is no
    choice: it marks a result restored from a code made before the question existed."""

    NOT_GIVEN = "not-given"
    PREFER_NOT_TO_SAY = "prefer-not-to-say"
    PREGNANT = "pregnant"
    POSTPARTUM = "postpartum"
    NEITHER = "neither"
    # A miscarriage, a termination, a stillbirth or a baby who died: recorded as itself, never
    # folded into "neither", and the pages then do not speak of "your baby".
    LOSS = "loss"
    NOT_ASKED = "not-asked"


# Weeks a person can give for each choice: up to 42 weeks of pregnancy (the end of a post-term
# pregnancy), and from the week of the birth to the end of the year the question asks about.
WEEKS = {Status.PREGNANT: range(1, 43), Status.POSTPARTUM: range(0, 53)}


@dataclass(frozen=True)
class Context:
    """The answer to the question: a status, and weeks only with pregnant or postpartum."""

    status: Status = Status.NOT_GIVEN
    weeks: int | None = None

    def __post_init__(self) -> None:
        if self.weeks is not None and self.weeks not in WEEKS.get(self.status, ()):
            raise ValueError(f"{self.weeks} weeks do not go with {self.status.value}")


NOT_GIVEN = Context()
NOT_ASKED = Context(Status.NOT_ASKED)
LOSS = Context(Status.LOSS)
# The answers after which there is an infant, or one expected.
EXPECTING = frozenset({Status.PREGNANT, Status.POSTPARTUM})
# The answers after which there is no infant to speak of: a loss, or neither pregnant nor a birth
# in the past year. The clinician's crisis-support wording then asks about the patient and any
# children in her care, not "mother and infant" (the patient's own pages change only after a loss).
NO_INFANT = frozenset({Status.LOSS, Status.NEITHER})


def every_context() -> Iterator[Context]:
    """Every answer the question can record, weeks at both ends of their range included (not
    NOT_ASKED, which no one can answer)."""
    yield NOT_GIVEN
    yield Context(Status.PREFER_NOT_TO_SAY)
    yield Context(Status.NEITHER)
    yield Context(Status.LOSS)
    for status, weeks in WEEKS.items():
        yield Context(status)
        for week in weeks:
            yield Context(status, week)


# The clinician's label, and each answer as the page, the PDF and the FHIR export say it.
LABEL = N_("Pregnancy or birth")
NOT_GIVEN_TEXT = N_("not given")
NOT_ASKED_TEXT = N_("not asked (older code)")
PREFER_NOT_TO_SAY_TEXT = N_("prefer not to say")
PREGNANT_TEXT = N_("pregnant")
PREGNANT_WEEKS_TEXT = NP_("pregnant, %(num)s week", "pregnant, %(num)s weeks")
POSTPARTUM_TEXT = N_("gave birth in the past year")
POSTPARTUM_THIS_WEEK_TEXT = N_("gave birth less than a week ago")
POSTPARTUM_WEEKS_TEXT = NP_("gave birth %(num)s week ago", "gave birth %(num)s weeks ago")
NEITHER_TEXT = N_("not pregnant, no birth in the past year")
LOSS_TEXT = N_("pregnancy ended, or baby died, in the past year")


def describe(context: Context, translate: Translate, translate_plural: TranslatePlural) -> str:
    """The answer in words, e.g. 'pregnant, 24 weeks' (gettext and ngettext translate it)."""
    match context:
        case Context(Status.PREGNANT, None):
            return translate(PREGNANT_TEXT)
        case Context(Status.PREGNANT, weeks):
            return translate_plural(*PREGNANT_WEEKS_TEXT, weeks)
        case Context(Status.POSTPARTUM, None):
            return translate(POSTPARTUM_TEXT)
        case Context(Status.POSTPARTUM, 0):
            return translate(POSTPARTUM_THIS_WEEK_TEXT)
        case Context(Status.POSTPARTUM, weeks):
            return translate_plural(*POSTPARTUM_WEEKS_TEXT, weeks)
        case Context(Status.PREFER_NOT_TO_SAY):
            return translate(PREFER_NOT_TO_SAY_TEXT)
        case Context(Status.NEITHER):
            return translate(NEITHER_TEXT)
        case Context(Status.LOSS):
            return translate(LOSS_TEXT)
        case Context(Status.NOT_ASKED):
            return translate(NOT_ASKED_TEXT)
    return translate(NOT_GIVEN_TEXT)
