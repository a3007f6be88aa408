"""QR codes for result codes, from reportlab's own encoder: one vector path in the PDF and a
compact SVG for the result page. Pure; no Flask.

reportlab is already a dependency and encodes the symbol; its widget and SVG renderer make one
object per run of modules (slow, and about 35 KB of SVG), so both outputs are drawn here as a
single path from the same runs, and always show the same symbol.

reportlab chooses the mask by building and scoring the whole symbol eight times, one module at
a time: most of a PDF's cost. ``best_mask`` scores the same eight symbols, with the same rules
and the same ties, as rows and columns of bits, so the symbol is reportlab's to the module.
"""

from __future__ import annotations

import itertools
import re
from base64 import b64encode
from collections.abc import Iterable
from functools import cache

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.barcode.qrencoder import QRCode, QRUtil
from reportlab.platypus import Flowable

QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard requires
ERROR_CORRECTION = "M"
MASKS = range(8)
# reportlab's penalty rules (QRUtil.getLostPoint): a run of five or more modules of one colour
# scores its length less 2; the finder-like pattern, in this one orientation and in rows only,
# scores 40 (reportlab compares each column, a tuple, with a list: never equal).
_RUN = re.compile("0{5,}|1{5,}")
_FINDER_LIKE = "10111010000"
_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def qr_runs(text: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The symbol's side in modules (quiet zone included) and its dark runs as (row, column,
    length) from the top left. Not cached across requests: the code holds a person's answers,
    and nothing that does is kept after the response that carries it."""
    encoder = QrCodeWidget(text, barLevel=ERROR_CORRECTION).qr
    if encoder.version is None:
        encoder.version = encoder.calculate_version()
    encoder.makeImpl(False, best_mask(encoder))
    runs = tuple(
        (row_index + QUIET_ZONE, dark.start() + QUIET_ZONE, dark.end() - dark.start())
        for row_index, row in enumerate(encoder.modules)
        for dark in re.finditer("1+", _bits(row))
    )
    return encoder.moduleCount + 2 * QUIET_ZONE, runs


def best_mask(encoder: QRCode) -> int:
    """The mask reportlab's ``getBestMaskPattern`` chooses for ``encoder``'s data (its version
    set): the first of the lowest penalty, each symbol scored as ``makeImpl(True, mask)``
    would lay it out."""
    encoder.makeImpl(True, 0)
    size = encoder.moduleCount
    rows = [int(_bits(row), 2) for row in encoder.modules]
    columns = [int(_bits(column), 2) for column in zip(*encoder.modules, strict=True)]
    row_flips, column_flips = _flips(encoder.version, size)
    best, lowest = 0, -1
    for mask in MASKS:
        masked_rows = [row ^ flip for row, flip in zip(rows, row_flips[mask], strict=True)]
        masked_columns = [
            column ^ flip for column, flip in zip(columns, column_flips[mask], strict=True)
        ]
        penalty = _penalty(masked_rows, masked_columns, size)
        if lowest < 0 or penalty < lowest:
            best, lowest = mask, penalty
    return best


def _penalty(rows: list[int], columns: list[int], size: int) -> int:
    """``QRUtil.getLostPoint`` of the symbol whose rows and columns these are (bit ``size - 1 -
    i`` is module ``i``)."""
    form = f"0{size}b"
    # Each line drops its last module for the finder-like pattern, which reportlab never looks
    # for in a line's last eleven modules; a space keeps runs and patterns within their line.
    across = " ".join(format(row, form) for row in rows)
    down = " ".join(format(column, form) for column in columns)
    found = _RUN.findall(f"{across} {down}")
    runs = sum(map(len, found)) - 2 * len(found)
    finder_like = 40 * " ".join(line[:-1] for line in across.split(" ")).count(_FINDER_LIKE)
    full, pairs = (1 << size) - 1, (1 << (size - 1)) - 1
    blocks = 0
    for above, row in itertools.pairwise(rows):
        same_down = ~(row ^ above) & full
        same_across = ~(row ^ (row >> 1))
        blocks += (same_down & (same_down >> 1) & same_across & pairs).bit_count()
    dark = sum(row.bit_count() for row in rows)
    balance = 10 * (abs(100 * dark // size**2 - 50) // 5)
    return runs + 3 * blocks + finder_like + balance


@cache
def _flips(version: int, size: int) -> tuple[list[list[int]], list[list[int]]]:
    """Per mask, the modules that differ from mask 0's, as bits of each row and each column.
    They depend only on the symbol's version (every result code has the same), never on a
    code."""
    layout = QRCode(version, 0)  # the level does not move a module
    layout.moduleCount = size
    positions = list(layout._dataPosIterator())
    row_flips, column_flips = [], []
    zero = QRUtil.getMask(0)
    for mask in MASKS:
        pattern = QRUtil.getMask(mask)
        rows, columns = [0] * size, [0] * size
        for column, row in positions:
            if pattern(row, column) != zero(row, column):
                rows[row] |= 1 << (size - 1 - column)
                columns[column] |= 1 << (size - 1 - row)
        row_flips.append(rows)
        column_flips.append(columns)
    return row_flips, column_flips


def _bits(modules: Iterable[bool]) -> str:
    """A row or column of modules as '0' (light) and '1' (dark)."""
    return bytes(modules).translate(_DIGITS).decode("ascii")


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
