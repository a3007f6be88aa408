"""Budgets for responses that carry answers: computed once per app at start-up from each kind's
worst cases, in every language, and the one wrapper that pads a response to its budget.

What each kind is and what its worst cases are is declared in one place,
screening/web/size_policy.py; this module holds the loop and the store, below every page builder so
that each of them can pad by the kind's name. The loop runs in create_app(): under gunicorn
(``preload_app``) that is the master, before any worker forks, so no worker ever measures anything
on a patient's request and a fresh or HUP'd worker serves its first PDF as fast as its second. Apps
built in one process from the same inputs (the test suite builds hundreds) share one computation,
and an instance restarted with the same code and settings reads its budgets back from the instance
folder instead of measuring again (a restart then takes a fraction of a second, not seconds with
requests queued in its socket).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import get_locale

from screening.core.errors import ConfigError
from screening.documents.padding import GRANULE, PaddingOverflow, pad_pdf, pad_text

EXTENSION_KEY = "screening.response_budgets"
# Budgets kept in the saved file, for this many sets of inputs (a bench or a test run builds
# apps of several settings in turn; each should find its own).
SAVED_INPUTS = 8
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


class MeasuredOnFirstUse(Mapping[tuple[str, str], int]):
    """Budgets measured one (kind, language) at a time, when a response first needs one: for
    the test suite's apps only (``create_app(budgets_on_first_use=True)``), which are built with
    some 40 sets of settings and each touch a kind or two; measuring all 87 budgets for every set
    cost about 9 s of CPU each, most of the suite's time. The lengths are those start-up would
    measure (the same ``budget_of``, on pages rendered in a context of their own, so nothing of
    the request being answered reaches them); a worst case that cannot be padded still fails,
    at that response instead of at start-up. Production never uses this: gunicorn's master
    measures everything before the workers fork."""

    def __init__(
        self, app: Flask, kinds: Mapping[str, SizedKind], languages: Sequence[str], host: str
    ) -> None:
        self._app, self._kinds, self._host = app, kinds, host
        self._keys = [(name, language) for language in languages for name in kinds]
        self._lengths: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: tuple[str, str]) -> int:
        if key not in self._lengths:
            if key not in self._keys:
                raise KeyError(key)
            name, language = key
            with (
                self._lock,
                self._app.app_context(),
                self._app.test_request_context(
                    f"/?lang={language}", base_url=f"http://{self._host}/"
                ),
            ):
                self._lengths[key] = budget_of(self._kinds[name])
        return self._lengths[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


# What the pages are made of -> budgets, shared by the apps of one process made of the same.
_computed: dict[str, Budgets] = {}


def compute_budgets(
    app: Flask,
    kinds: Sequence[SizedKind],
    languages: Iterable[str],
    inputs: str,
    host: str,
    saved: Path | None = None,
    *,
    on_first_use: bool = False,
) -> Budgets:
    """Every kind's budget in every language, stored in the app. Computed once per process and
    ``inputs`` (a digest of what the pages are made of: code, templates, catalogues, settings):
    in production one app is built per process, and the test suite's apps that differ only in,
    say, a rate limit share one computation. The pages are rendered as for a request to
    ``host``. ``saved``: a file that keeps the budgets for the next start with the same inputs.
    ``on_first_use``: measure each budget when a response first needs it (tests only; see
    MeasuredOnFirstUse); budgets measured so are completed here for the next app that wants
    them all at start."""
    languages = list(languages)
    kinds_by_name = {kind.name: kind for kind in kinds}
    if on_first_use:
        if inputs not in _computed:
            _computed[inputs] = Budgets(
                kinds_by_name, MeasuredOnFirstUse(app, kinds_by_name, languages, host)
            )
        app.extensions[EXTENSION_KEY] = _computed[inputs]
        return _computed[inputs]
    if inputs in _computed and isinstance(_computed[inputs].lengths, MeasuredOnFirstUse):
        _computed[inputs] = Budgets(kinds_by_name, dict(_computed[inputs].lengths))
    if inputs not in _computed:
        wanted = {(kind.name, language) for kind in kinds for language in languages}
        lengths = _read_saved(saved, inputs, wanted)
        if lengths is None:
            lengths = {}
            for language in languages:
                with app.test_request_context(f"/?lang={language}", base_url=f"http://{host}/"):
                    for kind in kinds:
                        lengths[(kind.name, language)] = budget_of(kind)
        _computed[inputs] = Budgets(kinds_by_name, lengths)
    if saved is not None and inputs not in _saved_rows(saved):
        _save(saved, inputs, dict(_computed[inputs].lengths))
    app.extensions[EXTENSION_KEY] = _computed[inputs]
    return _computed[inputs]


def _read_saved(
    saved: Path | None, inputs: str, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], int] | None:
    """The budgets saved for exactly these inputs and kinds, or None."""
    try:
        rows = _saved_rows(saved).get(inputs)
        if rows is None:
            return None
        lengths = {(name, language): int(length) for name, language, length in rows}
    except (ValueError, TypeError):
        return None
    return lengths if set(lengths) == wanted else None


def _saved_rows(saved: Path | None) -> dict[str, list]:
    """Inputs -> budget rows, as saved (oldest first); empty when there is no readable file."""
    try:
        data = json.loads(saved.read_text(encoding="utf-8")) if saved else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(saved: Path | None, inputs: str, lengths: dict[tuple[str, str], int]) -> None:
    """Keep the budgets for the next start; an instance folder that cannot be written costs
    only that next start's measuring."""
    if saved is None:
        return
    kept = _saved_rows(saved)
    kept.pop(inputs, None)
    kept[inputs] = [[name, lang, length] for (name, lang), length in sorted(lengths.items())]
    kept = dict(list(kept.items())[-SAVED_INPUTS:])
    temporary = saved.with_name(f".{saved.name}.{os.getpid()}")
    try:
        saved.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(kept), encoding="utf-8")
        os.replace(temporary, saved)
    except OSError as error:
        log.warning("response budgets not saved for the next start: %s", error)


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
