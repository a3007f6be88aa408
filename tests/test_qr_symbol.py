"""The QR symbol's modules (screening/documents/qr_symbol.py) are reportlab's own, module for
module and mask for mask, and nothing of a text is kept once its symbol is made."""

from __future__ import annotations

import random

from reportlab.graphics.barcode import qrencoder

from screening.codes.symbols import ALPHABET
from screening.documents import qr_symbol
from screening.documents.qr_symbol import LEVELS, modules

# Result codes are alphanumeric; digits and bytes (Latin and Cyrillic) take reportlab's other
# encodings. Lengths up to 200 reach version 12, past version 7's version information.
ALPHABETS = (ALPHABET + "-", "0123456789", "abcxyz АБВ!?")


def reportlab_symbol(text: str, level: str) -> tuple[tuple[str, ...], int]:
    """reportlab's modules for ``text`` and the mask it chose: ``QRCode.make()`` in its two
    steps, so that the mask is seen."""
    code = qrencoder.QRCode(None, LEVELS[level])
    code.addData(text)
    code.version = code.calculate_version()
    mask = code.getBestMaskPattern()
    code.makeImpl(False, mask)
    return tuple("".join("1" if dark else "0" for dark in row) for row in code.modules), mask


def texts(count: int) -> list[tuple[str, str]]:
    chosen = random.Random(24)
    return [
        (
            "".join(chosen.choice(ALPHABETS[n % 3]) for _ in range(chosen.randint(1, 200))),
            chosen.choice("LMQH"),
        )
        for n in range(count)
    ]


def test_every_module_and_mask_is_reportlabs() -> None:
    masks, versions = set(), set()
    for text, level in texts(600):
        expected, mask = reportlab_symbol(text, level)
        assert modules(text, level) == expected, (text, level)
        masks.add(mask)
        versions.add((len(expected) - 17) // 4)
    # Every mask won somewhere, and versions with and without version information were made.
    assert masks == set(range(8))
    assert {1, 2, 3, 7, 10} <= versions


def test_the_result_codes_symbols_are_reportlabs() -> None:
    chosen = random.Random(6)
    for _ in range(200):
        groups = ("".join(chosen.choices(ALPHABET, k=4)) for _ in range(chosen.randint(4, 12)))
        code = "EPDS-" + "-".join(groups)
        assert modules(code) == reportlab_symbol(code, "M")[0], code


def test_nothing_of_a_text_is_kept() -> None:
    """What is kept is one layout per version and level, its drawn patterns per mask and one
    error-correction generator per block length: 50 more codes of the same length add no
    layout and no generator, and at most the other seven masks' patterns."""
    chosen = random.Random(7)

    def code() -> str:
        return "EPDS-" + "-".join("".join(chosen.choices(ALPHABET, k=4)) for _ in range(6))

    modules(code())
    layouts = qr_symbol.layout.cache_info().currsize
    generators = qr_symbol._generator_logs.cache_info().currsize
    drawn = qr_symbol.final_base.cache_info().currsize
    for _ in range(50):
        modules(code())
    assert qr_symbol.layout.cache_info().currsize == layouts
    assert qr_symbol._generator_logs.cache_info().currsize == generators
    assert qr_symbol.final_base.cache_info().currsize - drawn <= 7
