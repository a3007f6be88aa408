"""The chart of a series' totals over time: where each point goes, and the chart as SVG for the
series page (drawn on the server, no script). Pure; no Flask.

The PDF draws the same chart with reportlab's graphics from the same ``plot`` (screening/
series_pdf.py), so the page and the paper always place the points alike. Points whose safety item
is positive are drawn as diamonds, the others as circles: the difference never rests on colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from screening.core.trend import Series

# SVG user units; the chart is drawn about this size on a 360 px phone and scales up with its box.
WIDTH, HEIGHT = 340.0, 300.0
INK = "#1f2933"
MUTED = "#52606d"
LINE = "#2f6f73"
ALERT = "#a4262c"
DIAMOND = "M0 -7L7 0L0 7L-7 0Z"
CIRCLE_RADIUS = 5
# Room under the axis for each date, written upwards (a dozen dates side by side would overlap).
DATE_ROOM = 88.0
DATE_FONT_SIZE = 10


@dataclass(frozen=True)
class Box:
    """The plotting area inside the chart: x from left to right, y from top (the maximum total)
    to bottom (0); y grows downwards, as in SVG."""

    left: float
    right: float
    top: float
    bottom: float
    # Points stay this far inside the left and right edges, so the total written above the
    # first point never reaches the tick labels left of the axis.
    inset: float = 0.0

    def x(self, share: float) -> float:
        """Where a point ``share`` of the way from the first screening to the last goes."""
        return self.left + self.inset + share * (self.right - self.left - 2 * self.inset)

    def y(self, total: float, max_total: int) -> float:
        return self.bottom - (self.bottom - self.top) * total / max_total


SVG_BOX = Box(left=30.0, right=WIDTH - 14.0, top=22.0, bottom=HEIGHT - 40.0 - DATE_ROOM, inset=14.0)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    total: int
    flagged: bool
    completed_at: datetime


def plot(series: Series, box: Box) -> list[Point]:
    """Each screening's point: x in proportion to its completion time between the first and
    the last (a single screening in the middle), y in proportion to its total."""
    screenings = series.screenings
    first, last = screenings[0].completed_at, screenings[-1].completed_at
    span = (last - first).total_seconds()
    points = []
    for screening in screenings:
        share = (screening.completed_at - first).total_seconds() / span if span else 0.5
        result = screening.result
        points.append(
            Point(
                x=box.x(share),
                y=box.y(result.total, result.max_total),
                total=result.total,
                flagged=result.safety_flag,
                completed_at=screening.completed_at,
            )
        )
    return points


@dataclass(frozen=True)
class ChartWords:
    """The chart's words, already translated: its title, what the table below holds, the
    legend for each marker, and each point's date as the page writes it."""

    title: str
    description: str
    flagged: str
    not_flagged: str
    dates: tuple[str, ...]


def _f(value: float) -> str:
    return f"{value:.1f}"


def svg(series: Series, words: ChartWords) -> str:
    """The chart as an inline SVG element (a 'role=img' with its title and description)."""
    box = SVG_BOX
    instrument = series.latest.result.instrument
    max_total = series.latest.result.max_total
    points = plot(series, box)
    parts = [
        f'<svg class="trend-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_f(WIDTH)} {_f(HEIGHT)}" role="img" '
        f'aria-labelledby="chart-title chart-desc" font-size="11" fill="{INK}">',
        f'<title id="chart-title">{escape(words.title)}</title>',
        f'<desc id="chart-desc">{escape(words.description)}</desc>',
    ]
    for tick in instrument.chart_ticks:
        y = _f(box.y(tick, max_total))
        threshold = tick in instrument.chart_thresholds
        dash = ' stroke-dasharray="5 3"' if threshold else ""
        colour = MUTED if threshold else "#d9e2ec"
        parts.append(
            f'<line class="{"threshold" if threshold else "grid"}" x1="{_f(box.left)}" y1="{y}" '
            f'x2="{_f(box.right)}" y2="{y}" stroke="{colour}" stroke-width="1"{dash}/>'
        )
        parts.append(
            f'<text x="{_f(box.left - 6)}" y="{y}" dy="0.35em" text-anchor="end">{tick}</text>'
        )
    if len(points) > 1:
        path = " ".join(f"{_f(point.x)},{_f(point.y)}" for point in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for point in points:
        parts.append(_marker(point))
    parts += _date_labels(points, words.dates, box)
    parts += _legend(words)
    parts.append("</svg>")
    return "".join(parts)


def _marker(point: Point) -> str:
    kind = "point point--flagged" if point.flagged else "point"
    shape = (
        f'<path d="{DIAMOND}" fill="{ALERT}"/>'
        if point.flagged
        else f'<circle r="{CIRCLE_RADIUS}" fill="{LINE}"/>'
    )
    return (
        f'<g class="{kind}" data-total="{point.total}" '
        f'transform="translate({_f(point.x)} {_f(point.y)})">{shape}'
        f'<text y="-10" text-anchor="middle" font-weight="bold">{point.total}</text></g>'
    )


def label_positions(xs: list[float], left: float, right: float, gap: float) -> list[float]:
    """Where each point's date goes along the axis: under its point, moved apart just enough
    that neighbours are at least ``gap`` apart and all stay between ``left`` and ``right``
    (screenings a day apart would otherwise write their dates over each other)."""
    placed: list[float] = []
    for x in xs:
        placed.append(max(x, left, placed[-1] + gap) if placed else max(x, left))
    # Pushed past the right edge: pull back from the right, keeping the gaps.
    for index in range(len(placed) - 1, -1, -1):
        limit = right if index == len(placed) - 1 else placed[index + 1] - gap
        placed[index] = min(placed[index], limit)
    return placed


def _date_labels(points: list[Point], dates: tuple[str, ...], box: Box) -> list[str]:
    """Every point's date under the axis, written upwards below its point."""
    y = _f(box.bottom + 8)
    xs = label_positions([p.x for p in points], box.left, box.right, DATE_FONT_SIZE + 2)
    return [
        f'<text class="date" transform="translate({_f(x)} {y}) rotate(-90)" text-anchor="end" '
        f'dy="0.35em" font-size="{DATE_FONT_SIZE}">{escape(date)}</text>'
        for x, date in zip(xs, dates, strict=True)
    ]


def _legend(words: ChartWords) -> list[str]:
    y = HEIGHT - 14
    return [
        f'<g transform="translate({_f(SVG_BOX.left)} {_f(y)})">'
        f'<circle r="{CIRCLE_RADIUS}" fill="{LINE}"/>'
        f'<text x="10" dy="0.35em">{escape(words.not_flagged)}</text></g>',
        f'<g transform="translate({_f(SVG_BOX.left + (WIDTH - SVG_BOX.left) / 2)} {_f(y)})">'
        f'<path d="{DIAMOND}" fill="{ALERT}"/>'
        f'<text x="10" dy="0.35em">{escape(words.flagged)}</text></g>',
    ]
