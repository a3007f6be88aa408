"""How a result code is written: Crockford base-32 symbols in groups of four after the
instrument's prefix, the last a Luhn mod 32 check symbol. Pure; no Flask.

Crockford's alphabet has no I, L, O or U; on input I and L read as 1, O as 0, and spaces, hyphens
and case do not matter. What only looks like a code's character reads as it (``folded()``):
fullwidth and other compatibility forms, any dash, Cyrillic and Greek letters that look like
the Latin ones, and invisible format characters are dropped. The check symbol catches a
mistyped symbol before any key is used.
"""

from __future__ import annotations

import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Capital Cyrillic and Greek letters, by their Unicode names, that a person copying a code (or
# a keyboard layout left on, or a font) may give for the Latin letter or digit they look like
# (ZE for 3); each one's small letter reads as the Latin small letter. Only look-alikes of the
# alphabet, the prefix and what READ_AS reads.
CYRILLIC_LOOK_ALIKES = {
    **{"A": "A", "VE": "B", "IE": "E", "ZE": "3", "BYELORUSSIAN-UKRAINIAN I": "I", "JE": "J"},
    **{"KA": "K", "EM": "M", "EN": "H", "O": "O", "ER": "P", "ES": "C", "DZE": "S", "TE": "T"},
    **{"HA": "X", "STRAIGHT U": "Y", "QA": "Q", "WE": "W"},
}
GREEK_LOOK_ALIKES = {
    **{"ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H", "IOTA": "I"},
    **{"KAPPA": "K", "MU": "M", "NU": "N", "OMICRON": "O", "RHO": "P", "TAU": "T"},
    **{"UPSILON": "Y", "CHI": "X"},
}
LOOK_ALIKES = {
    unicodedata.lookup(f"{script} CAPITAL LETTER {name}"): latin
    for script, letters in (("CYRILLIC", CYRILLIC_LOOK_ALIKES), ("GREEK", GREEK_LOOK_ALIKES))
    for name, latin in letters.items()
} | {"\N{CYRILLIC LETTER PALOCHKA}": "I"}
FOLD = str.maketrans(
    LOOK_ALIKES | {capital.lower(): latin.lower() for capital, latin in LOOK_ALIKES.items()}
)
# Dashes that are not Unicode's dash punctuation (Pd): the minus sign, the hyphen bullet.
OTHER_DASHES = {"\u2212", "\u2043"}
SYMBOL_BITS = 5
GROUP = 4


def luhn_check_symbol(symbols: str) -> str:
    """Luhn mod 32: catches every single mistyped symbol and most swapped neighbours."""
    total = 0
    for position, symbol in enumerate(reversed(symbols)):
        value = VALUES[symbol] * (2 if position % 2 == 0 else 1)
        total += value // 32 + value % 32
    return ALPHABET[(32 - total % 32) % 32]


def check_symbol_matches(compact: str) -> bool:
    """Whether the last of these alphabet symbols is the Luhn check of the ones before it."""
    return luhn_check_symbol(compact[:-1]) == compact[-1]


def in_groups(prefix: str, symbols: str) -> str:
    """E.g. ``EPDS-XXXX-XXXX-X``: the prefix, then the symbols in groups of four."""
    groups = (symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))
    return "-".join([prefix, *groups])


def written(prefix: str, number: int, symbols_count: int) -> str:
    """``number`` as ``symbols_count`` symbols, most significant first, with its check symbol,
    grouped after the prefix."""
    symbols = "".join(
        ALPHABET[(number >> (SYMBOL_BITS * (symbols_count - 1 - i))) & 31]
        for i in range(symbols_count)
    )
    return in_groups(prefix, symbols + luhn_check_symbol(symbols))


def folded(text: str) -> str:
    """``text`` with what only looks like a code's characters written as them, case kept:
    NFKC (fullwidth letters and digits, the non-breaking hyphen), format characters dropped
    (Unicode Cf: zero-width spaces, bidi marks such as RLO, the soft hyphen), every dash read
    as "-", and the Cyrillic and Greek look-alikes of LOOK_ALIKES read as Latin."""
    characters = (
        "-" if unicodedata.category(char) == "Pd" or char in OTHER_DASHES else char
        for char in unicodedata.normalize("NFKC", text)
        if unicodedata.category(char) != "Cf"
    )
    return "".join(characters).translate(FOLD)


def normalise(text: str, prefix: str) -> str:
    """Folded (``folded()``), upper case, no spaces or hyphens, I/L/O read as 1/1/0, the prefix
    taken off."""
    compact = "".join(folded(text).split()).replace("-", "").upper()
    if compact.startswith(prefix):
        compact = compact[len(prefix) :]
    return compact.translate(READ_AS)


def symbols_number(symbols: str) -> int:
    """Alphabet symbols read as one number, most significant first."""
    number = 0
    for symbol in symbols:
        number = (number << SYMBOL_BITS) | VALUES[symbol]
    return number
