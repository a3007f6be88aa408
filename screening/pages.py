"""Page builders shared by the blueprints: the questionnaire with answers kept (views, and access
after a grant ended), the result page (a fresh submission in views, one restored from its result
code in intake), its PDF and FHIR export, and the headers every response with answers carries.

Every response whose content depends on the answers leaves here padded to one length per
language and kind (see screening/padding.py), measured once per process on the answer sets that
produce the longest responses, so that a response's size says nothing about the answers.

It sits below the blueprints so that no blueprint builds on another.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from flask import current_app, render_template, request
from flask_babel import LazyString, get_locale, gettext, ngettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from screening.chart import ChartWords, svg
from screening.clinician import restored_notes
from screening.context import LABEL as CONTEXT_LABEL
from screening.context import (
    NOT_ASKED,
    NOT_GIVEN,
    WEEKS,
    Context,
    Status,
    describe,
    every_context,
)
from screening.dates import for_people, now_utc, short_date
from screening.fhir import build_bundle
from screening.forms import (
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
from screening.padding import (
    PaddingOverflow,
    extreme_answers,
    pad_pdf,
    pad_text,
    padded_length,
    series_padded_length,
)
from screening.pdf import Printout, render_pdf
from screening.qr import qr_svg_data_uri
from screening.result_code import encode
from screening.scoring import ScreeningResult, score
from screening.series_pdf import SeriesPrintout, render_series_pdf
from screening.state import current_clinic, current_instrument, screening_state
from screening.trend import CHANGE_LABELS, CHANGE_RULE, CHANGE_SOURCE, Screening, Series

# no-transform: a proxy that compressed these responses would make their sizes differ again.
NO_STORE = {"Cache-Control": "no-store, no-transform", "Pragma": "no-cache"}
Page = tuple[str | bytes, int, dict[str, str]]
SIZES_KEY = "screening.response_sizes"
log = logging.getLogger(__name__)


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


def padded_form_page(kind: str, page: str, status: int, longest: Callable[[], str]) -> Page:
    """A form page that carries answers on in hidden fields, padded to one length per language
    (the ``longest`` such page, measured once per process), so its size says nothing of them."""
    length = _measured_once(kind, lambda: padded_length(len(longest().encode()), kind))
    return _padded(kind, page.encode(), length), status, NO_STORE


def result_code_for(
    outcome: ScreeningResult, completed_at: datetime, context: Context = NOT_GIVEN
) -> str:
    state = screening_state()
    return encode(
        outcome.instrument, outcome.option_indexes, completed_at, state.result_code_key, context
    )


def context_text(context: Context) -> str:
    """The answer to the question before the items, in the interface language."""
    return describe(context, gettext, ngettext)


def _questionnaire_html(
    kept: dict[int, str],
    errors_by_item: dict[int, tuple[str, ...]] | None = None,
    errors: list[ErrorLink] | None = None,
    context: ContextEntry = NO_CONTEXT_ENTRY,
) -> str:
    return render_template(
        "questionnaire.html",
        kept=kept,
        item_errors=errors_by_item or {},
        errors=errors or [],
        context=context,
    )


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
    return _padded("questionnaire", page.encode("utf-8")), status, NO_STORE


def _result_html(
    outcome: ScreeningResult, completed_at: datetime, context: Context, restored: bool
) -> str:
    code = result_code_for(outcome, completed_at, context)
    language = str(get_locale())
    return render_template(
        "result.html",
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
        clinician_notes=restored_notes(outcome, gettext, language) if restored else (),
    )


def result_page(
    outcome: ScreeningResult,
    completed_at: datetime,
    context: Context = NOT_GIVEN,
    restored: bool = False,
) -> Page:
    """The result page, for a fresh submission or for one restored from its result code."""
    kind = "restored" if restored else "page"
    body = _result_html(outcome, completed_at, context, restored).encode("utf-8")
    return _padded(kind, body), 200, NO_STORE


def _pdf(outcome: ScreeningResult, completed_at: datetime, context: Context) -> bytes:
    printout = Printout(
        result=outcome,
        clinic=current_clinic(),
        completed_at=completed_at,
        result_code=result_code_for(outcome, completed_at, context),
        translate=gettext,
        language=str(get_locale()),
        context=context,
        translate_plural=ngettext,
    )
    return render_pdf(printout)


def result_pdf(outcome: ScreeningResult, completed_at: datetime, context: Context) -> bytes:
    """The one-page PDF, padded."""
    return _padded("pdf", _pdf(outcome, completed_at, context))


def _fhir(outcome: ScreeningResult, completed_at: datetime, context: Context) -> bytes:
    bundle = build_bundle(outcome, completed_at, current_clinic(), context)
    return json.dumps(bundle, indent=2).encode("utf-8")


def result_fhir(outcome: ScreeningResult, completed_at: datetime, context: Context) -> bytes:
    """The FHIR Bundle as JSON, padded."""
    return _padded("fhir", _fhir(outcome, completed_at, context))


def _result_bytes(restored: bool) -> Callable[[ScreeningResult, datetime, Context], bytes]:
    def render(outcome: ScreeningResult, moment: datetime, context: Context) -> bytes:
        return _result_html(outcome, moment, context, restored).encode("utf-8")

    return render


# How each kind of response is made from a scored result, for measuring the longest one.
RESULT_BODIES: dict[str, Callable[[ScreeningResult, datetime, Context], bytes]] = {
    "page": _result_bytes(restored=False),
    "restored": _result_bytes(restored=True),
    "pdf": _pdf,
    "fhir": _fhir,
}


def _padded(kind: str, body: bytes, length: int | None = None) -> bytes:
    length = _length_for(kind) if length is None else length
    pad = pad_pdf if kind.endswith("pdf") else _pad_bytes
    try:
        return pad(body, length)
    except PaddingOverflow:
        # Never a failed response for a patient; a test keeps this from happening.
        log.error("%s response longer than its padded length %d: sizes may leak", kind, length)
        return pad(body, padded_length(len(body), _margin(kind)))


def _pad_bytes(body: bytes, length: int) -> bytes:
    return pad_text(body.decode("utf-8"), length)


def _margin(kind: str) -> str:
    return "page" if kind == "restored" else kind


def _length_for(kind: str) -> int:
    """The padded length of a kind of response in this request's language and URL prefix,
    measured once per process on the longest answer sets."""
    return _measured_once(kind, lambda: padded_length(_longest(kind), _margin(kind)))


def _measured_once(kind: str, measure: Callable[[], int]) -> int:
    key = (kind, str(get_locale()), request.script_root)
    sizes: dict[tuple[str, str, str], int] = current_app.extensions.setdefault(SIZES_KEY, {})
    if key not in sizes:
        sizes[key] = measure()
    return sizes[key]


def _longest(kind: str) -> int:
    instrument = current_instrument()
    if kind == "questionnaire":
        # Measured without this request's own state (an unreadable part, a failed CSRF check):
        # the longest message about the whole form stands above every measured page instead.
        above = ErrorLink(SUBMIT_BUTTON_ID, max(map(str, GLOBAL_MESSAGES), key=len))
        return max(
            len(
                _questionnaire_html(
                    kept_answers(form, instrument),
                    item_errors(form, instrument),
                    [above, *context_error_links(form), *item_error_links(form, instrument)],
                    kept_context(form),
                ).encode()
            )
            for form in _partial_forms()
        )
    moment = _longest_date()
    render = RESULT_BODIES[kind]
    # The answers and the context change different lines, so their longest together is the
    # longest answers' page with each context's own longest wording in turn.
    results = [score(instrument, answers) for answers in extreme_answers(instrument)]
    lengths = [len(render(result, moment, NOT_GIVEN)) for result in results]
    longest = results[lengths.index(max(lengths))]
    return max(
        *lengths,
        *(len(render(longest, moment, context)) for context in _longest_contexts()),
    )


def _longest_contexts() -> list[Context]:
    """For each wording of the context, the weeks that write it longest in this language
    (plural forms differ in length), and the wordings without weeks."""
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
    """Questionnaires sent with some answers missing (the first or the last items answered), and
    one whose every answer names no option (a tampered form: each item gets that message); each
    with the context question at its longest: both weeks boxes full of what is longest escaped,
    each one's message in turn, or a choice that is none of the choices."""
    instrument = current_instrument()
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
            data = MultiDict({**fields, **context})
            form = screening_state().questionnaire_form_class(formdata=data, meta={"csrf": False})
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
    cut_off = latest.instrument.bands[-1].min
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
        change_rule=gettext(CHANGE_RULE, points=4, below=cut_off - 1, above=cut_off),
        change_source=CHANGE_SOURCE,
        clinician_notes=restored_notes(latest, gettext, language),
        codes="\n".join(screening.code for screening in series.screenings),
    )


def series_page(series: Series) -> Page:
    """The clinician's view of several screenings at intake: chart, table and changes."""
    body = _series_html(series).encode("utf-8")
    count = len(series.screenings)
    length = _measured_once(
        f"series:{count}",
        lambda: series_padded_length(_longest_series_page(count), "series", count),
    )
    return _padded("series", body, length), 200, NO_STORE


def _series_pdf(series: Series) -> bytes:
    printout = SeriesPrintout(
        series=series,
        clinic=current_clinic(),
        translate=gettext,
        language=str(get_locale()),
        translate_plural=ngettext,
    )
    return render_series_pdf(printout)


def series_pdf(series: Series) -> bytes:
    """The series on paper (one A4 page for up to about 6 screenings, two at most), padded."""
    count = len(series.screenings)
    length = _measured_once(
        f"series-pdf:{count}",
        lambda: series_padded_length(_longest_series_pdf(count), "series-pdf", count),
    )
    return _padded("series-pdf", _series_pdf(series), length)


def _longest_series_page(count: int) -> int:
    """An upper bound on the series page's length. Rows do not depend on each other, and the
    latest screening adds its own notes: so every screening but the last as long as a row can
    be, each answer set in turn as the last, and each change's label as long as the longest
    label is (a series of equal totals is all 'within measurement error')."""
    change_words = [len(gettext(label).encode("utf-8")) for label in CHANGE_LABELS]
    extra = (count - 1) * (max(change_words) - min(change_words))
    candidates = _series_answer_sets()

    def length(answer_sets: list[dict[int, int]]) -> int:
        return len(_series_html(_measured_series(answer_sets)).encode("utf-8"))

    uniform = {index: length([answers] * count) for index, answers in enumerate(candidates)}
    longest_row = candidates[max(uniform, key=uniform.__getitem__)]
    last_varies = (length([longest_row] * (count - 1) + [last]) for last in candidates)
    return max(max(uniform.values()), *last_varies) + extra


def _longest_series_pdf(count: int) -> int:
    """The longest series PDF of ``count`` equal screenings, one per answer to the safety item
    and band (a PDF is too slow to build for every answer set; the margin covers the rest)."""
    instrument = current_instrument()
    chosen: dict[tuple[int, str], dict[int, int]] = {}
    for answers in _series_answer_sets():
        outcome = score(instrument, answers)
        chosen.setdefault((outcome.safety_answer.option_index, outcome.band.label), answers)
    return max(len(_series_pdf(_measured_series([a] * count))) for a in chosen.values())


def _series_answer_sets() -> list[dict[int, int]]:
    return list(extreme_answers(current_instrument()))


def _measured_series(answer_sets: list[dict[int, int]]) -> Series:
    """A series with these answers, a day apart up to this year's longest written date, the
    first code of version 1 and the rest version 3 (which adds the mixed-versions note), each
    with the context this language words longest."""
    instrument = current_instrument()
    end = _longest_date()
    keys = screening_state().result_code_key
    context = max(_longest_contexts(), key=lambda c: len(context_text(c).encode()))
    screenings = []
    for index, answers in enumerate(answer_sets):
        moment = end.replace(day=1 + index)
        code = encode(instrument, answers, moment, keys, context)
        outcome = score(instrument, answers)
        version = 3 if index else 1
        screenings.append(Screening(outcome, moment, code, version, context))
    return Series.of(screenings)
