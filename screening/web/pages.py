"""Page builders shared by the blueprints: the questionnaire with answers kept (views, and access
after a grant ended), the result page (a fresh submission in views, one restored from its result
code in intake), its PDF and FHIR export, and the headers every response with answers carries.

Every response whose content depends on the answers leaves here padded to one length per language
and kind (screening/web/response_sizes.py), so that a response's size says nothing about the
answers. The answer sets and forms that make each kind longest are here too, next to what they
render; screening/web/size_policy.py declares every kind with them.

It sits below the blueprints so that no blueprint builds on another.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import product

from flask import current_app, g, render_template, request
from flask_babel import LazyString, get_locale, gettext, ngettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from jinja2.runtime import Macro
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from screening.codes.codec import FINGERPRINT_BITS, LANGUAGE_NUMBERS, VERSION, encode_administered
from screening.core.administration import (
    MODE_LABELS,
    NOT_RECORDED,
    Administration,
    ItemsText,
    Mode,
)
from screening.core.clinician import (
    ASSESS_TODAY,
    FLAGGED_SCREENING,
    PAST_FLAG_ADVICE,
    Note,
    band_text,
    clinician_notes,
    language_note,
    mode_note,
    next_steps,
    subscale_heading,
)
from screening.core.context import (
    EXPECTING,
    LOSS,
    NO_INFANT,
    NOT_ASKED,
    NOT_GIVEN,
    WEEKS,
    Context,
    Status,
    describe,
    every_context,
)
from screening.core.context import LABEL as CONTEXT_LABEL
from screening.core.dates import for_people, now_utc, short_date
from screening.core.instrument import Instrument
from screening.core.local_cut_offs import local_cut_off_notes
from screening.core.scoring import ScreeningResult, score
from screening.core.translator import Translator
from screening.core.trend import (
    CHANGE_LABELS,
    CHANGE_RULE,
    Screening,
    Series,
    close_together_text,
    zero_total_texts,
)
from screening.documents.chart import ChartWords, svg
from screening.documents.fhir import build_bundle
from screening.documents.padding import extreme_answers
from screening.documents.pdf import Printout, lay_out_fixed_text, render_pdf
from screening.documents.qr import qr_svg_data_uri
from screening.documents.series_pdf import SeriesPrintout, render_series_pdf
from screening.web.callback_form import section_form
from screening.web.forms import (
    CONTEXT_FIELD,
    GLOBAL_MESSAGES,
    NO_CONTEXT_ENTRY,
    POSTED_CHOICE,
    SUBMIT_BUTTON_ID,
    WEEKS_FIELDS,
    WEEKS_KEPT,
    ContextEntry,
    ErrorLink,
    context_error_links,
    field_name,
    item_error_links,
    item_errors,
    kept_answers,
    kept_context,
)
from screening.web.response_sizes import padded
from screening.web.state import (
    current_clinic,
    current_instrument,
    current_settings,
    screening_state,
)

# no-transform: a proxy that compressed these responses would make their sizes differ again.
NO_STORE = {"Cache-Control": "no-store, no-transform", "Pragma": "no-cache"}
Page = tuple[str | bytes, int, dict[str, str]]


def form_page(
    template: str,
    form: FlaskForm,
    status: int,
    message: str | LazyString | None = None,
    **context: object,
) -> Page:
    """A page around one short form (the access code, a result code): the form with what was
    typed, a message above it if any, and ``no-store`` (the access page may carry answers)."""
    page = render_template(template, form=form, message=message, **context)
    return page, status, NO_STORE


def padded_form_page(kind: str, page: str, status: int) -> Page:
    """A form page that carries answers on in hidden fields, padded to one length per language,
    so its size says nothing of them."""
    return padded(kind, page.encode()), status, NO_STORE


def result_code_for(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context = NOT_GIVEN,
    administration: Administration = NOT_RECORDED,
) -> str:
    state = screening_state()
    keys = state.result_code_key
    answers = outcome.option_indexes
    return encode_administered(
        outcome.instrument, answers, completed_at, keys, context, administration
    )


def local_notes(outcome: ScreeningResult, administration: Administration) -> tuple[Note, ...]:
    """The local cut-offs applied to this result, when the clinic uses them and the items were
    given in an installed translation whose validation has them (screening/core/local_cut_offs.py):
    the text the result code names, whichever language the clinician reads the page in."""
    items = administration.items
    used = items.installed if items is not None else None
    if used is None or used.provenance is None or not used.provenance.local_cut_offs:
        return ()
    enabled = current_settings().results.local_cut_offs
    return local_cut_off_notes(score(used, dict(outcome.option_indexes)), gettext, enabled)


def context_text(context: Context) -> str:
    """The answer to the question before the items, in the interface language."""
    return describe(context, gettext, ngettext)


def _questionnaire_html(
    kept: dict[int, str],
    errors_by_item: dict[int, tuple[str, ...]] | None = None,
    errors: list[ErrorLink] | None = None,
    context: ContextEntry = NO_CONTEXT_ENTRY,
    **overrides: object,
) -> str:
    return render_template(
        "questionnaire.html",
        kept=kept,
        item_errors=errors_by_item or {},
        errors=errors or [],
        context=context,
        **overrides,
    )


# The blank questionnaire is the same for every request in one language but for its CSRF token
# and the clinic's open-now line: rendered once per language and URL prefix with these marks in
# their place, then filled in per request.
CSRF_MARK = "@@csrf-token@@"
OPENING_MARK = "@@opening-status@@"
BLANK_KEY = "screening.blank_questionnaire"


def blank_questionnaire_page() -> Page:
    """The blank questionnaire, from the copy rendered once per language (afresh on every
    request when templates reload, as in development)."""
    copies: dict[tuple[str, str], str] = current_app.extensions.setdefault(BLANK_KEY, {})
    key = (str(get_locale()), request.script_root)
    if key not in copies or current_app.jinja_env.auto_reload:
        copies[key] = _questionnaire_html(
            {}, csrf_token=lambda: CSRF_MARK, opening_status=lambda: OPENING_MARK
        )
    opening_status: Callable[[], str] = current_app.jinja_env.globals["opening_status"]  # type: ignore[assignment]
    page = copies[key].replace(CSRF_MARK, generate_csrf(), 1)
    return page.replace(OPENING_MARK, str(escape(opening_status()))), 200, NO_STORE


def questionnaire_page(
    kept: dict[int, str],
    errors_by_item: dict[int, tuple[str, ...]] | None = None,
    errors: list[ErrorLink] | None = None,
    context: ContextEntry = NO_CONTEXT_ENTRY,
) -> Page:
    """The questionnaire with the answers given so far: 400 with its errors, 200 without. With
    answers or errors it is padded, so that its size does not say which answers were given."""
    page = _questionnaire_html(kept, errors_by_item, errors, context)
    status = 400 if errors else 200
    if not kept and not errors and not context.values:
        return page, status, NO_STORE
    return padded("questionnaire", page.encode("utf-8")), status, NO_STORE


# The result page's parts that no answer changes (_result_parts.html): rendered once per
# language, URL prefix and app, each macro for every value of its arguments, with marks where the
# open-now line, the CSRF token and the result code go.
CODE_MARK = "@@result-code@@"
RESULT_PARTS_KEY = "screening.result_parts"
ResultParts = dict[tuple[object, ...], Markup]


def result_parts() -> ResultParts:
    """(macro name, its arguments) -> the part with its marks, from the copy kept for this
    language (afresh on every request when templates reload, as in development)."""
    copies: dict[tuple[str, str], ResultParts] = current_app.extensions.setdefault(
        RESULT_PARTS_KEY, {}
    )
    key = (str(get_locale()), request.script_root)
    if key not in copies or current_app.jinja_env.auto_reload:
        marks: dict[str, object] = {
            "opening_status": lambda: OPENING_MARK,
            "csrf_token": lambda: CSRF_MARK,
            "result_code": CODE_MARK,
        }
        current_app.update_template_context(marks)
        module = current_app.jinja_env.get_template("_result_parts.html").make_module(marks)
        macros = [each for each in vars(module).values() if isinstance(each, Macro)]
        copies[key] = {
            (macro.name, *flags): Markup(macro(*flags))
            for macro in macros
            for flags in product((False, True), repeat=len(macro.arguments))
        }
    return copies[key]


def _part_filler(result_code: str) -> Callable[..., Markup]:
    """part(name, *flags) for result.html: the kept part with this request's open-now line,
    CSRF token and result code in place of its marks (the open-now line found once a page)."""
    parts = result_parts()
    filled = {CODE_MARK: str(escape(result_code))}

    def fill(mark: str, value: Callable[[], str]) -> str:
        if mark not in filled:
            filled[mark] = str(escape(value()))
        return filled[mark]

    def part(name: str, *flags: bool) -> Markup:
        text = str(parts[(name, *flags)])
        if OPENING_MARK in text:
            opening_status: Callable[[], str] = current_app.jinja_env.globals["opening_status"]  # type: ignore[assignment]
            text = text.replace(OPENING_MARK, fill(OPENING_MARK, opening_status))
        if CSRF_MARK in text:
            text = text.replace(CSRF_MARK, fill(CSRF_MARK, generate_csrf))
        return Markup(text.replace(CODE_MARK, filled[CODE_MARK]))

    return part


def _result_html(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context,
    administration: Administration,
    restored: bool,
    entered: bool = False,
) -> str:
    code = result_code_for(outcome, completed_at, context, administration)
    language = str(get_locale())
    return render_template(
        "result.html",
        # Entered by staff from a paper form or an interview: the clinician's page, so restored.
        entered=entered,
        part=_part_filler(code),
        result=outcome,
        completed_at=completed_at,
        completed_text=for_people(completed_at, screening_state().clinic.timezone, language),
        # The patient's page repeats only an answer given; the clinician's notes say every one.
        told_us=context.status in WEEKS,
        # A pregnancy that ended or a baby who died: the page offers support after a loss and
        # does not speak of "your baby".
        loss=context.status is Status.LOSS,
        context_label=gettext(CONTEXT_LABEL),
        context_text=context_text(context),
        result_code=code,
        result_code_qr=qr_svg_data_uri(code),
        restored=restored,
        # The call-back section of the patient's own page (not the restored one) offers the code.
        callback=None if restored else section_form(code),
        clinician_notes=(
            clinician_notes(outcome, gettext, language, administration, context.status in NO_INFANT)
            + local_notes(outcome, administration)
            if restored
            else ()
        ),
        # English items (the caveat names English) read by someone reading the page in another
        # language: they are told their answers may not say what they meant.
        items_in_another_language=outcome.instrument.language == "en" != language,
        clinician_band=band_text(outcome, gettext) if restored else "",
        clinician_next_steps=(
            next_steps(outcome, gettext, context.status in NO_INFANT) if restored else ()
        ),
    )


def result_page(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context = NOT_GIVEN,
    administration: Administration = NOT_RECORDED,
    restored: bool = False,
    entered: bool = False,
) -> Page:
    """The result page, for a fresh submission, for one restored from its result code or for
    one staff entered (``entered``: a clinician's page, with its notes); ``administration`` is
    how it was given: the interface language the questionnaire was answered in, the text of its
    items and the mode."""
    restored = restored or entered
    kind = "entered" if entered else "restored" if restored else "page"
    html = _result_html(outcome, completed_at, context, administration, restored, entered)
    return padded(kind, html.encode("utf-8")), 200, NO_STORE


def _translator() -> Translator:
    """The request's interface language, for the documents made in it."""
    language = str(get_locale())
    characters = current_app.extensions.get(PDF_CHARACTERS, {}).get(language, "")
    return Translator(gettext, ngettext, language, characters)


def _pdf(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context,
    administration: Administration,
) -> bytes:
    printout = Printout(
        result=outcome,
        clinic=current_clinic(),
        completed_at=completed_at,
        result_code=result_code_for(outcome, completed_at, context, administration),
        translator=_translator(),
        context=context,
        printed_at=now_utc(),
        administration=administration,
        local_cut_off_notes=local_notes(outcome, administration),
    )
    return render_pdf(printout)


# app.extensions: language -> the characters beyond ASCII its documents can print.
PDF_CHARACTERS = "screening.pdf_characters"


def pdf_words(catalogue: str) -> str:
    """Every word a document in this request's language can print, with the catalogue's: the
    instrument's texts, the clinic's settings and every month's date."""
    moments = [now_utc().replace(month=month, day=28) for month in range(1, 13)]
    zone, language = current_clinic().timezone, str(get_locale())
    dates = [for_people(moment, zone, language) for moment in moments]
    return "\n".join([catalogue, repr(current_instrument()), repr(current_clinic()), *dates])


def lay_out_result_pdf_text() -> None:
    """Start-up, in a request context of each language: the result PDF's fixed text laid out
    once per process, on made-up results that between them show every option of every item
    (the answers table lays out each option's label), the first with the safety box."""
    instrument = current_instrument()
    options = max(len(item.options) for item in instrument.items)
    results = [
        score(
            instrument,
            {item.number: min(index, len(item.options) - 1) for item in instrument.items},
        )
        for index in range(options)
    ]
    moment = now_utc()
    lay_out_fixed_text(
        Printout(
            result=result,
            clinic=current_clinic(),
            completed_at=moment,
            result_code=result_code_for(result, moment),
            translator=_translator(),
            printed_at=moment,
        )
        for result in results
    )


def result_pdf(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context,
    administration: Administration,
) -> bytes:
    """The one-page PDF, padded."""
    return padded("pdf", _pdf(outcome, completed_at, context, administration))


def _fhir(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context,
    administration: Administration,
) -> bytes:
    bundle = build_bundle(outcome, completed_at, current_clinic(), context, administration)
    return json.dumps(bundle, indent=2).encode("utf-8")


def result_fhir(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context,
    administration: Administration,
) -> bytes:
    """The FHIR Bundle as JSON, padded."""
    return padded("fhir", _fhir(outcome, completed_at, context, administration))


# A scored result, its completion time, the context and how it was given.
ResultRenderer = Callable[[ScreeningResult, datetime, Context, Administration], bytes]


def longest_mode(modes: Iterable[Mode] = Mode) -> Mode:
    """Of ``modes``, the one whose words are longest in this language (on the page and PDF, and
    in FHIR's English) and in what a page posts: the staff entry page's worst cases are
    rendered with it, so the mode does not show in a size."""

    def length(mode: Mode) -> int:
        return len(f"{gettext(MODE_LABELS[mode])}{MODE_LABELS[mode]}{mode.value}".encode())

    return max(modes, key=length)


def _result_bytes(restored: bool, entered: bool = False) -> ResultRenderer:
    def render(
        outcome: ScreeningResult, moment: datetime, context: Context, administration: Administration
    ) -> bytes:
        html = _result_html(outcome, moment, context, administration, restored, entered)
        return html.encode("utf-8")

    return render


# How each kind of response is made from a scored result, for its worst cases.
RESULT_BODIES: dict[str, ResultRenderer] = {
    "page": _result_bytes(restored=False),
    "restored": _result_bytes(restored=True),
    "entered": _result_bytes(restored=True, entered=True),
    "pdf": _pdf,
    "fhir": _fhir,
}


def worst_questionnaires() -> Iterator[bytes]:
    """The questionnaire pages that carry answers or errors at their longest. Rendered without a
    request's own state (an unreadable part, a failed CSRF check): the longest message about the
    whole form stands above every one of them instead."""
    instrument = current_instrument()
    above = ErrorLink(SUBMIT_BUTTON_ID, max(map(str, GLOBAL_MESSAGES), key=len))
    for form in _partial_forms():
        yield _questionnaire_html(
            kept_answers(form, instrument),
            item_errors(form, instrument),
            [above, *context_error_links(form), *item_error_links(form, instrument)],
            kept_context(form),
        ).encode()


def worst_results(kind: str) -> Callable[[], list[bytes]]:
    """The worst cases of a result's page, restored page, PDF or FHIR export: each extreme
    answer set, then the longest of them with each context's longest wording. The answers and
    the context change different lines, so their longest together is among these."""

    def bodies() -> list[bytes]:
        moment = _longest_date()
        render = RESULT_BODIES[kind]
        contexts = _longest_contexts()
        administration = _extreme_administration()
        if kind == "pdf":
            results = _longest_per_outcome("page")[:PDFS_MEASURED]
            by_answers = [render(result, moment, NOT_GIVEN, administration) for result in results]
            by_length = sorted(contexts, key=lambda c: len(context_text(c).encode()))
            # After a loss the clinician's steps have their own words: that context as well.
            contexts = by_length[-2:] + [c for c in by_length[:-2] if c.status in NO_INFANT]
        else:
            results, by_answers = _extreme_results(), _extreme_bodies(kind)
        longest = results[max(range(len(results)), key=lambda index: len(by_answers[index]))]
        bodies = [render(longest, moment, context, administration) for context in contexts]
        if kind == "fhir":
            # The export words the text and the mode in English and names the text in an
            # extension: what is longest there need not be what the clinician's notes make
            # longest in this language, so each text and each mode.
            bodies += [
                render(longest, moment, NOT_GIVEN, other) for other in _every_administration()
            ]
        return by_answers + bodies

    return bodies


def _extreme_results() -> list[ScreeningResult]:
    if "extreme_results" not in g:
        instrument = current_instrument()
        g.extreme_results = [score(instrument, answers) for answers in extreme_answers(instrument)]
    return g.extreme_results


def _extreme_bodies(kind: str) -> list[bytes]:
    """The extreme results rendered as ``kind`` (without a context), once per language."""
    rendered: dict[str, list[bytes]] = g.setdefault("extreme_bodies", {})
    if kind not in rendered:
        moment, administration = _longest_date(), _extreme_administration()
        rendered[kind] = [
            RESULT_BODIES[kind](result, moment, NOT_GIVEN, administration)
            for result in _extreme_results()
        ]
    return rendered[kind]


def _extreme_administration() -> Administration:
    """The administration whose clinician's notes are longest in this language (the notes
    depend on the instrument, not on the answers), found once per language."""
    if "extreme_administration" not in g:
        g.extreme_administration = _longest_administration(_extreme_results()[0])
    return g.extreme_administration


# PDFs built per language at start-up (each takes 15 ms or more): of the results whose pages
# are longest for their answer to the safety item and band, this many, the longest first.
PDFS_MEASURED = 4


def _longest_per_outcome(kind: str) -> list[ScreeningResult]:
    """Of the extreme results, for each answer to the safety item and band, the one whose page
    (or restored page) is longest, the longest first. What a PDF or a series prints of a result
    is what its page shows, and a PDF or a series for each of some 50 answer sets in every
    language would slow every start-up; the margins cover what the choice could miss."""
    longest: dict[tuple[int, str], tuple[int, ScreeningResult]] = {}
    for result, body in zip(_extreme_results(), _extreme_bodies(kind), strict=True):
        key = (result.safety_answer.option_index, result.band.label)
        if key not in longest or len(body) > longest[key][0]:
            longest[key] = (len(body), result)
    return [result for _length, result in sorted(longest.values(), key=lambda lr: -lr[0])]


def _items_texts() -> list[ItemsText | None]:
    """Every items' text a code can name here: none (before version 5), each installed one
    (with its source and status) and, for each language, one no longer installed."""
    texts: list[ItemsText | None] = [None]
    texts += [ItemsText.of(text) for text in screening_state().installed_texts]
    return texts + [ItemsText(items, "f" * (FINGERPRINT_BITS // 4)) for items in LANGUAGE_NUMBERS]


def _every_administration() -> list[Administration]:
    """Each items' text and each mode, the rest as the longest administration has them."""
    longest = _extreme_administration()
    texts = [Administration(longest.read_in, items, longest.mode) for items in _items_texts()]
    return texts + [Administration(longest.read_in, longest.items, mode) for mode in [None, *Mode]]


def _longest_administration(result: ScreeningResult) -> Administration:
    """The administration whose notes on the clinician's side are longest here: the language
    answered in, the items' text and the mode a code records must not show in a response's size
    either."""
    language = str(get_locale())
    texts = _items_texts()

    def length(note: Note) -> int:
        return len(f"{note.label}{note.text}".encode())

    # The language note and the mode's depend on each other (on paper or in an interview the
    # language note names no interface, and an interview adds a line): the longest pair.
    number = result.instrument.safety_rule.item

    def notes_length(given: Administration) -> int:
        return (
            length(language_note(result, gettext, language, given))
            + length(mode_note(given, gettext, number))
            # The local cut-offs' notes, when the text has them, follow the text too.
            + sum(map(length, local_notes(result, given)))
        )

    return max(
        (
            Administration(read_in, items, mode)
            for read_in in [None, *LANGUAGE_NUMBERS]
            for items in texts
            for mode in [None, *Mode]
        ),
        key=notes_length,
    )


def _longest_contexts() -> list[Context]:
    """For each wording of the context, the weeks that write it longest in this language
    (plural forms differ in length), and the wordings without weeks. Found once per language
    (kept in ``g`` while start-up measures that language)."""
    if "longest_contexts" not in g:
        g.longest_contexts = _find_longest_contexts()
    return g.longest_contexts


def _find_longest_contexts() -> list[Context]:
    wordings: dict[tuple[Status, bool, bool], Context] = {}
    for context in [*every_context(), NOT_ASKED]:
        # Pregnant and postpartum: weeks none, 0 and more than 0 are worded differently.
        key = (context.status, context.weeks is None, context.weeks == 0)
        known = wordings.get(key)
        if known is None or len(context_text(context).encode()) > len(context_text(known).encode()):
            wordings[key] = context
    return list(wordings.values())


def _longest_date() -> datetime:
    """This year's moment whose date is written longest in this language (month names differ)."""
    zone = screening_state().clinic.timezone
    moments = [now_utc().replace(month=month, day=28, hour=20, minute=59) for month in range(1, 13)]
    return max(moments, key=lambda moment: len(for_people(moment, zone, str(get_locale()))))


def _partial_forms() -> list[FlaskForm]:
    return partial_forms(screening_state().questionnaire_form_class, current_instrument(), {})


def partial_forms(
    form_class: type[FlaskForm], instrument: Instrument, extra: dict[str, str]
) -> list[FlaskForm]:
    """Questionnaires sent with some answers missing (the first or the last items answered), and
    one whose every answer names no option (a tampered form: each item gets that message); each
    with the context question at its longest: both weeks boxes full of what is longest escaped,
    each one's message in turn, or a choice that is none of the choices; ``extra``: the other
    fields a form of ``form_class`` posts (the staff entry page's mode and language)."""
    numbers = [item.number for item in instrument.items]
    posted = [
        dict.fromkeys(answered, "0")
        for count in range(len(numbers))
        for answered in (numbers[:count], numbers[len(numbers) - count :])
    ]
    posted.append(dict.fromkeys(numbers, str(max(len(item.options) for item in instrument.items))))
    typed = dict.fromkeys(WEEKS_FIELDS.values(), "&" * WEEKS_KEPT)
    choices = ["none of them", *(POSTED_CHOICE[status] for status in WEEKS_FIELDS)]
    contexts = [typed | {CONTEXT_FIELD: choice} for choice in choices]
    forms = []
    for answers in posted:
        for context in contexts:
            fields = {field_name(number): value for number, value in answers.items()}
            data = MultiDict({**fields, **context, **extra})
            form = form_class(formdata=data, meta={"csrf": False})
            form.validate()
            forms.append(form)
    return forms


# A series of screenings restored at intake: the page and its PDF, padded per language and number
# of screenings.


def _series_html(series: Series) -> str:
    language = str(get_locale())
    zone = screening_state().clinic.timezone
    latest = series.latest.result
    safety_item = latest.instrument.safety_rule.item
    words = ChartWords(
        title=gettext("EPDS totals over time"),
        description=gettext(
            "Each point is one screening, oldest on the left; the table below gives the same "
            "totals with their dates."
        ),
        flagged=gettext("item %(number)s above 0", number=safety_item),
        not_flagged=gettext("item %(number)s: 0", number=safety_item),
        dates=tuple(short_date(s.completed_at, zone, language) for s in series.screenings),
    )
    cut_off = latest.instrument.clinical_cut_off
    reliable = latest.instrument.reliable_change
    # Each label translated once, not once a row: gettext is most of a 12-row page's time.
    labels = {
        label
        for s in series.screenings
        for label in (s.result.band.label, s.result.patient_heading)
    }
    translated = {label: gettext(label) for label in labels | set(CHANGE_LABELS)}
    return render_template(
        "series.html",
        translated=translated,
        context_label=gettext(CONTEXT_LABEL),
        contexts={s.context: context_text(s.context) for s in series.screenings},
        series=series,
        rows=zip(series.screenings, series.changes, strict=True),
        when=lambda moment: for_people(moment, zone, language),
        chart=svg(series, words),
        overall=[
            (gettext(title), before, moved) for title, before, moved in series.overall_changes
        ],
        flagged_entry=FLAGGED_SCREENING,
        subscale_heading=lambda subscale: subscale_heading(subscale, gettext),
        close_together=close_together_text(
            series, gettext, ngettext, lambda moment: short_date(moment, zone, language)
        ),
        zero_totals=zero_total_texts(
            series, gettext, lambda moment: short_date(moment, zone, language)
        ),
        assess_today=ASSESS_TODAY,
        past_flag_advice=PAST_FLAG_ADVICE,
        change_rule=gettext(CHANGE_RULE, points=reliable.points, below=cut_off - 1, above=cut_off),
        change_source=reliable.source,
        clinician_notes=clinician_notes(
            latest, gettext, language, series.latest.administration, series.latest_without_infant
        )
        + local_notes(latest, series.latest.administration),
        codes="\n".join(screening.code for screening in series.screenings),
    )


def series_page(series: Series) -> Page:
    """The clinician's view of several screenings at intake: chart, table and changes."""
    body = _series_html(series).encode("utf-8")
    return padded(f"series:{len(series.screenings)}", body), 200, NO_STORE


def _series_pdf(series: Series) -> bytes:
    latest = series.latest
    printout = SeriesPrintout(
        series=series,
        clinic=current_clinic(),
        translator=_translator(),
        latest_local_notes=local_notes(latest.result, latest.administration),
    )
    return render_series_pdf(printout)


def series_pdf(series: Series) -> bytes:
    """The series on paper (one A4 page for up to about 6 screenings, two at most), padded."""
    return padded(f"series-pdf:{len(series.screenings)}", _series_pdf(series))


def worst_series_pages(count: int) -> Callable[[], list[bytes]]:
    """The series page's worst cases, the last one an upper bound. Rows do not depend on each
    other, and the latest screening adds its own notes: so every screening but the last as long
    as a row can be, then the latest with the longest notes, and each change's label as long as
    the longest label is (a series of equal totals is all 'within measurement error'), one a
    step and the first-to-latest and lowest-to-latest changes: that bound is the longest page
    with spaces standing for the longer change labels."""

    def bodies() -> list[bytes]:
        change_words = [len(gettext(label).encode("utf-8")) for label in CHANGE_LABELS]
        # count - 1 steps, and the first-to-latest and lowest-to-latest changes.
        extra = (count + 1) * (max(change_words) - min(change_words))
        row, last = _longest_series_rows()
        uniform = _series_page_bytes([row] * count)
        answers = [row] * (count - 1) + [last]
        latest_notes = [_series_page_bytes(answers, contexts) for contexts in _loss_contexts(count)]
        longest = max([uniform, _series_page_bytes(answers), *latest_notes], key=len)
        return [uniform, longest + b" " * (extra + _zero_total_notes_length(count))]

    return bodies


def _zero_answers() -> dict[int, int]:
    """The answers of a total of 0: each item's option that scores 0."""
    return {
        item.number: next(i for i, option in enumerate(item.options) if option.score == 0)
        for item in current_instrument().items
    }


def _zero_total_notes_length(count: int) -> int:
    """The bytes the page's notes on totals of 0 take when every screening has one (the
    template's markup around each note, as series.html writes it)."""
    zone, language = screening_state().clinic.timezone, str(get_locale())
    series = _measured_series([_zero_answers()] * count)
    notes = zero_total_texts(series, gettext, lambda moment: short_date(moment, zone, language))
    return sum(len(ZERO_TOTAL_MARKUP.format(escape(note)).encode()) for note in notes)


# One note on a total of 0 as series.html writes it.
ZERO_TOTAL_MARKUP = '<p class="hint zero-total">{}</p>\n'


def _series_page_bytes(
    answer_sets: list[dict[int, int]], contexts: list[Context] | None = None
) -> bytes:
    return _series_html(_measured_series(answer_sets, contexts)).encode("utf-8")


def _loss_contexts(count: int) -> list[list[Context]]:
    """The contexts of the series whose latest notes ask about the patient and any children in
    her care (``Series.latest_without_infant``) at their longest: the latest screening after a
    loss, or of neither a pregnancy nor a birth, with the others worded longest; and a loss first
    with the latest worded longest of the contexts that keep those notes."""
    longest = _longest_context()
    variants = [[longest] * (count - 1) + [Context(status)] for status in NO_INFANT]
    if count > 1:
        keeping = [c for c in _longest_contexts() if c.status not in EXPECTING]
        latest = max(keeping, key=lambda c: len(context_text(c).encode()))
        variants.append([LOSS] + [longest] * (count - 2) + [latest])
    return variants


def _longest_context() -> Context:
    return max(_longest_contexts(), key=lambda c: len(context_text(c).encode()))


def _longest_series_rows() -> tuple[dict[int, int], dict[int, int]]:
    """The answer set whose row is longest (two equal screenings, each answer set in turn), and
    the one whose notes as the latest screening are longest after it: found once per language
    for every number of screenings (kept in ``g`` while start-up measures that language)."""
    if "series_rows" not in g:
        candidates = _series_answer_sets()
        uniform = [len(_series_page_bytes([answers] * 2)) for answers in candidates]
        row = candidates[uniform.index(max(uniform))]
        lasts = [len(_series_page_bytes([row, answers])) for answers in candidates]
        g.series_rows = row, candidates[lasts.index(max(lasts))]
    return g.series_rows


# The series PDFs measured at every number of screenings: the longest of two screenings.
SERIES_PDFS_KEPT = 1


def worst_series_pdfs(count: int) -> Callable[[], list[bytes]]:
    """Series PDFs of ``count`` equal screenings: of the series' answer sets, the ones whose PDF
    of two screenings is longest (a PDF is too slow to build for every answer set and count;
    the margin covers the rest)."""

    def bodies() -> list[bytes]:
        # Every screening with a total of 0 adds its note: that series too.
        answer_sets = [*_longest_series_pdf_rows(), _zero_answers()]
        series = [_measured_series([a] * count) for a in answer_sets]
        # After a loss the latest screening's crisis-support note has its own, longer words.
        series += [_measured_series([answer_sets[0]] * count, c) for c in _loss_contexts(count)]
        return [_series_pdf(one) for one in series]

    return bodies


def _longest_series_pdf_rows() -> list[dict[int, int]]:
    if "series_pdf_rows" not in g:
        candidates = _series_answer_sets()[:PDFS_MEASURED]
        lengths = [len(_series_pdf(_measured_series([answers] * 2))) for answers in candidates]
        longest = sorted(range(len(candidates)), key=lengths.__getitem__, reverse=True)
        g.series_pdf_rows = [candidates[index] for index in longest[:SERIES_PDFS_KEPT]]
    return g.series_pdf_rows


def _series_answer_sets() -> list[dict[int, int]]:
    return [dict(result.option_indexes) for result in _longest_per_outcome("restored")]


def _measured_series(
    answer_sets: list[dict[int, int]], contexts: list[Context] | None = None
) -> Series:
    """A series with these answers, a day apart up to this year's longest written date, the
    first code of version 1 and the rest version 4 (which adds the mixed-versions note), each
    with the context and the language answered in that this language words longest (or the
    ``contexts`` given, one a screening: a loss words the latest notes differently)."""
    instrument = current_instrument()
    end = _longest_date()
    keys = screening_state().result_code_key
    given = contexts or [_longest_context()] * len(answer_sets)
    administration = _extreme_administration()
    screenings = []
    for index, answers in enumerate(answer_sets):
        moment = end.replace(day=1 + index)
        context = given[index]
        code = encode_administered(instrument, answers, moment, keys, context, administration)
        outcome = score(instrument, answers)
        version = VERSION if index else 1
        screenings.append(Screening(outcome, moment, code, version, context, administration))
    return Series.of(screenings)
