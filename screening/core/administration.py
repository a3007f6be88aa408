"""How a screening was administered: self-completed online, on the paper form and entered by
staff, or read aloud in an interview. Pure.

Self-report and interview modes are known to give different answers, so the mode travels with the
result (sealed in the result code) and the clinician side and FHIR say it. It never changes the
score, the band or the safety flag.
"""

from __future__ import annotations

from enum import Enum

from screening.core.marks import N_


class Mode(Enum):
    """The values are what the staff entry page posts and what FHIR's tag carries."""

    ONLINE = "online"
    PAPER = "paper"
    INTERVIEW = "interview"


# The one wording of each mode: the clinician's page, the PDF and (in English) FHIR.
MODE_LABELS = {
    Mode.ONLINE: N_("Self-completed online"),
    Mode.PAPER: N_("Paper form, entered by staff"),
    Mode.INTERVIEW: N_("Interview: items read aloud by a clinician or interpreter"),
}
MODE_HEADING = N_("How it was administered")
# The modes staff enter on the clinician side; online is the patient's own page.
STAFF_MODES = (Mode.PAPER, Mode.INTERVIEW)


def mode_from_text(text: str | None) -> Mode | None:
    """The mode a posted or typed value names, or None for anything else."""
    return next((mode for mode in Mode if mode.value == text), None)
