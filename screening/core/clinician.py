"""Notes for the clinician about one result, shared by the PDF and the intake view. Pure; no Flask.

These are the clinician's side of the product: the safety item's answer verbatim, what a total
of 0 or a very high total asks of the clinician, the band and the next step, and which language
the items were in and which the patient read the page in. Patients' pages never show them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from babel import Locale

from screening.core.administration import (
    MODE_LABELS,
    MODE_NOT_RECORDED,
    STAFF_MODES,
    Administration,
    ItemsText,
    Mode,
)
from screening.core.instrument import Subscale
from screening.core.marks import N_
from screening.core.scoring import ScreeningResult

Translate = Callable[..., str]

ZERO_TOTAL = N_(
    "A total of 0 may mean that the person was not comfortable answering fully (PIRI, Further "
    "assessment of depression)."
)
CRISIS_ACTION = N_(
    "Total of %(threshold)s or more: also assess the safety of mother and infant and the need "
    "for crisis support (PIRI, Further assessment of depression)."
)
FLAGGED_BAND = N_(
    "Total in the %(low)s\u2013%(high)s range; item %(number)s is positive: assess today, "
    "whatever the total"
)
# The next step for each band, by the band's place among the instrument's bands (cut-offs in the
# instrument file): the lowest band, which reassures, the ones between, and the top one.
NEXT_STEP_LOWEST = N_(
    "The total alone does not call for follow-up; act on any clinical concern, and repeat the "
    "screening if in doubt."
)
# After a pregnancy loss or a baby's death there may be no infant: the patient, and any children.
CRISIS_ACTION_AFTER_LOSS = N_(
    "Total of %(threshold)s or more: also assess the patient's safety (and that of any children "
    "in her care) and the need for crisis support (PIRI, Further assessment of depression)."
)
NEXT_STEP_CRISIS_AFTER_LOSS = N_(
    "Total of %(threshold)s or more: assess the patient's safety (and that of any children in "
    "her care) and the need for crisis support."
)
NEXT_STEP_MIDDLE = N_("Monitor, and repeat the EPDS in 2\u20134 weeks (NSW Health).")
NEXT_STEP_TOP = N_("Arrange a clinical assessment for depression.")
NEXT_STEP_CRISIS = N_(
    "Total of %(threshold)s or more: assess the safety of mother and infant and the need for "
    "crisis support."
)
NEXT_STEP_FLAGGED = N_(
    "Item %(number)s is positive: assess risk today, whatever the total, and record the outcome "
    "and the plan below."
)
SUBSCALE_HEADING = N_("%(name)s (research cut-off %(threshold)s)")
ITEMS_AND_INTERFACE = N_("Items read in %(items)s; interface in %(interface)s.")
# On paper or in an interview there is no interface: only the items' language.
ITEMS_ONLY = N_("Items read in %(items)s.")
# Answers given aloud (through an interpreter, or with family present) disclose less, item 10
# above all (second read by a perinatal psychiatrist, 2026-12-04).
GIVEN_ALOUD = N_(
    "Given aloud: a score of 0 on item %(number)s does not rule out risk; ask about it in private."
)
# The safety item's answer as the patient read it, or, when her text is no longer installed, in
# the wording installed here: never called verbatim when it is not.
VERBATIM = N_("Item %(number)s response, verbatim:")
IN_WORDING_HERE = N_(
    "Item %(number)s response, in the wording installed here (the patient's text is no longer "
    "installed):"
)
# What a version-5 code records of the items' text: an installed translation by its source, version,
# status and the first 8 hex digits of its fingerprint; one no longer installed by the code's own
# bits of that fingerprint.
TRANSLATED_ITEMS = N_(
    "%(language)s \u2014 %(source)s, version %(version)s, %(status)s, fingerprint %(fingerprint)s"
)
ITEMS_NOT_INSTALLED = N_("%(language)s (fingerprint %(fingerprint)s)")
TEXT_NOT_INSTALLED = N_(
    "The text these items were read in is no longer installed here; the score is unaffected."
)
FINGERPRINT_SHOWN = 8
CONFIRM_VERBALLY = N_("Confirm the answer to item %(number)s verbally.")
LANGUAGE_UNRECORDED = N_(
    "The result code does not record the language the patient read the page in. If they may not "
    "read %(items)s well, confirm the answer to item %(number)s verbally."
)

# A series of screenings: each one whose safety item was above 0, and what to do about it.
FLAGGED_SCREENING = N_(
    "%(date)s: item %(number)s answered \u201c%(answer)s\u201d (score %(score)s)"
)
ASSESS_TODAY = N_(
    "Assess risk today, whatever the total score; if the patient is not with you, contact the "
    "patient today."
)
PAST_FLAG_ADVICE = N_(
    "Check that risk was assessed and recorded after that screening, and ask about thoughts of "
    "self-harm again now, whatever the later totals."
)


@dataclass(frozen=True)
class Note:
    label: str
    text: str


def language_name(code: str, in_language: str) -> str:
    """E.g. 'English', 'англійська': a language's name as the interface language writes it."""
    return Locale.parse(code).get_display_name(in_language) or code


def items_in_words(items: ItemsText, translate: Translate, interface_language: str) -> str:
    """The text the items were read in: its language, and for a translation its source, version,
    status and fingerprint; for a text no longer installed, the code's bits of its fingerprint."""
    _ = translate
    language = language_name(items.language, interface_language)
    text = items.installed
    if text is None:
        return _(ITEMS_NOT_INSTALLED, language=language, fingerprint=items.fingerprint)
    if text.provenance is None:
        return language
    return _(
        TRANSLATED_ITEMS,
        language=language,
        source=text.provenance.source.citation,
        version=text.provenance.source.version,
        status=_(text.provenance.status),
        fingerprint=text.fingerprint[:FINGERPRINT_SHOWN],
    )


def language_note(
    result: ScreeningResult,
    translate: Translate,
    interface_language: str,
    administration: Administration,
) -> Note:
    """Which text the items were in and which language the patient read the page in, names
    written in ``interface_language``. A code before version 5 does not record the items' text:
    the items are then taken to be the instrument's (``result.instrument``); before version 4 it
    does not record the interface language either."""
    _, instrument = translate, result.instrument
    read_in, recorded = administration.read_in, administration.items
    items_language = recorded.language if recorded else instrument.language
    items = (
        items_in_words(recorded, translate, interface_language)
        if recorded
        else language_name(instrument.language, interface_language)
    )
    number = instrument.safety_rule.item
    if read_in is None:
        text = _(LANGUAGE_UNRECORDED, items=items, number=number)
        label = ""
    else:
        interface = language_name(read_in, interface_language)
        if administration.mode in STAFF_MODES:
            text = _(ITEMS_ONLY, items=items)
        else:
            text = _(ITEMS_AND_INTERFACE, items=items, interface=interface)
        if read_in != items_language:
            text = f"{text} {_(CONFIRM_VERBALLY, number=number)}"
        label = _("Language:")
    if recorded is not None and recorded.installed is None:
        text = f"{text} {_(TEXT_NOT_INSTALLED)}"
    return Note(label, text)


def mode_in_words(administration: Administration, translate: Translate) -> str:
    """How the screening was given, e.g. "Self-completed online"; "not recorded" before version
    5 of the result code."""
    mode = administration.mode
    return translate(MODE_LABELS[mode] if mode is not None else MODE_NOT_RECORDED)


def mode_note(administration: Administration, translate: Translate, number: int) -> Note:
    """The mode, for the clinician: self-report and interview are known to give different
    answers, and an interview's item ``number`` (the safety item) asks to be asked again."""
    _ = translate
    text = mode_in_words(administration, translate)
    if administration.mode is Mode.INTERVIEW:
        text = f"{text}. {_(GIVEN_ALOUD, number=number)}"
    return Note(_("Mode:"), text)


def clinician_notes(
    result: ScreeningResult,
    translate: Translate,
    interface_language: str,
    administration: Administration,
    loss: bool = False,
) -> tuple[Note, ...]:
    """What the clinician should see besides the scores, most urgent first; ``administration``
    is what the result code records of how it was given (the interface language, the items'
    text, the mode); ``loss``, that the code records a pregnancy that ended or a baby who
    died."""
    _ = translate
    instrument = result.instrument
    notes = []
    if result.safety_flag:
        answer = result.safety_answer
        # Each language has its own quotation marks: “…” in English, «…» in Ukrainian and Russian.
        item_text = _("\u201c%(text)s\u201d", text=answer.item.text)
        option_text = _("\u201c%(text)s\u201d", text=answer.option.label)
        score_text = _("score %(score)s", score=answer.score)
        items = administration.items
        gone = items is not None and items.installed is None
        label = _(IN_WORDING_HERE if gone else VERBATIM, number=answer.item.number)
        notes.append(Note(label, f"{item_text}: {option_text} ({score_text})."))
    if result.total >= instrument.crisis_support.min_total:
        threshold = instrument.crisis_support.min_total
        action = CRISIS_ACTION_AFTER_LOSS if loss else CRISIS_ACTION
        notes.append(Note(_("Crisis support:"), _(action, threshold=threshold)))
    if result.total == 0:
        notes.append(Note(_("Total of 0:"), _(ZERO_TOTAL)))
    notes.append(language_note(result, translate, interface_language, administration))
    notes.append(mode_note(administration, translate, instrument.safety_rule.item))
    return tuple(notes)


def subscale_heading(subscale: Subscale, translate: Translate) -> str:
    """E.g. 'EPDS-3A (research cut-off 5)': a subscale's column, its cut-off from the data."""
    return translate(SUBSCALE_HEADING, name=subscale.name, threshold=subscale.threshold)


def band_text(result: ScreeningResult, translate: Translate) -> str:
    """The band as the clinician reads it, with its range; with a positive safety item, never a
    band name that could read as reassuring."""
    _, band = translate, result.band
    if result.safety_flag and band.reassuring:
        number = result.instrument.safety_rule.item
        return _(FLAGGED_BAND, low=band.min, high=band.max, number=number)
    return f"{_(band.label)} ({band.min}\u2013{band.max})"


def next_steps(
    result: ScreeningResult, translate: Translate, loss: bool = False
) -> tuple[str, ...]:
    """What the clinician does next, most urgent first: the safety item, a total high enough
    for crisis support (worded for a loss when ``loss``), then the band's own step."""
    _, instrument = translate, result.instrument
    steps = []
    if result.safety_flag:
        steps.append(_(NEXT_STEP_FLAGGED, number=instrument.safety_rule.item))
    if result.total >= instrument.crisis_support.min_total:
        crisis = NEXT_STEP_CRISIS_AFTER_LOSS if loss else NEXT_STEP_CRISIS
        steps.append(_(crisis, threshold=instrument.crisis_support.min_total))
    if result.band == instrument.bands[-1]:
        steps.append(_(NEXT_STEP_TOP))
    elif result.band != instrument.bands[0]:
        steps.append(_(NEXT_STEP_MIDDLE))
    elif not result.safety_flag:
        steps.append(_(NEXT_STEP_LOWEST))
    return tuple(steps)
