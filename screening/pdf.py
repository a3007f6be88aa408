"""The one-page clinician PDF: stylesheet, story (flowables) and rendering to bytes. No Flask.

``build_story`` returns plain flowables so tests can read them as text; ``render_pdf`` lays them on
an A4 page whose template draws the footer. Every dynamic string is escaped before it becomes
Paragraph markup.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from screening.clinic import Clinic
from screening.dates import for_people
from screening.qr import qr_drawing
from screening.scoring import ScreeningResult

MARGIN = 15 * mm
QR_SIZE = 26 * mm
FOOTER_HEIGHT = 10 * mm
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
ALERT = colors.HexColor("#a4262c")
ALERT_BACKGROUND = colors.HexColor("#fdecea")
SHADE = colors.HexColor("#f0f4f8")

NOT_A_DIAGNOSIS = (
    "This is a screening result, not a diagnosis. The EPDS score should not override clinical "
    "judgment. A careful clinical assessment should be carried out to confirm the diagnosis. The "
    "scale indicates how the person has felt during the previous week. In doubtful cases it may be "
    "useful to repeat the screening after 2 weeks. The scale will not detect anxiety neuroses, "
    "phobias or personality disorders."
)


@cache
def styles() -> StyleSheet1:
    """The PDF's one stylesheet, built once per process."""
    sheet = StyleSheet1()
    base = ParagraphStyle("Body", fontName="Helvetica", fontSize=8.5, leading=10.5, textColor=INK)
    sheet.add(base)
    sheet.add(
        ParagraphStyle("Letterhead", base, fontName="Helvetica-Bold", fontSize=13, leading=16)
    )
    sheet.add(ParagraphStyle("Contact", base, textColor=MUTED))
    sheet.add(ParagraphStyle("Title", base, fontName="Helvetica-Bold", fontSize=12, leading=15))
    sheet.add(ParagraphStyle("Cell", base, fontSize=8, leading=9.5))
    sheet.add(ParagraphStyle("CellBold", base, fontName="Helvetica-Bold", fontSize=8, leading=9.5))
    sheet.add(ParagraphStyle("Alert", base, fontName="Helvetica-Bold", textColor=ALERT))
    sheet.add(ParagraphStyle("Small", base, fontSize=6.5, leading=8, textColor=MUTED))
    return sheet


def _p(text: str, style: str = "Body") -> Paragraph:
    """A paragraph of plain text: escaped, so '<', '&' and '>' print as themselves."""
    return Paragraph(escape(text), styles()[style])


def _markup(markup: str, style: str = "Body") -> Paragraph:
    """A paragraph of our own markup; callers escape every dynamic part they put in."""
    return Paragraph(markup, styles()[style])


def _letterhead(clinic: Clinic) -> list[Flowable]:
    contact = [clinic.hours, f"Tel. {clinic.phone}"]
    if clinic.address:
        contact.append(clinic.address)
    return [
        _p(clinic.name, "Letterhead"),
        _p(" \u00b7 ".join(contact), "Contact"),
        Spacer(1, 3 * mm),
    ]


def _safety_box(result: ScreeningResult) -> Table:
    answer = result.safety_answer
    text = (
        f"<b>URGENT: item {answer.item.number} (thoughts of self-harm) answered "
        f"\u201c{escape(answer.option.label)}\u201d (score {answer.score}).</b> "
        "Assess risk today, before the patient leaves, whatever the total score. "
        f"{escape(result.instrument.safety_rule.source)}"
    )
    box = Table([[_markup(text, "Alert")]], colWidths=["100%"])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, ALERT),
                ("BACKGROUND", (0, 0), (-1, -1), ALERT_BACKGROUND),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return box


def _summary(result: ScreeningResult) -> Table:
    rows = [
        [
            _p("Total score", "CellBold"),
            _markup(f"<b>{result.total}</b> out of {result.max_total}", "Cell"),
        ],
        [
            _p("Band", "CellBold"),
            _markup(f"<b>{escape(result.band.label)}</b>", "Cell"),
        ],
    ]
    for sub in result.subscales:
        verdict = sub.subscale.flag_text if sub.flagged else sub.subscale.below_text
        rows.append(
            [
                _p(sub.subscale.label, "CellBold"),
                _p(f"{sub.score} out of {sub.max_score}. {verdict} {sub.subscale.source}", "Cell"),
            ]
        )
    rule = result.instrument.safety_rule
    flag = "YES: needs assessment today" if result.safety_flag else "No"
    rows.append(
        [
            _p(f"Item {rule.item} flag", "CellBold"),
            _p(f"{flag} (score {result.safety_answer.score})", "Cell"),
        ]
    )
    table = Table(rows, colWidths=[38 * mm, 142 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _plain_cells(*commands: tuple) -> list[tuple]:
    """Table style for cells given as plain strings: cheaper than Paragraphs, and never wrapped."""
    return [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        *commands,
    ]


def _answers_table(result: ScreeningResult) -> Table:
    rows: list[list[object]] = [["#", "Question", "Answer chosen", "Score"]]
    for answer in result.answers:
        star = "*" if answer.item.is_reverse_scored else ""
        rows.append(
            [
                f"{answer.item.number}{star}",
                _p(answer.item.text, "Cell"),
                _p(answer.option.label, "Cell"),
                str(answer.score),
            ]
        )
    rows.append(["", "Total", "", str(result.total)])
    table = Table(rows, colWidths=[9 * mm, 78 * mm, 80 * mm, 13 * mm])
    table.setStyle(
        TableStyle(
            _plain_cells(
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            )
        )
    )
    return table


def _blank_lines() -> Table:
    """Lines for the clinician to fill in by hand at intake."""
    rows = [["Patient name:", "", "Date of birth:", ""], ["Clinician:", "", "Signature:", ""]]
    table = Table(rows, colWidths=[24 * mm, 70 * mm, 24 * mm, 62 * mm], rowHeights=9 * mm)
    table.setStyle(
        TableStyle(
            _plain_cells(
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, INK),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, INK),
            )
        )
    )
    return table


@dataclass(frozen=True)
class Printout:
    """What the page shows: the scored answers, whose letterhead, when, and the result code."""

    result: ScreeningResult
    clinic: Clinic
    completed_at: datetime
    result_code: str


def _for_the_clinician(printout: Printout) -> Table:
    result = printout.result
    instrument = result.instrument
    lines = [_p("For the clinician", "CellBold")]
    if result.safety_flag:
        answer = result.safety_answer
        lines.append(
            _markup(
                f"<b>Item {answer.item.number} response, verbatim:</b> "
                f"\u201c{escape(answer.item.text)}\u201d: "
                f"\u201c{escape(answer.option.label)}\u201d (score {answer.score}).",
                "Cell",
            )
        )
    bands = "; ".join(
        f"{band.min}\u2013{band.max} {band.label.lower()}" for band in instrument.bands
    )
    lines.append(_p(f"Bands used: {bands}.", "Cell"))
    lines += [_p(source, "Cell") for source in instrument.interpretation_sources]
    lines.append(
        _markup(
            f"<b>Result code:</b> <font name='Courier-Bold'>{escape(printout.result_code)}</font> "
            "(restores this result on the clinic's intake page; it holds the answers).",
            "Cell",
        )
    )
    qr = qr_drawing(printout.result_code, QR_SIZE)
    table = Table([[lines, qr]], colWidths=[180 * mm - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def build_story(printout: Printout) -> list[Flowable]:
    """Everything on the page, top to bottom, as flowables."""
    result, clinic = printout.result, printout.clinic
    instrument = result.instrument
    story: list[Flowable] = _letterhead(clinic)
    story.append(_p(f"{instrument.title}: screening result", "Title"))
    story.append(
        _p(
            f"Completed {for_people(printout.completed_at, clinic.timezone)} "
            f"({clinic.timezone.key}). {instrument.version_note}. "
            "Looks back over the past 7 days.",
            "Contact",
        )
    )
    story.append(Spacer(1, 3 * mm))
    if result.safety_flag:
        story += [_safety_box(result), Spacer(1, 3 * mm)]
    story += [_summary(result), Spacer(1, 3 * mm), _answers_table(result)]
    story.append(_p("* reverse-scored item: the first option scores 3.", "Small"))
    story += [Spacer(1, 2 * mm), _p(NOT_A_DIAGNOSIS), Spacer(1, 3 * mm)]
    story += [_for_the_clinician(printout), _blank_lines()]
    story += [Spacer(1, 3 * mm), _p(instrument.notice, "Small")]
    return story


def _draw_footer(clinic: Clinic) -> object:
    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        y = MARGIN - 4 * mm
        canvas.line(MARGIN, y + 3.5 * mm, A4[0] - MARGIN, y + 3.5 * mm)
        canvas.drawString(MARGIN, y, f"{clinic.name} \u00b7 Tel. {clinic.phone}")
        canvas.drawRightString(
            A4[0] - MARGIN, y, f"Screening, not diagnosis \u00b7 Page {canvas.getPageNumber()}"
        )
        canvas.restoreState()

    return draw


def render_pdf(printout: Printout) -> bytes:
    """The result as a one-page A4 PDF with title, author and language metadata."""
    result, clinic = printout.result, printout.clinic
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=f"{result.instrument.short_title} screening result",
        author=clinic.name,
        subject="Screening, not diagnosis",
        creator=clinic.name,
        lang=result.instrument.language,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_draw_footer(clinic))])
    doc.build(build_story(printout))
    return buffer.getvalue()
