"""Local cut-offs: which cut-offs from a translation's own validation apply to a result, and the
clinician's note saying which were applied and why. Pure; no Flask.

They are off unless the clinic sets LOCAL_CUT_OFFS, and then apply only to a result whose items
were read in the translation whose validation study gave them. They never change the patient's
band or what the patient is told: the instrument's bands, the safety item and the crisis rule
stay as published. Hook: ``local_cut_off_notes(result, translate, enabled)`` returns notes in the
shape of ``clinician.clinician_notes``; the clinician pages (intake view, PDF) append them after
their own notes, passing ``current_settings().results.local_cut_offs``.
"""

from __future__ import annotations

from dataclasses import dataclass

from screening.core.clinician import Note, Translate
from screening.core.instrument import LocalCutOff
from screening.core.marks import N_
from screening.core.scoring import ScreeningResult

LOCAL_CUT_OFF_LABEL = N_("Local cut-off:")
LOCAL_CUT_OFF_NOTE = N_(
    "a total of %(minimum)s or more: %(meaning)s (%(source)s). This total, %(total)s, is "
    "%(verdict)s. Applied because the clinic uses local cut-offs and the items were read in "
    "%(citation)s, version %(version)s, %(status)s, whose validation gives it; the bands above "
    "are the scale's own."
)
AT_OR_ABOVE = N_("at or above it")
BELOW = N_("below it")


@dataclass(frozen=True)
class AppliedCutOff:
    cut_off: LocalCutOff
    met: bool


def applied_local_cut_offs(result: ScreeningResult, enabled: bool) -> tuple[AppliedCutOff, ...]:
    """The translation's local cut-offs against this total, when the clinic uses them."""
    provenance = result.instrument.provenance
    if not enabled or provenance is None:
        return ()
    return tuple(
        AppliedCutOff(cut_off, result.total >= cut_off.min_total)
        for cut_off in provenance.local_cut_offs
    )


def local_cut_off_notes(
    result: ScreeningResult, translate: Translate, enabled: bool
) -> tuple[Note, ...]:
    """One note per applied local cut-off: which, with its source, whether it is met, and why
    it was applied."""
    _ = translate
    provenance = result.instrument.provenance
    if provenance is None:
        return ()
    return tuple(
        Note(
            _(LOCAL_CUT_OFF_LABEL),
            _(
                LOCAL_CUT_OFF_NOTE,
                minimum=applied.cut_off.min_total,
                meaning=applied.cut_off.meaning,
                source=applied.cut_off.source,
                total=result.total,
                verdict=_(AT_OR_ABOVE if applied.met else BELOW),
                citation=provenance.source.citation,
                version=provenance.source.version,
                status=_(provenance.status),
            ),
        )
        for applied in applied_local_cut_offs(result, enabled)
    )
