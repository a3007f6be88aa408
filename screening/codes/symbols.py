"""How a result code is written: Crockford base-32 symbols in groups of four after the
instrument's prefix, the last a Luhn mod 32 check symbol. Pure; no Flask.

Crockford's alphabet has no I, L, O or U; on input I and L read as 1, O as 0, and spaces, hyphens
and case do not matter. The check symbol catches a mistyped symbol before any key is used.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
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


def normalise(text: str, prefix: str) -> str:
    """Upper case, no spaces or hyphens, I/L/O read as 1/1/0, the prefix taken off."""
    compact = "".join(text.split()).replace("-", "").upper()
    if compact.startswith(prefix):
        compact = compact[len(prefix) :]
    return compact.translate(READ_AS)


def symbols_number(symbols: str) -> int:
    """Alphabet symbols read as one number, most significant first."""
    number = 0
    for symbol in symbols:
        number = (number << SYMBOL_BITS) | VALUES[symbol]
    return number
