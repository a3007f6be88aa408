"""How a screening was administered: self-completed online, on the paper form and entered by
staff, or read aloud in an interview. Pure.

Self-report and interview modes are known to give different answers, so the mode travels with the
result (sealed in the result code) and the clinician side and FHIR say it. It never changes the
score, the band or the safety flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from screening.core.instrument import Instrument
from screening.core.marks import N_


class Mode(Enum):
    """The values are what the staff entry page posts and what FHIR's tag carries."""

    ONLINE = "online"
    PAPER = "paper"
    INTERVIEW = "interview"


# How the clinician side, the PDFs and FHIR's display name each mode.
MODE_LABELS = {
    Mode.ONLINE: N_("Self-completed online"),
    Mode.PAPER: N_("Paper form, entered by staff"),
    Mode.INTERVIEW: N_("Interview: items read aloud by a clinician or interpreter"),
}
MODE_NOT_RECORDED = N_("not recorded")
# The modes staff enter on the clinician side; online is the patient's own page.
STAFF_MODES = (Mode.PAPER, Mode.INTERVIEW)


def mode_from_text(text: str | None) -> Mode | None:
    """The mode a posted or typed value names, or None for anything else."""
    return next((mode for mode in Mode if mode.value == text), None)


@dataclass(frozen=True)
class ItemsText:
    """The text the items were read in, as a result code records it: its language and its
    fingerprint (hex: the whole SHA-256 of an installed text, or only the bits the code keeps),
    and ``installed``, that text itself when it is installed here (None: no longer installed)."""

    language: str
    fingerprint: str
    installed: Instrument | None = None

    @classmethod
    def of(cls, instrument: Instrument) -> ItemsText:
        return cls(instrument.language, instrument.fingerprint, instrument)


@dataclass(frozen=True)
class Administration:
    """How a screening was given, as far as its result code records it: the interface language
    the patient read the page in, the text of the items and the mode. None where the code does
    not record it (``items`` and ``mode`` before version 5, ``read_in`` before version 4)."""

    read_in: str | None = None
    items: ItemsText | None = None
    mode: Mode | None = None


NOT_RECORDED = Administration()
