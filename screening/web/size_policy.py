"""Size privacy, declared: every kind of response whose content depends on the answers, with the
renderer of its worst cases and its margin, in one table; install() computes every budget when
the app is built.

A new kind of response that carries answers gets one row here and pads its body with
``response_sizes.padded(name, body)``; a name padded but not declared here fails its first test.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache, partial
from importlib import metadata
from pathlib import Path

from flask import Flask

from screening.codes.series import MAX_CODES
from screening.documents.padding import padded_length, series_padded_length
from screening.documents.pdf_base import FONT_DIRECTORY
from screening.web import access, callback, entry, pages, staff
from screening.web.i18n import LANGUAGES
from screening.web.response_sizes import SizedKind, compute_budgets
from screening.web.state import screening_state_of, settings_of


def _series_page_kind(count: int) -> SizedKind:
    return SizedKind(
        f"series:{count}",
        pages.worst_series_pages(count),
        partial(series_padded_length, kind="series", count=count),
    )


def _series_pdf_kind(count: int) -> SizedKind:
    return SizedKind(
        f"series-pdf:{count}",
        pages.worst_series_pdfs(count),
        partial(series_padded_length, kind="series-pdf", count=count),
        pdf=True,
    )


KINDS: tuple[SizedKind, ...] = (
    # Patient side: the result page, its PDF and FHIR export, the questionnaire and the access
    # page carrying answers, the call-back confirmation (it says whether item 10 was above 0).
    SizedKind("page", pages.worst_results("page"), partial(padded_length, kind="page")),
    SizedKind("pdf", pages.worst_results("pdf"), partial(padded_length, kind="pdf"), pdf=True),
    SizedKind("fhir", pages.worst_results("fhir"), partial(padded_length, kind="fhir")),
    SizedKind(
        "questionnaire",
        pages.worst_questionnaires,
        partial(padded_length, kind="questionnaire"),
    ),
    SizedKind("access", access.worst_access_pages, partial(padded_length, kind="access")),
    SizedKind("callback-sent", callback.worst_sent_pages, partial(padded_length, kind="page")),
    # Clinician side: a restored result, the series page of 2 to MAX_CODES codes, and the series
    # PDF from one screening on (one code, or the same code twice, prints a series of one).
    SizedKind("restored", pages.worst_results("restored"), partial(padded_length, kind="page")),
    # A screening staff entered (paper, interview): its result page, and its form kept after an
    # error.
    SizedKind("entered", pages.worst_results("entered"), partial(padded_length, kind="page")),
    SizedKind("entry", entry.worst_entry_pages, partial(padded_length, kind="questionnaire")),
    # The sign-in page carrying an entry posted after the sign-in ended, in hidden fields.
    SizedKind(
        "sign-in-entry",
        staff.worst_carrying_sign_in_pages,
        partial(padded_length, kind="access"),
    ),
    *(_series_page_kind(count) for count in range(2, MAX_CODES + 1)),
    *(_series_pdf_kind(count) for count in range(1, MAX_CODES + 1)),
)


def page_inputs(app: Flask) -> str:
    """What the responses are made of: the instrument and its translations, the clinic in each
    language, its own texts, the call-back form's settings and the settings pages read. Apps of
    one process that agree on these share their budgets (a signing key, a rate limit or the
    HTTPS setting change no response's length)."""
    state, settings = screening_state_of(app), settings_of(app)
    callback_inputs = (
        settings.callback.mail is not None,
        settings.callback.country,
        settings.reminder,
    )
    # The settings a page's length can depend on besides the clinic and the call-back.
    read_by_pages = (
        settings.access.grant_hours,
        settings.codes.max_age_days,
        settings.proxy.trusted_hosts,
    )
    return repr(
        (
            state.instrument,
            state.clinic,
            state.translations,
            state.clinics,
            state.about_texts,
            callback_inputs,
            read_by_pages,
        )
    )


# What the code renders with: its modules, templates, catalogues and instrument files, the PDF
# fonts, and the installed packages (a new reportlab writes PDFs of other lengths).
BUILT_FROM = (".py", ".html", ".mo", ".json", ".ttf")
SAVED_BUDGETS = "response-budgets.json"


def build_digest(app: Flask) -> str:
    return _digest_of(Path(app.root_path), Path(str(app.template_folder)))


@cache
def _digest_of(package: Path, templates: Path) -> str:
    """A digest of every file and package the responses are rendered with, read once per
    process (a code change starts a new process; the digest costs about 50 ms)."""
    digest = hashlib.sha256()
    folders = {package, templates, FONT_DIRECTORY}
    files = sorted(
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.suffix in BUILT_FROM and path.is_file()
    )
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    digest.update("\n".join(packages).encode())
    return digest.hexdigest()


def install(app: Flask, *, on_first_use: bool = False) -> None:
    """Every kind's budget in every language, now: under gunicorn's ``preload_app`` this runs in
    the master, so workers fork with the budgets and never measure on a request. Kept in the
    instance folder for the next start of the same code with the same settings.
    ``on_first_use``: the test suite's apps measure each budget when first needed instead."""
    trusted = settings_of(app).proxy.trusted_hosts or ("localhost",)
    # A host the app answers (".example.org" stands for its subdomains): links are relative.
    host = "www" + trusted[0] if trusted[0].startswith(".") else trusted[0]
    inputs = hashlib.sha256((build_digest(app) + page_inputs(app)).encode()).hexdigest()
    # systemd's CacheDirectory= (the instance folder is read-only under ProtectSystem=strict).
    saved = Path(os.environ.get("CACHE_DIRECTORY") or app.instance_path) / SAVED_BUDGETS
    if on_first_use:
        compute_budgets(app, KINDS, LANGUAGES, inputs, host, on_first_use=True)
    else:
        compute_budgets(app, KINDS, LANGUAGES, inputs, host, saved)
