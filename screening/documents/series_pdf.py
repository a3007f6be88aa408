"""The PDF of a series of screenings restored at intake: letterhead, an alert for every screening
whose safety item was above 0, the change from the first and the lowest to the latest, the chart
as vectors, the table with the change between consecutive screenings and its source, the notes
on the latest screening (its safety-item answer verbatim, crisis support, total of 0,
languages), and the RCPsych notice. One A4 page for up to about five
screenings, two at most for twelve. No Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from screening.core.clinic import Clinic
from screening.core.clinician import (
    ASSESS_TODAY,
    FLAGGED_SCREENING,
    PAST_FLAG_ADVICE,
    Note,
    clinician_notes,
    subscale_heading,
)
from screening.core.context import LABEL as CONTEXT_LABEL
from screening.core.context import describe
from screening.core.dates import for_people, short_date
from screening.core.translator import ENGLISH, Translator
from screening.core.trend import (
    Change,
    Screening,
    Series,
    change_rule_text,
    close_together_text,
    zero_total_texts,
)
from screening.documents.chart import Box, label_positions, plot
from screening.documents.pdf_base import (
    ALERT,
    GAP,
    INK,
    MUTED,
    RULED_TABLE,
    SHADE,
    Renderer,
    alert_box,
    bands_used,
    fonts,
    letterhead,
    licence_notice,
    markup,
    paragraph,
    plain_cells,
    table_style,
)

CHART_WIDTH, CHART_HEIGHT = 180 * mm, 55 * mm
# Room under the axis for each date, written upwards; points kept off the tick labels.
DATE_ROOM = 16 * mm
CHART_BOX = Box(
    left=12 * mm,
    right=CHART_WIDTH - 6 * mm,
    top=CHART_HEIGHT - 5 * mm,
    bottom=DATE_ROOM,
    inset=4 * mm,
)
DATE_FONT_SIZE = 6.5
LINE = colors.HexColor("#2f6f73")


@dataclass(frozen=True)
class SeriesPrintout:
    series: Series
    clinic: Clinic
    translator: Translator = ENGLISH
    # The local cut-offs applied to the latest screening (screening/core/local_cut_offs.py),
    # when the clinic uses them, as on the series page.
    latest_local_notes: tuple[Note, ...] = ()


def chart_drawing(printout: SeriesPrintout) -> Drawing:
    """The chart of totals as vector shapes, placed by the same ``plot`` as the page's SVG."""
    series, clinic = printout.series, printout.clinic
    regular, bold = fonts()
    box = CHART_BOX
    max_total = series.latest.result.max_total
    # Starts in the document's font: reportlab's default (Helvetica) would be referenced unembedded.
    drawing = Drawing(CHART_WIDTH, CHART_HEIGHT, initialFontName=regular)
    instrument = series.latest.result.instrument
    for tick in instrument.chart_ticks:
        y = box.y(tick, max_total)
        threshold = tick in instrument.chart_thresholds
        drawing.add(
            Line(
                box.left,
                y,
                box.right,
                y,
                strokeColor=MUTED if threshold else SHADE,
                strokeWidth=0.6,
                strokeDashArray=[3, 2] if threshold else None,
            )
        )
        drawing.add(
            String(
                box.left - 3,
                y - 2.5,
                str(tick),
                fontName=regular,
                fontSize=7,
                textAnchor="end",
                fillColor=INK,
            )
        )
    points = plot(series, box)
    if len(points) > 1:
        coordinates = [value for point in points for value in (point.x, point.y)]
        drawing.add(PolyLine(coordinates, strokeColor=LINE, strokeWidth=1.2))
    for point in points:
        if point.flagged:
            # The SVG's diamond, flipped for the PDF's upward y.
            size = 3.2
            drawing.add(
                Polygon(
                    [
                        point.x,
                        point.y + size,
                        point.x + size,
                        point.y,
                        point.x,
                        point.y - size,
                        point.x - size,
                        point.y,
                    ],
                    fillColor=ALERT,
                    strokeColor=ALERT,
                )
            )
        else:
            drawing.add(Circle(point.x, point.y, 2.3, fillColor=LINE, strokeColor=LINE))
        drawing.add(
            String(
                point.x,
                point.y + 4.5,
                str(point.total),
                fontName=bold,
                fontSize=7,
                textAnchor="middle",
                fillColor=INK,
            )
        )
    dates = [
        short_date(p.completed_at, clinic.timezone, printout.translator.language) for p in points
    ]
    xs = label_positions([p.x for p in points], box.left, box.right, DATE_FONT_SIZE + 1.5)
    for x, date in zip(xs, dates, strict=True):
        # Written upwards, ending just under the axis: every date, none over another.
        label = Group(
            String(
                0,
                0,
                date,
                fontName=regular,
                fontSize=DATE_FONT_SIZE,
                fillColor=INK,
                textAnchor="end",
            )
        )
        label.transform = (0, 1, -1, 0, x + DATE_FONT_SIZE * 0.35, box.bottom - 3)
        drawing.add(label)
    return drawing


def _change_text(change: Change | None, translate: Callable[..., str]) -> str:
    if change is None:
        return "\u2014"
    sign = "+" if change.delta > 0 else ("\u2212" if change.delta < 0 else "\u00b10")
    return f"{sign}{abs(change.delta) if change.delta else ''}: {translate(change.label)}"


def _row(printout: SeriesPrintout, screening: Screening, change: Change | None) -> list[object]:
    """Plain strings where nothing wraps (cheaper than Paragraphs), Paragraphs where words do."""
    _, result = printout.translator.gettext, screening.result
    item = str(result.safety_answer.score)
    if result.safety_flag:
        item += "\n\u25c6 " + _("assess today")
    subscale = "\n".join(
        f"{sub.score} (\u2265 {sub.subscale.threshold})" if sub.flagged else str(sub.score)
        for sub in result.subscales
    )
    zone = printout.clinic.timezone
    day = short_date(screening.completed_at, zone, printout.translator.language)
    when = f"{day}\n{screening.completed_at.astimezone(zone):%H:%M}"
    context = describe(screening.context, _, printout.translator.ngettext)
    return [
        when,
        str(result.total),
        paragraph(_(result.band.label), "Cell"),
        item,
        subscale,
        paragraph(context, "Cell"),
        paragraph(_change_text(change, printout.translator.gettext), "Cell"),
    ]


def _table(printout: SeriesPrintout) -> Table:
    _, series = printout.translator.gettext, printout.series
    latest = series.latest.result
    header = [
        _("Completed"),
        _("Total"),
        _("Band"),
        _("Item %(number)s", number=latest.instrument.safety_rule.item),
        ", ".join(
            subscale_heading(sub.subscale, printout.translator.gettext) for sub in latest.subscales
        ),
        _(CONTEXT_LABEL),
        _("Change from the previous screening"),
    ]
    rows: list[list[object]] = [[paragraph(text, "CellBold") for text in header]]
    rows += [
        _row(printout, screening, change)
        for screening, change in zip(series.screenings, series.changes, strict=True)
    ]
    # Columns wide enough that no header word breaks («Разом», «Беременность»).
    widths = [20 * mm, 14 * mm, 27 * mm, 21 * mm, 26 * mm, 28 * mm, 44 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(table_style(plain_cells(("FONT", (1, 1), (1, -1), fonts()[1], 8), *RULED_TABLE)))
    return table


def _flagged_alert(printout: SeriesPrintout, width: float) -> list[Flowable]:
    """Every screening whose safety-item answer was above 0, first on the page: a positive
    answer in the past is never hidden by the totals that came after it."""
    _, series = printout.translator.gettext, printout.series
    if not series.flagged:
        return []
    number = series.latest.result.instrument.safety_rule.item
    if series.latest.result.safety_flag:
        heading = _("Latest screening: item %(number)s is positive", number=number)
        advice = _(ASSESS_TODAY)
    else:
        heading = _("Item %(number)s was above 0 in an earlier screening", number=number)
        advice = _(PAST_FLAG_ADVICE)
    zone = printout.clinic.timezone
    entries = [
        _(
            FLAGGED_SCREENING,
            date=for_people(screening.completed_at, zone, printout.translator.language),
            number=number,
            answer=screening.result.safety_answer.option.label,
            score=screening.result.safety_answer.score,
        )
        for screening in series.flagged
    ]
    text = f"<b>{escape(heading)}</b><br/>" + "<br/>".join(escape(entry) for entry in entries)
    box = alert_box([markup(text, "Alert"), paragraph(advice, "Alert")], width, padding=None)
    return [box, Spacer(1, GAP)]


def _overall(printout: SeriesPrintout) -> Paragraph:
    """First-to-latest and lowest-to-latest change, by the same rule as each step's."""
    _, series = printout.translator.gettext, printout.series
    latest = series.latest.result.total
    lines = [
        f"<b>{escape(_(title))}</b> ({before.result.total} \u2192 {latest}): "
        f"{escape(_change_text(moved, printout.translator.gettext))}"
        for title, before, moved in series.overall_changes
    ]
    return markup("<br/>".join(lines), "Body")


def _latest_notes(printout: SeriesPrintout) -> list[Flowable]:
    """The single PDF's notes on the latest screening: its safety-item answer verbatim, crisis
    support, a total of 0, the language."""
    latest = printout.series.latest.result
    administration = printout.series.latest.administration
    notes = clinician_notes(
        latest,
        printout.translator.gettext,
        printout.translator.language,
        administration,
        printout.series.latest_without_infant,
    )
    notes += printout.latest_local_notes
    heading = paragraph(printout.translator.gettext("Notes on the latest screening:"), "CellBold")
    return [
        heading,
        *(markup(f"<b>{escape(note.label)}</b> {escape(note.text)}", "Cell") for note in notes),
    ]


def build_series_story(printout: SeriesPrintout, width: float) -> list[Flowable]:
    """Everything on the pages, top to bottom; ``width`` is the frame's."""
    _, series, clinic = printout.translator.gettext, printout.series, printout.clinic
    latest = series.latest.result
    instrument = latest.instrument
    count = len(series.screenings)
    story: list[Flowable] = letterhead(clinic, printout.translator)
    story.append(
        paragraph(
            _("%(title)s: %(count)s screenings over time", title=instrument.title, count=count),
            "Title",
        )
    )
    story.append(
        paragraph(
            _(
                "Restored from the patient's result codes at intake; nothing was stored. Times in "
                "%(zone)s.",
                zone=clinic.timezone.key,
            )
            + f" {_(instrument.version_note)}.",
            "Contact",
        )
    )
    story += [Spacer(1, GAP), *_flagged_alert(printout, width), _overall(printout), Spacer(1, GAP)]
    story.append(chart_drawing(printout))
    safety_item = instrument.safety_rule.item
    story.append(
        paragraph(
            _(
                "\u25cf item %(number)s: 0 \u00b7 \u25c6 item %(number)s above 0 \u00b7 "
                "dashed lines: totals of %(lower)s and %(upper)s",
                number=safety_item,
                lower=instrument.chart_thresholds[0],
                upper=instrument.chart_thresholds[-1],
            ),
            "Small",
        )
    )
    story += [Spacer(1, GAP), _table(printout), Spacer(1, GAP)]

    def date(moment: datetime) -> str:
        return short_date(moment, clinic.timezone, printout.translator.language)

    close = close_together_text(
        series, printout.translator.gettext, printout.translator.ngettext, date
    )
    if close:
        story.append(paragraph(close, "Cell"))
    story += [paragraph(text, "Cell") for text in zero_total_texts(series, _, date)]
    story.append(paragraph(change_rule_text(instrument, _), "Cell"))
    story += [Spacer(1, GAP), *_latest_notes(printout), Spacer(1, GAP)]
    story.append(bands_used(instrument, printout.translator))
    sources = [*instrument.interpretation_sources, *(sub.source for sub in instrument.subscales)]
    story += [paragraph(source, "Small") for source in sources]
    codes = ", ".join(screening.code for screening in series.screenings)
    story.append(paragraph(_("Result codes: %(codes)s", codes=codes), "Small"))
    story += [Spacer(1, GAP), licence_notice(instrument.notice, clinic, printout.translator)]
    return story


class SeriesRenderer(Renderer):
    """The series on one or two A4 pages, fitted to one if it would take more."""

    max_pages = 2

    def __init__(self, printout: SeriesPrintout) -> None:
        super().__init__(printout.clinic, printout.translator)
        self.printout = printout

    def title(self) -> str:
        instrument = self.printout.series.latest.result.instrument
        return self.translator.gettext(
            "%(instrument)s screenings over time", instrument=instrument.short_title
        )

    def story(self, width: float) -> list[Flowable]:
        return build_series_story(self.printout, width)


def render_series_pdf(printout: SeriesPrintout) -> bytes:
    """The series as a PDF of one or two A4 pages (fitted to one if it would take more)."""
    return SeriesRenderer(printout).render()
