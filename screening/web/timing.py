"""Response times that say nothing about the answers: documents held to a fixed minimum time.

A PDF with the safety flag set has more to lay out (the urgent box, more notes for the
clinician) than one without, so it took measurably longer (median 101 against 88 ms through the
stack); an observer timing responses could tell them apart. Every document response is now held
until DOCUMENT_MIN_MILLISECONDS after its view began, longer than rendering takes, so flagged
and unflagged ones leave at the same moment. The wait is a sleep: it costs a worker time but no
CPU, and a patient downloads one document.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from screening.web.state import current_settings

P = ParamSpec("P")
T = TypeVar("T")


def held_to_minimum_time(view: Callable[P, T]) -> Callable[P, T]:
    """Run ``view``, then wait until DOCUMENT_MIN_MILLISECONDS have passed since it began."""

    @functools.wraps(view)
    def held(*args: P.args, **kwargs: P.kwargs) -> T:
        began = time.monotonic()
        response = view(*args, **kwargs)
        remaining = current_settings().limits.document_min_milliseconds / 1000 - (
            time.monotonic() - began
        )
        if remaining > 0:
            time.sleep(remaining)
        return response

    return held
