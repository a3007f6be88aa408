"""The one-page clinician PDF: stylesheet, story (flowables) and rendering to bytes. No Flask.

``build_story`` returns plain flowables so tests can read them as text; ``render_pdf`` lays them on
an A4 page whose template draws the footer. Every dynamic string is escaped before it becomes
Paragraph markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import XMP
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepInFrame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from screening.core.administration import NOT_RECORDED, Administration
from screening.core.clinic import Clinic
from screening.core.clinician import ASSESS_TODAY, band_text, clinician_notes, next_steps
from screening.core.context import LABEL as CONTEXT_LABEL
from screening.core.context import NOT_GIVEN, Context, Status, TranslatePlural, describe
from screening.core.dates import for_people
from screening.core.marks import N_, NP_, english, english_plural
from screening.core.scoring import ScreeningResult
from screening.documents.qr import QrFlowable

MARGIN = 15 * mm
# The frame's width (A4 less the side margins): every table's columns are shares of it.
BODY_WIDTH = A4[0] - 2 * MARGIN
TOP_MARGIN = 10 * mm
QR_SIZE = 26 * mm
FOOTER_HEIGHT = 10 * mm
GAP = 2.5 * mm
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
ALERT = colors.HexColor("#a4262c")
ALERT_BACKGROUND = colors.HexColor("#fdecea")
SHADE = colors.HexColor("#f0f4f8")

FONT_DIRECTORY = Path(__file__).parent / "fonts"  # DejaVu 2.37, licence in its LICENSE file
REGULAR, BOLD, CODE = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold", "DejaVuSansMono-Bold"
FONT_FILES = {font: f"{font}.ttf" for font in (REGULAR, BOLD, CODE)}
Translate = Callable[..., str]


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


class MissingFontError(RuntimeError):
    """A font the PDF embeds is missing from the package: start-up stops rather than print
    without it."""


@cache
def fonts() -> tuple[str, str]:
    """Regular and bold font names, registered once per process: DejaVu Sans Condensed (Unicode,
    Cyrillic included, about as wide as Helvetica), with DejaVu Sans Mono Bold for the result code.
    All ship in ``screening/documents/fonts`` and are embedded as subsets; no standard-14 font
    (which a reader substitutes, and which has no Cyrillic) is ever referenced."""
    missing = [name for name in FONT_FILES.values() if not (FONT_DIRECTORY / name).is_file()]
    if missing:
        raise MissingFontError(
            f"The PDF fonts {', '.join(missing)} are missing from {FONT_DIRECTORY}: the package "
            "is incomplete. Reinstall it (pip install --force-reinstall), or restore screening/"
            "fonts from the repository."
        )
    for font_name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(font_name, str(FONT_DIRECTORY / file_name)))
    registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return REGULAR, BOLD


def require_fonts() -> None:
    """Stop start-up, with the reason, when a PDF font cannot be loaded."""
    fonts()


@cache
def styles() -> StyleSheet1:
    """The PDF's one stylesheet, built once per process."""
    regular, bold = fonts()
    sheet = StyleSheet1()
    base = ParagraphStyle("Body", fontName=regular, fontSize=8.5, leading=10.5, textColor=INK)
    sheet.add(base)
    sheet.add(ParagraphStyle("Letterhead", base, fontName=bold, fontSize=13, leading=16))
    sheet.add(ParagraphStyle("Contact", base, textColor=MUTED))
    sheet.add(ParagraphStyle("Title", base, fontName=bold, fontSize=12, leading=15))
    sheet.add(ParagraphStyle("Cell", base, fontSize=8, leading=9.5))
    sheet.add(ParagraphStyle("CellBold", base, fontName=bold, fontSize=8, leading=9.5))
    sheet.add(ParagraphStyle("Alert", base, fontName=bold, textColor=ALERT))
    sheet.add(ParagraphStyle("Small", base, fontSize=6.5, leading=8, textColor=MUTED))
    return sheet


def paragraph(text: str, style: str = "Body") -> Paragraph:
    """A paragraph of plain text: escaped, so '<', '&' and '>' print as themselves."""
    return Paragraph(escape(text), styles()[style])


def markup(text: str, style: str = "Body") -> Paragraph:
    """A paragraph of our own markup; callers escape every dynamic part they put in."""
    return Paragraph(text, styles()[style])


@dataclass(frozen=True)
class Printout:
    """What the page shows: the scored answers, whose letterhead, when, the result code, the
    interface language's translation functions (gettext's and ngettext's signatures), the
    answer to the question before the items, when it is printed and the language the patient
    answered in."""

    result: ScreeningResult
    clinic: Clinic
    completed_at: datetime
    result_code: str
    translate: Translate = english
    language: str = "en"
    context: Context = NOT_GIVEN
    translate_plural: TranslatePlural = english_plural
    # When the PDF is made, so it says how old the result is on paper; None leaves that out.
    printed_at: datetime | None = None
    # How the screening was given, as far as the result code records it.
    administration: Administration = NOT_RECORDED


def _letterhead(printout: Printout) -> list[Flowable]:
    return letterhead(printout.clinic, printout.translate)


def letterhead(clinic: Clinic, translate: Translate) -> list[Flowable]:
    """The clinic's name and contact line, as on every page the clinic prints."""
    _ = translate
    contact = [clinic.hours, _("Tel. %(phone)s", phone=clinic.phone)]
    if clinic.address:
        contact.append(clinic.address)
    return [
        paragraph(clinic.name, "Letterhead"),
        paragraph(" \u00b7 ".join(contact), "Contact"),
        Spacer(1, GAP),
    ]


def _safety_box(printout: Printout) -> Table:
    _, result = printout.translate, printout.result
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
    box = Table(
        [[markup(text, "Alert")], [paragraph(_crisis_numbers(printout), "Cell")]],
        colWidths=[BODY_WIDTH],
    )
    box.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, ALERT),
                ("BACKGROUND", (0, 0), (-1, -1), ALERT_BACKGROUND),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return box


def _crisis_numbers(printout: Printout) -> str:
    """The numbers the patient's result page gave, so the clinician sees the same tiers."""
    _, clinic = printout.translate, printout.clinic
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


def _summary(printout: Printout) -> Table:
    _, result = printout.translate, printout.result
    out_of = _("%(score)s out of %(maximum)s", score=result.total, maximum=result.max_total)
    band = band_text(result, printout.translate)
    loss = printout.context.status is Status.LOSS
    steps = " ".join(next_steps(result, printout.translate, loss))
    rows = [
        [paragraph(_("Total score"), "CellBold"), markup(f"<b>{escape(out_of)}</b>", "Cell")],
        [paragraph(_("Band"), "CellBold"), markup(f"<b>{escape(band)}</b>", "Cell")],
        [paragraph(_("Next step"), "CellBold"), paragraph(steps, "Cell")],
    ]
    for sub in result.subscales:
        verdict = _(sub.verdict, threshold=sub.subscale.threshold)
        score_text = _("%(score)s out of %(maximum)s", score=sub.score, maximum=sub.max_score)
        rows.append(
            [
                paragraph(_(sub.subscale.label), "CellBold"),
                paragraph(f"{score_text}. {verdict}", "Cell"),
            ]
        )
    rule = result.instrument.safety_rule
    flag = _("YES: needs assessment today") if result.safety_flag else _("No")
    rows.append(
        [
            paragraph(_("Item %(number)s flag", number=rule.item), "CellBold"),
            paragraph(
                _("%(flag)s (score %(score)s)", flag=flag, score=result.safety_answer.score), "Cell"
            ),
        ]
    )
    context = describe(printout.context, _, printout.translate_plural)
    rows.append([paragraph(_(CONTEXT_LABEL), "CellBold"), paragraph(context, "Cell")])
    table = Table(rows, colWidths=_columns(38, 142))
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


def _columns(*shares: float) -> list[float]:
    """Column widths that fill the frame, in proportion to ``shares``."""
    return [BODY_WIDTH * share / sum(shares) for share in shares]


# A table of rows with a shaded header row, as the answers table and the series table are.
RULED_TABLE = (
    ("GRID", (0, 0), (-1, -1), 0.5, RULE),
    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
)


def table_style(commands: Iterable[tuple]) -> TableStyle:
    """A table style whose cells start in the document's font: reportlab's default cell font is
    Helvetica, which would be referenced (not embedded) even where every cell is a Paragraph."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts()[0]), *commands])


def plain_cells(*commands: tuple) -> list[tuple]:
    """Table style for cells given as plain strings: cheaper than Paragraphs, and never wrapped."""
    regular, _bold = fonts()
    return [("FONT", (0, 0), (-1, -1), regular, 8), ("TEXTCOLOR", (0, 0), (-1, -1), INK), *commands]


def _answers_table(printout: Printout) -> Table:
    _, result = printout.translate, printout.result
    _regular, bold = fonts()
    rows: list[list[object]] = [["#", _("Question"), _("Answer chosen"), _("Score")]]
    for answer in result.answers:
        star = "*" if answer.item.is_reverse_scored else ""
        rows.append(
            [
                f"{answer.item.number}{star}",
                paragraph(answer.item.text, "Cell"),
                paragraph(answer.option.label, "Cell"),
                str(answer.score),
            ]
        )
    rows.append(["", _("Total"), "", str(result.total)])
    table = Table(rows, colWidths=_columns(9, 78, 80, 13))
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


def _blank_lines(printout: Printout) -> Table:
    """Lines for the clinician to fill in by hand at intake."""
    _ = printout.translate
    rows = [
        [_("Patient name:"), "", _("Date of birth:"), ""],
        [_("Risk assessed (date):"), "", _("Outcome:"), ""],
        [_("Plan:"), "", "", ""],
        [_("Clinician:"), "", _("Signature:"), ""],
    ]
    table = Table(rows, colWidths=_columns(30, 64, 22, 64), rowHeights=6.5 * mm)
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


def _for_the_clinician(printout: Printout) -> Table:
    _, result = printout.translate, printout.result
    instrument = result.instrument
    lines = [paragraph(_("For the clinician"), "CellBold")]
    loss = printout.context.status is Status.LOSS
    notes = clinician_notes(
        result, printout.translate, printout.language, printout.administration, loss
    )
    lines += [markup(f"<b>{escape(note.label)}</b> {escape(note.text)}", "Cell") for note in notes]
    bands = "; ".join(
        f"{band.min}\u2013{band.max} {_(band.label).lower()}" for band in instrument.bands
    )
    lines.append(paragraph(_("Bands used: %(bands)s.", bands=bands), "Small"))
    sources = [
        *instrument.references,
        *instrument.interpretation_sources,
        *(sub.source for sub in instrument.subscales),
    ]
    lines += [paragraph(source, "Small") for source in sources]
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
    table = Table([[lines, qr]], colWidths=[BODY_WIDTH - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm])
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


def build_story(printout: Printout) -> list[Flowable]:
    """Everything on the page, top to bottom, as flowables."""
    _, result, clinic = printout.translate, printout.result, printout.clinic
    instrument = result.instrument
    story: list[Flowable] = _letterhead(printout)
    # The patient downloads this page too: its first words say whom it is for.
    story.append(paragraph(_(FOR_YOUR_CLINICIAN), "Title"))
    story.append(paragraph(_("%(title)s: screening result", title=instrument.title), "Title"))
    when = for_people(printout.completed_at, clinic.timezone, printout.language)
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
        story += [_safety_box(printout), Spacer(1, GAP)]
    story += [_summary(printout), Spacer(1, GAP), _answers_table(printout)]
    story.append(paragraph(_("* reverse-scored item: the first option scores 3."), "Small"))
    story += [
        Spacer(1, 2 * mm),
        paragraph(f"{_(NOT_A_DIAGNOSIS)} {_(FOR_WHOM)}", "Cell"),
        Spacer(1, GAP),
    ]
    story += [_for_the_clinician(printout), _blank_lines(printout)]
    story += [Spacer(1, GAP), licence_notice(instrument.notice, clinic, printout.translate)]
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
        return printout.translate(MADE_SAME_DAY) + " "
    return printout.translate_plural(*MADE_DAYS_AFTER, days) + " "


def licence_notice(notice: str, clinic: Clinic, translate: Translate) -> Paragraph:
    """The RCPsych notice, with the clinic's permission reference when it has one."""
    _ = translate
    if clinic.permission:
        permission = _(
            "Reproduced with the written permission of the Royal College of Psychiatrists "
            "(%(reference)s).",
            reference=clinic.permission,
        )
        notice = f"{notice} {permission}"
    return paragraph(notice, "Small")


def draw_footer(clinic: Clinic, translate: Translate) -> Callable[[Canvas, BaseDocTemplate], None]:
    """The footer every page carries: the clinic, its phone, "not a diagnosis", the page."""
    _ = translate

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(fonts()[0], 7)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        y = MARGIN - 4 * mm
        canvas.line(MARGIN, y + 3.5 * mm, MARGIN + BODY_WIDTH, y + 3.5 * mm)
        phone = _("Tel. %(phone)s", phone=clinic.phone)
        page = _("Page %(number)s", number=canvas.getPageNumber())
        not_diagnosis = _("Screening, not diagnosis")
        right = f"{not_diagnosis} \u00b7 {page}"
        canvas.drawRightString(MARGIN + BODY_WIDTH, y, right)
        room = BODY_WIDTH - canvas.stringWidth(right) - 4 * mm
        canvas.drawString(MARGIN, y, _fitted(f"{clinic.name} \u00b7 {phone}", canvas, room))
        canvas.restoreState()

    return draw


def _fitted(text: str, canvas: Canvas, width: float) -> str:
    """``text`` cut to ``width`` in the canvas's font, with an ellipsis if anything was cut."""
    if canvas.stringWidth(text) <= width:
        return text
    while text and canvas.stringWidth(text + "\u2026") > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def render_pdf(printout: Printout) -> bytes:
    """The result as a one-page A4 PDF with title, author and language metadata.

    Content that does not fit one page (clinic settings at their maximum length) is built again
    scaled down to fit; the usual page is built once, as it is.
    """
    pdf, pages = _build(printout, shrink_to_one_page=False)
    return pdf if pages == 1 else _build(printout, shrink_to_one_page=True)[0]


def _build(printout: Printout, shrink_to_one_page: bool) -> tuple[bytes, int]:
    _, result = printout.translate, printout.result
    title = _("%(instrument)s screening result", instrument=result.instrument.short_title)
    return build_document(
        build_story(printout),
        printout.clinic,
        printout.translate,
        printout.language,
        title,
        shrink_to_one_page,
    )


def build_document(
    story: list[Flowable],
    clinic: Clinic,
    translate: Translate,
    language: str,
    title: str,
    shrink_to_one_page: bool = False,
) -> tuple[bytes, int]:
    """A4 pages of ``story`` with the footer and the metadata; the PDF and its page count.
    ``shrink_to_one_page`` scales the story down to fit one page."""
    _ = translate
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=title,
        author=clinic.name,
        subject=_("Screening, not diagnosis"),
        creator=clinic.name,
        lang=language,
        # A reader's window and tab show the title, not the file name (PDF/UA asks for this).
        displayDocTitle=True,
        # The canvas starts in this font rather than Helvetica, so no standard-14 font (which a
        # reader substitutes and which has no Cyrillic) is referenced anywhere in the file.
        initialFontName=fonts()[0],
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    footer = draw_footer(clinic, translate)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])
    if shrink_to_one_page:
        width = doc.width - frame.leftPadding - frame.rightPadding
        height = doc.height - frame.topPadding - frame.bottomPadding
        story = [KeepInFrame(width, height, story, mode="shrink")]
    metadata = xmp_packet(title, clinic.name, _("Screening, not diagnosis"), language)
    doc.build(story, canvasmaker=canvas_with_metadata(metadata))
    return buffer.getvalue(), doc.page


def xmp_packet(title: str, author: str, subject: str, language: str) -> str:
    """The document's XMP metadata: the same title, author, subject and language as its Info
    dictionary, in the form PDF/A and PDF/UA checkers read (Dublin Core in RDF)."""
    title, author, subject = escape(title), escape(author), escape(subject)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
        f"<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>"
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{subject}</rdf:li></rdf:Alt></dc:description>"
        f"<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>"
        f"<xmp:CreatorTool>{author}</xmp:CreatorTool>"
        '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="r"?>'
    )


def canvas_with_metadata(xmp: str) -> Callable[..., Canvas]:
    """A canvas maker for ``BaseDocTemplate.build`` whose document catalog carries ``xmp`` as
    its /Metadata stream (reportlab writes one only when asked)."""

    def make(*args: Any, **kwargs: Any) -> Canvas:
        canvas = Canvas(*args, **kwargs)
        # Uncompressed, as PDF/A requires of the metadata stream, so any tool can read it.
        canvas._doc.Catalog.Metadata = XMP(creator=lambda _doc: xmp.encode("utf-8"))
        return canvas

    return make
