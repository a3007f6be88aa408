"""Budgets for responses that carry answers: computed once per app at start-up from each kind's
worst cases, in every language, and the one wrapper that pads a response to its budget.

What each kind is and what its worst cases are is declared in one place, screening/size_policy.py;
this module holds the loop and the store, below every page builder so that each of them can pad
by the kind's name.
The loop runs in create_app(): under gunicorn (``preload_app``) that is the master, before any
worker forks, so no worker ever measures anything on a patient's request and a fresh or HUP'd
worker serves its first PDF as fast as its second. Apps built in one process from the same inputs
(the test suite builds hundreds) share one computation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_babel import get_locale

from screening.errors import ConfigError
from screening.padding import GRANULE, PaddingOverflow, pad_pdf, pad_text

EXTENSION_KEY = "screening.response_budgets"
# Served below a path prefix (SCRIPT_NAME), every link grows by the prefix: a page has fewer
# links than this, and the allowance is the same whatever the answers.
LINKS_PER_RESPONSE = 64
log = logging.getLogger(__name__)


class BudgetError(ConfigError):
    """A kind of response cannot keep one length per language: start-up stops here."""


@dataclass(frozen=True)
class SizedKind:
    """One kind of response that carries answers: its name, its worst cases (bodies rendered in
    the current request's language), the padded length for a longest body (its margin covers
    what varies besides the answers), and whether it is a PDF."""

    name: str
    worst_cases: Callable[[], Iterable[bytes]]
    length_for: Callable[[int], int]
    pdf: bool = False

    def pad(self, body: bytes, length: int) -> bytes:
        return pad_pdf(body, length) if self.pdf else pad_text(body.decode("utf-8"), length)


def budget_of(kind: SizedKind) -> int:
    """The padded length of ``kind`` in the current request's language: its longest worst case
    plus its margin. Each worst case is padded to it, so a padding that could not reach the
    budget stops start-up rather than a patient's request."""
    bodies = list(kind.worst_cases())
    if not bodies:
        raise BudgetError(f"the response kind {kind.name!r} declares no worst case")
    length = kind.length_for(max(map(len, bodies)))
    for body in bodies:
        try:
            padded = kind.pad(body, length)
        except PaddingOverflow as error:
            raise BudgetError(f"{kind.name} cannot be padded to its budget: {error}") from error
        if len(padded) != length:
            raise BudgetError(f"{kind.name} padded to {len(padded)} bytes, not {length}")
    return length


@dataclass(frozen=True)
class Budgets:
    """The declared kinds by name, and each one's padded length by (kind, language)."""

    kinds: Mapping[str, SizedKind]
    lengths: Mapping[tuple[str, str], int]


# What the pages are made of -> budgets, shared by the apps of one process made of the same.
_computed: dict[str, Budgets] = {}


def compute_budgets(
    app: Flask, kinds: Sequence[SizedKind], languages: Iterable[str], inputs: str, host: str
) -> Budgets:
    """Every kind's budget in every language, stored in the app. Computed once per process and
    ``inputs`` (what the pages are made of): in production one app is built per process, and
    the test suite's apps that differ only in, say, a rate limit share one computation. The
    pages are rendered as for a request to ``host``."""
    if inputs not in _computed:
        lengths = {}
        for language in languages:
            with app.test_request_context(f"/?lang={language}", base_url=f"http://{host}/"):
                for kind in kinds:
                    lengths[(kind.name, language)] = budget_of(kind)
        _computed[inputs] = Budgets({kind.name: kind for kind in kinds}, lengths)
    app.extensions[EXTENSION_KEY] = _computed[inputs]
    return _computed[inputs]


def padded(name: str, body: bytes) -> bytes:
    """``body`` padded to the budget of the kind called ``name`` in this request's language."""
    budgets: Budgets = current_app.extensions[EXTENSION_KEY]
    kind = budgets.kinds[name]
    length = budgets.lengths[(name, str(get_locale()))]
    if request.script_root:
        length += -(-len(request.script_root) * LINKS_PER_RESPONSE // GRANULE) * GRANULE
    try:
        return kind.pad(body, length)
    except PaddingOverflow:
        # Never a failed response for a patient (this may be the page with the crisis numbers);
        # start-up measured the worst cases, and the tests in test_constant_size catch this.
        log.error("%s response longer than its budget %d: sizes may leak", kind.name, length)
        return kind.pad(body, kind.length_for(len(body)))
