"""How a screening was administered: self-completed online, on the paper form and entered by
staff, or read aloud in an interview. Pure.

Self-report and interview modes are known to give different answers, so the mode travels with the
result (sealed in the result code) and the clinician side and FHIR say it. It never changes the
score, the band or the safety flag.
"""

from __future__ import annotations

from enum import Enum


class Mode(Enum):
    """The values are what the staff entry page posts and what FHIR's extension carries."""

    ONLINE = "online"
    PAPER = "paper"
    INTERVIEW = "interview"
