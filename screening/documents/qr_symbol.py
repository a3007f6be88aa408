"""A QR symbol's modules, each one as reportlab's encoder (``qrencoder.QRCode.make()``) sets it,
in a fraction of its time. Pure; no Flask.

reportlab chooses the mask by laying the whole symbol out eight times and scoring each layout
with Python loops over every module: about 4 ms a symbol, most of a result page's time. The
symbol's layout depends on the text only through its data bits, so what depends on the version
alone is built once per process from reportlab's own layout code (the function patterns, where
each data bit goes, each mask's modules); a text's data bits are placed once, and each mask is
one XOR a row, scored with string and bit operations. Nothing of a text is kept.

The scores are reportlab's, quirks included, so the chosen mask is too: runs of five or more
and 2x2 blocks as the standard has them; the finder-like pattern only as 1011101 then four light
modules, only along rows (its column check compares a tuple with a list, which is never equal),
and never at a row's last possible place; the dark share in steps of 5%.
``tests/test_qr_symbol.py`` compares every module with reportlab's over many texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import chain, compress, cycle, islice, pairwise, zip_longest

from reportlab.graphics.barcode import qrencoder

MASKS = range(8)
LEVELS = {"L": qrencoder.QRErrorCorrectLevel.L, "M": qrencoder.QRErrorCorrectLevel.M}
LEVELS |= {"Q": qrencoder.QRErrorCorrectLevel.Q, "H": qrencoder.QRErrorCorrectLevel.H}
# Penalty rule 1: a run of five or more modules of one colour, in a row or a column.
RUN = re.compile("0{5,}|1{5,}")
# Penalty rule 3 as reportlab looks for it (it does not look for the pattern reversed).
FINDER_LIKE = re.compile("10111010000")
# "0" and "1" as the bytes 0 and 1, for compress().
BIT_VALUES = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True)
class Layout:
    """What one version's symbols share: rows as integers, the leftmost module the highest bit."""

    side: int
    # The function patterns as a mask is scored (reportlab's "test" layout: no format or
    # version information, no dark module).
    scored_base: tuple[int, ...]
    # Each data position in reportlab's placement order: its row, and its module's bit there.
    places: tuple[tuple[int, int], ...]
    # Mask -> the data modules it darkens, a row each.
    masks: tuple[tuple[int, ...], ...]


def _as_rows(modules: list[list[bool]]) -> tuple[int, ...]:
    return tuple(int("".join("1" if module else "0" for module in row), 2) for row in modules)


def _patterns(version: int, level: int, mask: int | None) -> qrencoder.QRCode:
    """reportlab's function patterns alone: with the format (and version) information of
    ``mask``, or as it scores masks when None."""
    code = qrencoder.QRCode(version, level)
    side = code.moduleCount = version * 4 + 17
    code.modules = [[False] * side for _ in range(side)]
    code.setupPositionProbePattern(0, 0)
    code.setupPositionProbePattern(side - 7, 0)
    code.setupPositionProbePattern(0, side - 7)
    code.setupPositionAdjustPattern()
    code.setupTimingPattern()
    code.setupTypeInfo(mask is None, mask or 0)
    if version >= 7:
        code.setupTypeNumber(mask is None)
    return code


@cache
def layout(version: int, level: int) -> Layout:
    """One version's layout as reportlab makes it, for every text of that version and level."""
    code = _patterns(version, level, None)
    side = code.moduleCount
    positions = code.dataPosIterator()
    for column, row in positions:
        code.modules[row][column] = False
    masks = []
    for mask in MASKS:
        darkened = [0] * side
        test = qrencoder.QRUtil.getMask(mask)
        for column, row in positions:
            if test(row, column):
                darkened[row] |= 1 << (side - 1 - column)
        masks.append(tuple(darkened))
    return Layout(
        side=side,
        scored_base=_as_rows(code.modules),
        places=tuple((row, 1 << (side - 1 - column)) for column, row in positions),
        masks=tuple(masks),
    )


@cache
def final_base(version: int, level: int, mask: int) -> tuple[int, ...]:
    """The function patterns with ``mask``'s format information, as the symbol is drawn."""
    code = _patterns(version, level, mask)
    for column, row in code.dataPosIterator():
        code.modules[row][column] = False
    return _as_rows(code.modules)


@cache
def _generator_logs(length: int) -> tuple[int, ...]:
    """reportlab's error-correction generator of ``length`` codewords (its coefficients after
    the leading 1, as logarithms), which it computes again for every block of every symbol."""
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(length).num
    return tuple(qrencoder.LOG_TABLE[coefficient] for coefficient in generator[1:])


def _error_correction(data: list[int], length: int) -> list[int]:
    """The remainder of data(x)·x^length divided by the generator: what reportlab's
    ``QRPolynomial.mod`` gives, by the usual shift register."""
    generator, exp = _generator_logs(length), qrencoder.EXP_TABLE
    remainder = [0] * length
    for codeword in data:
        factor = codeword ^ remainder[0]
        remainder = [*remainder[1:], 0]
        if factor:
            log = qrencoder.LOG_TABLE[factor]
            remainder = [
                r ^ exp[(log + g) % 255] for r, g in zip(remainder, generator, strict=True)
            ]
    return remainder


class _Bits:
    """reportlab's ``QRBitBuffer`` as one integer: what its data classes write (``put``, the
    low ``length`` bits of ``number``, highest first), without a call per bit."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length


def _codewords(version: int, level: int, data_list: list[qrencoder.QR]) -> list[int]:
    """reportlab's ``QRCode.createData``: the data bits, terminator and pad codewords, each
    block's error correction, interleaved."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)
    buffer = _Bits()
    for data in data_list:
        data.write(buffer, version)
    capacity = 8 * sum(block.dataCount for block in blocks)
    if buffer.length > capacity:
        raise ValueError(f"code length overflow ({buffer.length} > {capacity} bits)")
    if buffer.length + 4 <= capacity:
        buffer.put(0, 4)
    buffer.put(0, -buffer.length % 8)  # light bits up to a whole codeword
    written = list(buffer.value.to_bytes(buffer.length // 8, "big"))
    pads = cycle((qrencoder.QRCode.PAD0, qrencoder.QRCode.PAD1))
    codewords = written + list(islice(pads, capacity // 8 - len(written)))
    data_blocks, correction = [], []
    offset = 0
    for block in blocks:
        data_blocks.append(codewords[offset : offset + block.dataCount])
        offset += block.dataCount
        correction.append(_error_correction(data_blocks[-1], block.totalCount - block.dataCount))
    interleaved = chain(zip_longest(*data_blocks), zip_longest(*correction))
    return [codeword for each in interleaved for codeword in each if codeword is not None]


def _penalty(rows: list[int], side: int) -> int:
    """reportlab's lost points (``QRUtil.getLostPoint``) of one layout."""
    texts = [format(row, f"0{side}b") for row in rows]
    # One string for every row, then every column: a line break ends a run and a pattern.
    lines = "\n".join(texts + ["".join(column) for column in zip(*texts, strict=True)])
    found = RUN.findall(lines)
    runs = sum(map(len, found)) - 2 * len(found)
    pairs = (1 << (side - 1)) - 1
    blocks = 0
    for upper, lower in pairwise(rows):
        same = ~(upper ^ lower)
        blocks += (same & (same >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
    last = side - len(FINDER_LIKE.pattern)
    rows_only = lines[: side * (side + 1)]
    finder_like = sum(
        1 for found in FINDER_LIKE.finditer(rows_only) if found.start() % (side + 1) < last
    )
    dark = sum(row.bit_count() for row in rows)
    balance = 10 * (abs(100 * dark // side**2 - 50) // 5)
    return runs + 3 * blocks + 40 * finder_like + balance


def modules(text: str, level: str = "M") -> tuple[str, ...]:
    """The symbol of ``text`` (without its quiet zone), a string of "1" (dark) and "0" a row."""
    code = qrencoder.QRCode(None, LEVELS[level])
    code.addData(text)
    version = code.calculate_version()
    data = _codewords(version, code.errorCorrectLevel, code.dataList)
    shape = layout(version, code.errorCorrectLevel)
    placed = [0] * shape.side
    # As reportlab's mapData: the positions past the data bits are light before the mask.
    stream = format(int.from_bytes(bytes(data), "big"), f"0{8 * len(data)}b").encode()
    for row, bit in compress(shape.places, stream.translate(BIT_VALUES)):
        placed[row] |= bit
    penalties = [
        _penalty(
            [
                base | (data ^ darkened)
                for base, data, darkened in zip(shape.scored_base, placed, masks, strict=True)
            ],
            shape.side,
        )
        for masks in shape.masks
    ]
    best = penalties.index(min(penalties))
    drawn = zip(
        final_base(version, code.errorCorrectLevel, best), placed, shape.masks[best], strict=True
    )
    return tuple(
        format(base | (data ^ darkened), f"0{shape.side}b") for base, data, darkened in drawn
    )
