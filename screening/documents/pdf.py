"""The one-page clinician PDF of one result: its story (flowables) on the shared base's page
(screening/documents/pdf_base.py). No Flask.

``build_story`` returns plain flowables so tests can read them as text; ``render_pdf`` lays them
on the base's A4 page, which draws the footer. Every dynamic string is escaped before it becomes
Paragraph markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from screening.core.administration import NOT_RECORDED, Administration
from screening.core.clinic import Clinic
from screening.core.clinician import ASSESS_TODAY, Note, band_text, clinician_notes, next_steps
from screening.core.context import LABEL as CONTEXT_LABEL
from screening.core.context import NO_INFANT, NOT_GIVEN, Context, describe
from screening.core.dates import for_people
from screening.core.marks import N_, NP_
from screening.core.scoring import ScreeningResult
from screening.core.translator import ENGLISH, Translator
from screening.documents.pdf_base import (
    CODE,
    GAP,
    INK,
    RULE,
    RULED_TABLE,
    SHADE,
    Renderer,
    alert_box,
    bands_used,
    columns,
    fixed,
    fonts,
    laying_out_fixed_text,
    letterhead,
    licence_notice,
    markup,
    paragraph,
    plain_cells,
    table_style,
)
from screening.documents.qr import QrFlowable

QR_SIZE = 26 * mm

NOT_A_DIAGNOSIS = N_(
    "This is a screening result, not a diagnosis. The EPDS score should not override clinical "
    "judgment. A careful clinical assessment should be carried out to confirm the diagnosis. The "
    "scale indicates how the person has felt during the previous week. In doubtful cases it may "
    "be useful to repeat the screening after 2 weeks. The scale will not detect anxiety "
    "neuroses, phobias or personality disorders."
)
FOR_YOUR_CLINICIAN = N_("For your clinician")
MADE_SAME_DAY = N_("This PDF was made on the day of the screening.")
MADE_DAYS_AFTER = NP_(
    "This PDF was made %(num)s day after the screening.",
    "This PDF was made %(num)s days after the screening.",
)
FOR_WHOM = N_("This result applies to the person who is pregnant or has given birth.")


@dataclass(frozen=True)
class Printout:
    """What the page shows: the scored answers, whose letterhead, when, the result code, the
    interface language's translator, the answer to the question before the items, when it is
    printed and the language the patient answered in."""

    result: ScreeningResult
    clinic: Clinic
    completed_at: datetime
    result_code: str
    translator: Translator = ENGLISH
    context: Context = NOT_GIVEN
    # When the PDF is made, so it says how old the result is on paper; None leaves that out.
    printed_at: datetime | None = None
    # How the screening was given (the interface language, the items' text, the mode), as far
    # as the result code records it.
    administration: Administration = NOT_RECORDED
    # The local cut-offs applied (screening/core/local_cut_offs.py), when the clinic uses them.
    local_cut_off_notes: tuple[Note, ...] = ()


def _safety_box(printout: Printout, width: float) -> Table:
    _, result = printout.translator.gettext, printout.result
    answer = result.safety_answer
    headline = _(
        "URGENT: item %(number)s (thoughts of self-harm) answered \u201c%(answer)s\u201d "
        "(score %(score)s).",
        number=answer.item.number,
        answer=answer.option.label,
        score=answer.score,
    )
    advice = _(ASSESS_TODAY)
    text = (
        f"<b>{escape(headline)}</b> {escape(advice)} "
        f"{escape(_(result.instrument.safety_rule.source))}"
    )
    rows = [markup(text, "Alert"), fixed(_crisis_numbers(printout), "Cell")]
    return alert_box(rows, width, padding=(4, 5))


def _crisis_numbers(printout: Printout) -> str:
    """The numbers the patient's result page gave, so the clinician sees the same tiers."""
    _, clinic = printout.translator.gettext, printout.clinic
    return _(
        "Numbers given to the patient: emergency %(numbers)s; %(line)s %(crisis)s (day and "
        "night); %(clinic)s %(phone)s (%(hours)s).",
        numbers=", ".join(clinic.emergency_numbers),
        line=_(clinic.crisis_line_name),
        crisis=clinic.crisis_line,
        clinic=clinic.name,
        phone=clinic.phone,
        hours=clinic.hours,
    )


def _summary(printout: Printout, width: float) -> Table:
    _, result = printout.translator.gettext, printout.result
    out_of = _("%(score)s out of %(maximum)s", score=result.total, maximum=result.max_total)
    band = band_text(result, _)
    loss = printout.context.status in NO_INFANT
    steps = " ".join(next_steps(result, _, loss))
    rows = [
        [fixed(_("Total score"), "CellBold"), markup(f"<b>{escape(out_of)}</b>", "Cell")],
        [fixed(_("Band"), "CellBold"), markup(f"<b>{escape(band)}</b>", "Cell")],
        [fixed(_("Next step"), "CellBold"), paragraph(steps, "Cell")],
    ]
    for sub in result.subscales:
        verdict = _(sub.verdict, threshold=sub.subscale.threshold)
        score_text = _("%(score)s out of %(maximum)s", score=sub.score, maximum=sub.max_score)
        rows.append(
            [
                fixed(_(sub.subscale.label), "CellBold"),
                paragraph(f"{score_text}. {verdict}", "Cell"),
            ]
        )
    rule = result.instrument.safety_rule
    flag = _("YES: needs assessment today") if result.safety_flag else _("No")
    rows.append(
        [
            fixed(_("Item %(number)s flag", number=rule.item), "CellBold"),
            paragraph(
                _("%(flag)s (score %(score)s)", flag=flag, score=result.safety_answer.score), "Cell"
            ),
        ]
    )
    context = describe(printout.context, _, printout.translator.ngettext)
    rows.append([fixed(_(CONTEXT_LABEL), "CellBold"), paragraph(context, "Cell")])
    table = Table(rows, colWidths=columns(width, 38, 142))
    table.setStyle(
        table_style(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _answers_table(printout: Printout, width: float) -> Table:
    _, result = printout.translator.gettext, printout.result
    _regular, bold = fonts()
    rows: list[list[object]] = [["#", _("Question"), _("Answer chosen"), _("Score")]]
    for answer in result.answers:
        star = "*" if answer.item.is_reverse_scored else ""
        rows.append(
            [
                f"{answer.item.number}{star}",
                fixed(answer.item.text, "Cell"),
                # Every option's label is laid out at start-up: which one is here is not kept.
                fixed(answer.option.label, "Cell"),
                str(answer.score),
            ]
        )
    rows.append(["", _("Total"), "", str(result.total)])
    table = Table(rows, colWidths=columns(width, 9, 78, 80, 13))
    table.setStyle(
        table_style(
            plain_cells(
                ("FONT", (0, 0), (-1, 0), bold, 8),
                ("FONT", (0, -1), (-1, -1), bold, 8),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                *RULED_TABLE,
            )
        )
    )
    return table


def _blank_lines(printout: Printout, width: float) -> Table:
    """Lines for the clinician to fill in by hand at intake."""
    _ = printout.translator.gettext
    rows = [
        [_("Patient name:"), "", _("Date of birth:"), ""],
        [_("Risk assessed (date):"), "", _("Outcome:"), ""],
        [_("Plan:"), "", "", ""],
        [_("Clinician:"), "", _("Signature:"), ""],
    ]
    table = Table(rows, colWidths=columns(width, 30, 64, 22, 64), rowHeights=6.5 * mm)
    regular, _bold = fonts()
    table.setStyle(
        table_style(
            plain_cells(
                ("FONT", (0, 0), (-1, -1), regular, 8.5),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, INK),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, INK),
                # The plan gets the whole line.
                ("SPAN", (1, 2), (3, 2)),
            )
        )
    )
    return table


def _for_the_clinician(printout: Printout, width: float) -> Table:
    translator, result = printout.translator, printout.result
    _ = translator.gettext
    instrument = result.instrument
    lines = [fixed(_("For the clinician"), "CellBold")]
    loss = printout.context.status in NO_INFANT
    notes = clinician_notes(result, _, translator.language, printout.administration, loss)
    notes += printout.local_cut_off_notes
    lines += [markup(f"<b>{escape(note.label)}</b> {escape(note.text)}", "Cell") for note in notes]
    lines.append(bands_used(instrument, translator))
    sources = [
        *instrument.references,
        *instrument.interpretation_sources,
        *(sub.source for sub in instrument.subscales),
    ]
    lines += [fixed(source, "Small") for source in sources]
    code_label = _("Result code:")
    explanation = _("restores this result on the clinic's intake page; it holds the answers")
    lines.append(
        markup(
            f"<b>{escape(code_label)}</b> "
            f"<font name='{CODE}'>{escape(printout.result_code)}</font> "
            f"({escape(explanation)}).",
            "Cell",
        )
    )
    qr = QrFlowable(printout.result_code, QR_SIZE)
    table = Table([[lines, qr]], colWidths=[width - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm])
    table.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def build_story(printout: Printout, width: float | None = None) -> list[Flowable]:
    """Everything on the page, top to bottom, as flowables; ``width`` is the frame's (by
    default the result page's)."""
    width = ResultRenderer.frame_width() if width is None else width
    translator, result, clinic = printout.translator, printout.result, printout.clinic
    _ = translator.gettext
    instrument = result.instrument
    story: list[Flowable] = letterhead(clinic, translator)
    # The patient downloads this page too: its first words say whom it is for.
    story.append(fixed(_(FOR_YOUR_CLINICIAN), "Title"))
    story.append(fixed(_("%(title)s: screening result", title=instrument.title), "Title"))
    when = for_people(printout.completed_at, clinic.timezone, translator.language)
    story.append(
        paragraph(
            _("Completed %(when)s (%(zone)s).", when=when, zone=clinic.timezone.key)
            + f" {_age(printout)}{_(instrument.version_note)}. "
            + _("Looks back over the past 7 days."),
            "Contact",
        )
    )
    story.append(Spacer(1, GAP))
    if result.safety_flag:
        story += [_safety_box(printout, width), Spacer(1, GAP)]
    story += [_summary(printout, width), Spacer(1, GAP), _answers_table(printout, width)]
    story.append(fixed(_("* reverse-scored item: the first option scores 3."), "Small"))
    story += [
        Spacer(1, 2 * mm),
        fixed(f"{_(NOT_A_DIAGNOSIS)} {_(FOR_WHOM)}", "Cell"),
        Spacer(1, GAP),
    ]
    story += [_for_the_clinician(printout, width), _blank_lines(printout, width)]
    story += [Spacer(1, GAP), licence_notice(instrument.notice, clinic, translator)]
    return story


def _age(printout: Printout) -> str:
    """How old the result is when the PDF is made, with a space after it; empty without a
    printing time."""
    if printout.printed_at is None:
        return ""
    zone = printout.clinic.timezone
    made, completed = (
        moment.astimezone(zone).date() for moment in (printout.printed_at, printout.completed_at)
    )
    days = max(0, (made - completed).days)
    if not days:
        return printout.translator.gettext(MADE_SAME_DAY) + " "
    return printout.translator.ngettext(*MADE_DAYS_AFTER, days) + " "


class ResultRenderer(Renderer):
    """One result on one A4 page, with title, author and language metadata. Content that does
    not fit (clinic settings at their maximum length) is scaled down to fit."""

    def __init__(self, printout: Printout) -> None:
        super().__init__(printout.clinic, printout.translator)
        self.printout = printout

    def title(self) -> str:
        instrument = self.printout.result.instrument
        return self.translator.gettext(
            "%(instrument)s screening result", instrument=instrument.short_title
        )

    def story(self, width: float) -> list[Flowable]:
        return build_story(self.printout, width)


def render_pdf(printout: Printout) -> bytes:
    """The result as a one-page A4 PDF."""
    return ResultRenderer(printout).render()


def lay_out_fixed_text(printouts: Iterable[Printout]) -> None:
    """Start-up: lay out the first made-up printout's page and the others' answers tables (only
    there do their fixed words differ), so that the fixed text (``fixed()`` in the story) is
    parsed and broken into lines once per process, not per request."""
    with laying_out_fixed_text():
        for index, printout in enumerate(printouts):
            renderer = ResultRenderer(printout)
            renderer.lay_out(None if index == 0 else partial(_answers_only, printout))


def _answers_only(printout: Printout, width: float) -> list[Flowable]:
    return [_answers_table(printout, width)]
