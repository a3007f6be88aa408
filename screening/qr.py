"""QR codes for result codes, from reportlab's own encoder: a vector widget for the PDF and a
compact SVG for the result page. Pure; no Flask.

reportlab is already a dependency and draws the QR into the PDF as vectors; its SVG renderer
writes one element per module (about 35 KB), so the page's SVG is written here as a single
path from the same module matrix (under 2 KB), and both always show the same symbol.
"""

from __future__ import annotations

import itertools
from base64 import b64encode

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard requires
ERROR_CORRECTION = "M"


def qr_widget(text: str) -> QrCodeWidget:
    return QrCodeWidget(text, barLevel=ERROR_CORRECTION, barBorder=QUIET_ZONE)


def qr_drawing(text: str, size: float) -> Drawing:
    """A square drawing of ``size`` points, ready to place in a PDF story."""
    widget = qr_widget(text)
    widget.barWidth = widget.barHeight = size
    drawing = Drawing(size, size)
    drawing.add(widget)
    return drawing


def qr_modules(text: str) -> list[list[bool]]:
    encoder = qr_widget(text).qr
    encoder.make()
    return [[bool(module) for module in row] for row in encoder.modules]


def qr_svg(text: str) -> str:
    """One path of horizontal runs of dark modules, in a viewBox measured in modules."""
    modules = qr_modules(text)
    side = len(modules) + 2 * QUIET_ZONE
    runs = []
    for row_index, row in enumerate(modules):
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                runs.append(
                    f"M{column + QUIET_ZONE} {row_index + QUIET_ZONE}h{length}v1h-{length}z"
                )
            column += length
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def qr_svg_data_uri(text: str) -> str:
    """For an <img src>: an image document, so the page's strict CSP needs only img-src data:."""
    return "data:image/svg+xml;base64," + b64encode(qr_svg(text).encode()).decode()
