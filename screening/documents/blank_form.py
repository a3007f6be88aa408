"""The printable blank form: one A4 page for power cuts, waiting rooms and people without a
phone, with the installed text's instructions and items, tick boxes, lines for the name and the
date, the crisis numbers in tiers and the RCPsych notice. No Flask.

The items are those of the text installed for the language (a licensed translation), else the
English ones with the rest of the page in that language, as on the web page: nobody here
translates an item. No score is printed: staff enter the ticks and the app adds them up.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from babel.lists import format_list
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Spacer, Table

from screening.core.clinic import Clinic
from screening.core.instrument import Instrument, Item
from screening.core.marks import N_
from screening.core.translator import Translator
from screening.documents.pdf_base import (
    INK,
    RULE,
    Paragraph,
    Renderer,
    alert_box,
    fonts,
    letterhead,
    licence_notice,
    plain_cells,
    styles,
    table_style,
)

BOX, TICKED = "\u2610", "\u2612"  # ballot box, ballot box with X: both in DejaVu Sans
# Between blocks: less than the clinician's PDF, so the items keep their reading size.
SPACE = 1.6 * mm
# The frame's default padding (6 pt a side): a table the frame's width less this sits flush.
FRAME_PADDING = 12
FORM_TITLE = N_("%(instrument)s paper form")
ENGLISH_ITEMS = N_(
    "The questions are shown in English. Only validated translations of this questionnaire "
    "are used, so that answers can be compared with the published scores, and none is "
    "installed for your language yet."
)
TICK_ONE = N_("Tick one answer for each question.")
HELP_NOW = N_("If you need help now")
# The web page's tiers, word for word (screening/web/templates/_macros.html: tier_now, tier_line).
TIER_NOW = N_(
    "Call %(numbers)s now if you might harm yourself or already have, or if you feel you might "
    "act on thoughts of harming your baby."
)
TIER_TALK = N_(
    "Call %(number)s (%(line)s) to talk to someone now, day or night. If no one answers, call "
    "%(numbers)s."
)
TIER_CLINIC = N_("Call us on %(phone)s (%(hours)s).")


# The form's styles (screening/documents/pdf_base.py's stylesheet) by the names used here.
FORM_STYLES = {"Body": "FormBody", "Bold": "FormBold", "Small": "Small", "Alert": "FormAlert"}


def paragraph(text: str, style: str = "Body") -> Paragraph:
    """Plain text, escaped, in one of the form's styles."""
    return Paragraph(escape(text), styles()[FORM_STYLES[style]])


def markup(text: str, style: str = "Body") -> Paragraph:
    """Our own markup; every dynamic part is escaped by the caller."""
    return Paragraph(text, styles()[FORM_STYLES[style]])


def _or(numbers: tuple[str, ...], language: str) -> str:
    """E.g. "103 or 112", with the joining word in ``language`` from CLDR, as on the web page."""
    return format_list(list(numbers), style="or", locale=language)


def _name_and_date(translator: Translator, width: float) -> Table:
    """A line to write the name on and one for the date, each after its label."""
    _ = translator.gettext
    name, day = _("Name:"), _("Date:")
    # Each label's column as wide as its words in this language, the lines share the rest.
    name_width, day_width = (stringWidth(label, fonts()[0], 10) + 6 * mm for label in (name, day))
    rest = width - name_width - day_width
    table = Table(
        [[name, "", day, ""]],
        colWidths=[name_width, rest * 0.62, day_width, rest * 0.38],
        rowHeights=7 * mm,
    )
    table.setStyle(
        table_style(
            plain_cells(
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, INK),
                ("LINEBELOW", (3, 0), (3, 0), 0.6, INK),
            )
        )
    )
    return table


def _choices(labels: tuple[str, ...], ticked: int | None = None) -> list[Flowable]:
    return [
        paragraph(f"{TICKED if index == ticked else BOX}  {label}", "Body")
        for index, label in enumerate(labels)
    ]


def _example_choices(labels: tuple[str, ...], chosen: int) -> Paragraph:
    """The example's options on one line, the chosen one ticked: it shows how, in little room."""
    boxes = [
        f"{TICKED if index == chosen else BOX}\u00a0{label}" for index, label in enumerate(labels)
    ]
    return paragraph("\u2003".join(boxes))


def _item_cell(item: Item) -> list[Flowable]:
    question = markup(f"<b>{item.number}.</b> {escape(item.text)}", "Bold")
    return [question, *_choices(tuple(option.label for option in item.options))]


def _items_table(instrument: Instrument, width: float) -> Table:
    """The items in two columns, read down the left column first, as on the paper original."""
    half = (len(instrument.items) + 1) // 2
    left, right = instrument.items[:half], instrument.items[half:]
    rows = [
        [_item_cell(item), _item_cell(right[index]) if index < len(right) else ""]
        for index, item in enumerate(left)
    ]
    table = Table(rows, colWidths=[width / 2] * 2)
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 1), (-1, -1), 0.4, RULE),
                # The left column's text lines up with the paragraphs above it.
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _crisis_box(clinic: Clinic, translator: Translator, width: float) -> Table:
    _ = translator.gettext
    numbers = _or(clinic.emergency_numbers, translator.language)
    tiers = [
        _(TIER_NOW, numbers=numbers),
        _(TIER_TALK, number=clinic.crisis_line, line=_(clinic.crisis_line_name), numbers=numbers),
        _(TIER_CLINIC, phone=clinic.phone, hours=clinic.hours),
    ]
    lines: list[Flowable] = [paragraph(_(HELP_NOW), "Alert")]
    lines += [paragraph(f"{number}. {tier}", "Body") for number, tier in enumerate(tiers, 1)]
    return alert_box([lines], width, padding=(3, 4))


def build_blank_story(
    instrument: Instrument, clinic: Clinic, translator: Translator, width: float
) -> list[Flowable]:
    """Everything on the blank form, top to bottom; ``width`` is the frame's."""
    _ = translator.gettext
    width -= FRAME_PADDING
    story: list[Flowable] = letterhead(clinic, translator)
    title = Paragraph(escape(instrument.title), styles()["Title"])
    story += [title, _name_and_date(translator, width), Spacer(1, SPACE)]
    if instrument.language != translator.language:
        story += [paragraph(_(ENGLISH_ITEMS), "Body"), Spacer(1, SPACE)]
    example = instrument.example
    story += [
        paragraph(f"{instrument.preamble} {_(TICK_ONE)}"),
        Spacer(1, SPACE),
        markup(f"{escape(example.intro)} <b>{escape(example.stem)}</b>"),
        _example_choices(example.options, example.chosen),
        paragraph(example.explanation, "Body"),
        Spacer(1, SPACE),
        paragraph(instrument.lead_in, "Bold"),
        _items_table(instrument, width),
        Spacer(1, SPACE),
        _crisis_box(clinic, translator, width),
        Spacer(1, SPACE),
        licence_notice(instrument.notice, clinic, translator),
        *(paragraph(reference, "Small") for reference in instrument.references),
    ]
    return story


class BlankFormRenderer(Renderer):
    """The blank form as a one-page A4 PDF; scaled down to fit when a clinic's long settings
    or a longer translation would run onto a second page."""

    def __init__(self, instrument: Instrument, clinic: Clinic, translator: Translator) -> None:
        super().__init__(clinic, translator)
        self.instrument = instrument

    def title(self) -> str:
        return self.translator.gettext(FORM_TITLE, instrument=self.instrument.short_title)

    def story(self, width: float) -> list[Flowable]:
        return build_blank_story(self.instrument, self.clinic, self.translator, width)


def render_blank_form(instrument: Instrument, clinic: Clinic, translator: Translator) -> bytes:
    """The blank form as a one-page A4 PDF."""
    return BlankFormRenderer(instrument, clinic, translator).render()
