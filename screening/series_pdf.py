"""The PDF of a series of screenings restored at intake: letterhead, the chart as vectors, the
table with the change between consecutive screenings and its source, the latest safety-item
answer verbatim when it is above 0, and the RCPsych notice. One A4 page for up to about six
screenings, two at most for twelve. No Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from screening.chart import THRESHOLDS, TICKS, Box, plot
from screening.clinic import Clinic
from screening.clinician import restored_notes
from screening.context import LABEL as CONTEXT_LABEL
from screening.context import TranslatePlural, describe
from screening.dates import short_date
from screening.marks import english, english_plural
from screening.pdf import (
    ALERT,
    ALERT_BACKGROUND,
    GAP,
    INK,
    MUTED,
    RULED_TABLE,
    SHADE,
    Translate,
    build_document,
    fonts,
    letterhead,
    licence_notice,
    markup,
    paragraph,
    plain_cells,
    table_style,
)
from screening.trend import CHANGE_RULE, CHANGE_SOURCE, Change, Screening, Series

CHART_WIDTH, CHART_HEIGHT = 180 * mm, 58 * mm
CHART_BOX = Box(left=12 * mm, right=CHART_WIDTH - 6 * mm, top=CHART_HEIGHT - 5 * mm, bottom=9 * mm)
LINE = colors.HexColor("#2f6f73")
MAX_PAGES = 2


@dataclass(frozen=True)
class SeriesPrintout:
    series: Series
    clinic: Clinic
    translate: Translate = english
    language: str = "en"
    translate_plural: TranslatePlural = english_plural


def chart_drawing(printout: SeriesPrintout) -> Drawing:
    """The chart of totals as vector shapes, placed by the same ``plot`` as the page's SVG."""
    series, clinic = printout.series, printout.clinic
    regular, bold = fonts()
    box = CHART_BOX
    max_total = series.latest.result.max_total
    # Starts in the document's font: reportlab's default (Helvetica) would be referenced unembedded.
    drawing = Drawing(CHART_WIDTH, CHART_HEIGHT, initialFontName=regular)
    for tick in TICKS:
        y = box.y(tick, max_total)
        threshold = tick in THRESHOLDS
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
    dates = [short_date(p.completed_at, clinic.timezone, printout.language) for p in points]
    label_y = box.bottom - 7
    drawing.add(String(box.left, label_y, dates[0], fontName=regular, fontSize=7, fillColor=INK))
    if len(points) > 1:
        drawing.add(
            String(
                box.right,
                label_y,
                dates[-1],
                fontName=regular,
                fontSize=7,
                textAnchor="end",
                fillColor=INK,
            )
        )
    return drawing


def _change_text(change: Change | None, translate: Translate) -> str:
    if change is None:
        return "\u2014"
    sign = "+" if change.delta > 0 else ("\u2212" if change.delta < 0 else "\u00b10")
    return f"{sign}{abs(change.delta) if change.delta else ''}: {translate(change.label)}"


def _row(printout: SeriesPrintout, screening: Screening, change: Change | None) -> list[object]:
    """Plain strings where nothing wraps (cheaper than Paragraphs), Paragraphs where words do."""
    _, result = printout.translate, screening.result
    item = str(result.safety_answer.score)
    if result.safety_flag:
        item += "\n\u25c6 " + _("assess today")
    subscale = "\n".join(
        f"{sub.score} (\u2265 {sub.subscale.threshold})" if sub.flagged else str(sub.score)
        for sub in result.subscales
    )
    zone = printout.clinic.timezone
    day = short_date(screening.completed_at, zone, printout.language)
    when = f"{day}\n{screening.completed_at.astimezone(zone):%H:%M}"
    context = describe(screening.context, _, printout.translate_plural)
    return [
        when,
        str(result.total),
        paragraph(_(result.band.label), "Cell"),
        item,
        subscale,
        paragraph(context, "Cell"),
        paragraph(_change_text(change, printout.translate), "Cell"),
    ]


def _table(printout: SeriesPrintout) -> Table:
    _, series = printout.translate, printout.series
    latest = series.latest.result
    header = [
        _("Completed"),
        _("Total"),
        _("Band"),
        _("Item %(number)s", number=latest.instrument.safety_rule.item),
        ", ".join(sub.subscale.name for sub in latest.subscales),
        _(CONTEXT_LABEL),
        _("Change from the previous screening"),
    ]
    rows: list[list[object]] = [[paragraph(text, "CellBold") for text in header]]
    rows += [
        _row(printout, screening, change)
        for screening, change in zip(series.screenings, series.changes, strict=True)
    ]
    widths = [22 * mm, 12 * mm, 30 * mm, 24 * mm, 18 * mm, 28 * mm, 46 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(table_style(plain_cells(("FONT", (1, 1), (1, -1), fonts()[1], 8), *RULED_TABLE)))
    return table


def _latest_safety(printout: SeriesPrintout) -> list[Flowable]:
    """The latest screening's safety-item answer verbatim, when it is above 0."""
    _, latest = printout.translate, printout.series.latest.result
    if not latest.safety_flag:
        return []
    notes = restored_notes(latest, printout.translate, printout.language)
    verbatim = notes[0]
    heading = _("Latest screening:")
    advice = _(
        "Assess risk today, whatever the total score; if the patient is not with you, contact "
        "the patient today."
    )
    text = (
        f"<b>{escape(heading)} {escape(verbatim.label)}</b> {escape(verbatim.text)} "
        f"{escape(advice)}"
    )
    box = Table([[markup(text, "Alert")]], colWidths=["100%"])
    box.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, ALERT),
                ("BACKGROUND", (0, 0), (-1, -1), ALERT_BACKGROUND),
            ]
        )
    )
    return [box, Spacer(1, GAP)]


def build_series_story(printout: SeriesPrintout) -> list[Flowable]:
    _, series, clinic = printout.translate, printout.series, printout.clinic
    latest = series.latest.result
    instrument = latest.instrument
    count = len(series.screenings)
    story: list[Flowable] = letterhead(clinic, printout.translate)
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
    story += [Spacer(1, GAP), *_latest_safety(printout), chart_drawing(printout)]
    safety_item = instrument.safety_rule.item
    story.append(
        paragraph(
            _(
                "\u25cf item %(number)s: 0 \u00b7 \u25c6 item %(number)s above 0 \u00b7 "
                "dashed lines: totals of 10 and 13",
                number=safety_item,
            ),
            "Small",
        )
    )
    story += [Spacer(1, GAP), _table(printout), Spacer(1, GAP)]
    cut_off = instrument.bands[-1].min
    rule = _(CHANGE_RULE, points=4, below=cut_off - 1, above=cut_off)
    story.append(paragraph(f"{rule} {CHANGE_SOURCE}", "Cell"))
    bands = "; ".join(
        f"{band.min}\u2013{band.max} {_(band.label).lower()}" for band in instrument.bands
    )
    story.append(paragraph(_("Bands used: %(bands)s.", bands=bands), "Small"))
    sources = [*instrument.interpretation_sources, *(sub.source for sub in instrument.subscales)]
    story += [paragraph(source, "Small") for source in sources]
    codes = ", ".join(screening.code for screening in series.screenings)
    story.append(paragraph(_("Result codes: %(codes)s", codes=codes), "Small"))
    story += [Spacer(1, GAP), licence_notice(instrument.notice, clinic, printout.translate)]
    return story


def render_series_pdf(printout: SeriesPrintout) -> bytes:
    """The series as a PDF of one or two A4 pages (shrunk to one if it would take more)."""
    _ = printout.translate
    instrument = printout.series.latest.result.instrument
    title = _("%(instrument)s screenings over time", instrument=instrument.short_title)
    args = (printout.clinic, printout.translate, printout.language, title)
    pdf, pages = build_document(build_series_story(printout), *args)
    if pages <= MAX_PAGES:
        return pdf
    return build_document(build_series_story(printout), *args, shrink_to_one_page=True)[0]
