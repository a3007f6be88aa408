"""Several result codes typed, pasted or scanned at intake: split them, collapse duplicates, check
each one on its own and put the good ones in time order. Pure; no Flask.

A code may be typed with spaces between its groups, so splitting is by line first; a line holding
several codes is split where each one starts with the instrument's prefix, else at spaces, or,
when it holds only groups of four, where each code's own check symbol says it ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from screening.codes.codec import code_lengths, looks_like_a_code, normalise, verified_code
from screening.codes.errors import ResultCodeError
from screening.codes.seal import ResultCodeKeys
from screening.codes.symbols import GROUP, folded
from screening.core.instrument import Instrument
from screening.core.marks import N_
from screening.core.scoring import score
from screening.core.trend import Screening, Series

MAX_CODES = 12
TOO_MANY = N_(
    "Up to %(maximum)s result codes can be shown together; %(count)s were given. "
    "Please remove the oldest ones."
)


@dataclass(frozen=True)
class CodeProblem:
    """A code that could not be restored: its position among the codes given (from 1), what was
    typed, and why, untranslated with its placeholders' values."""

    position: int
    typed: str
    reason: str
    params: dict[str, object] = field(default_factory=dict)
    plural: str | None = None


@dataclass(frozen=True)
class Restored:
    """What a posted list of codes gave: the series of good ones and each bad one's problem."""

    series: Series
    problems: tuple[CodeProblem, ...]


def _cut_at_codes(compact: str, instrument: Instrument) -> list[str]:
    """``compact`` cut into pieces that each look like a code (``looks_like_a_code``: a code's
    length, its check symbol and its version in its first symbol), trying every
    code length at each cut (longest first); cut at the longest length if no such way exists,
    so each piece is then refused with its own message. Linear: ``ends[i]`` is the length of a
    code starting at ``i`` from which the rest can be cut, if any."""
    lengths = sorted(code_lengths(instrument))
    ends: dict[int, int] = {}
    for start in range(len(compact) - 1, -1, -1):
        for length in reversed(lengths):
            stop = start + length
            fits = stop <= len(compact) and (stop == len(compact) or stop in ends)
            if fits and looks_like_a_code(compact[start:stop], instrument):
                ends[start] = length
                break
    if 0 not in ends:
        longest = lengths[-1]
        return [compact[i : i + longest] for i in range(0, len(compact), longest)]
    pieces, start = [], 0
    while start < len(compact):
        pieces.append(compact[start : start + ends[start]])
        start += ends[start]
    return pieces


def split_codes(text: str, instrument: Instrument) -> list[str]:
    """The codes in ``text`` as typed (folded: look-alike characters as the code's own, so a
    prefix typed in Cyrillic letters is found too), in order, duplicates (after normalising)
    left out."""
    prefix = re.escape(instrument.id)
    full = max(code_lengths(instrument))
    pieces: list[str] = []
    for line in folded(text).splitlines():
        if not line.strip():
            continue
        starts = [m.start() for m in re.finditer(rf"(?<![0-9A-Za-z]){prefix}", line, re.I)]
        if len(starts) > 1 or (len(starts) == 1 and starts[0] > 0 and line[: starts[0]].strip()):
            bounds = sorted({0, *starts})
            pieces += [line[a:b] for a, b in zip(bounds, [*bounds[1:], len(line)], strict=True)]
        elif len(normalise(line, instrument)) > full:
            tokens = [token for token in re.split(r"[\s,;]+", line) if token]
            if all(len(token) <= GROUP for token in tokens):
                # Codes typed in groups of four without their prefix: cut where a code of some
                # version ends with its own check symbol.
                pieces += _cut_at_codes(normalise(line, instrument), instrument)
            else:
                pieces += tokens
        else:
            pieces.append(line)
    seen: set[str] = set()
    codes = []
    for piece in (piece.strip(" \t,;") for piece in pieces):
        key = normalise(piece, instrument)
        if piece and key not in seen:
            seen.add(key)
            codes.append(piece)
    return codes


def restore_series(
    codes: list[str],
    instrument: Instrument,
    keys: ResultCodeKeys,
    now: datetime,
    max_age_days: int,
    v1_until: date | None = None,
    installed: tuple[Instrument, ...] = (),
) -> Restored:
    """Check every code on its own; one bad code never hides the others' results. A code that
    records its items' text is matched against the ``installed`` texts."""
    screenings: dict[tuple[datetime, tuple[int, ...]], Screening] = {}
    problems = []
    for position, typed in enumerate(codes, start=1):
        try:
            restored = verified_code(typed, instrument, keys, now, max_age_days, v1_until)
        except ResultCodeError as error:
            problems.append(CodeProblem(position, typed, error.reason, error.params, error.plural))
            continue
        answers = tuple(restored.answers.values())
        # The same screening given as codes of two versions counts once.
        screenings.setdefault(
            (restored.completed_at, answers),
            Screening(
                result=score(instrument, restored.answers),
                completed_at=restored.completed_at,
                code=typed.strip(),
                code_version=restored.version,
                context=restored.context,
                administration=restored.administration(installed),
            ),
        )
    return Restored(Series.of(list(screenings.values())), tuple(problems))
