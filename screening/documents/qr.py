"""QR codes for result codes, from reportlab's own encoder: one vector path in the PDF and a
compact SVG for the result page. Pure; no Flask.

reportlab is already a dependency and encodes the symbol (``qr_symbol`` sets its modules as
reportlab does, faster); its widget and SVG renderer make one object per run of modules (slow,
and about 35 KB of SVG), so both outputs are drawn here as a single path from the same runs, and
always show the same symbol.
"""

from __future__ import annotations

import re
from base64 import b64encode

from reportlab.platypus import Flowable

from screening.documents.qr_symbol import modules

QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard requires
ERROR_CORRECTION = "M"
DARK_RUN = re.compile("1+")


def qr_runs(text: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The symbol's side in modules (quiet zone included) and its dark runs as (row, column,
    length) from the top left. Not cached across requests: the code holds a person's answers,
    and nothing that does is kept after the response that carries it."""
    rows = modules(text, ERROR_CORRECTION)
    runs = tuple(
        (row_index + QUIET_ZONE, run.start() + QUIET_ZONE, len(run[0]))
        for row_index, row in enumerate(rows)
        for run in DARK_RUN.finditer(row)
    )
    return len(rows) + 2 * QUIET_ZONE, runs


class QrFlowable(Flowable):
    """The QR symbol as one filled path on the PDF canvas, ``size`` points square."""

    def __init__(self, text: str, size: float) -> None:
        super().__init__()
        self.text = text
        self.width = self.height = size

    def draw(self) -> None:
        side, runs = qr_runs(self.text)
        module = self.width / side
        path = self.canv.beginPath()
        for row, column, length in runs:
            path.rect(column * module, self.height - (row + 1) * module, length * module, module)
        self.canv.setFillColorRGB(0, 0, 0)
        self.canv.drawPath(path, stroke=0, fill=1)


def qr_svg(text: str) -> str:
    """One path of the dark runs, in a viewBox measured in modules."""
    side, runs = qr_runs(text)
    path = "".join(f"M{column} {row}h{length}v1h-{length}z" for row, column, length in runs)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def qr_svg_data_uri(text: str) -> str:
    """For an <img src>: an image document, so the page's strict CSP needs only img-src data:."""
    return "data:image/svg+xml;base64," + b64encode(qr_svg(text).encode()).decode()
