"""Responses that depend on the answers have one length per language, whatever the answers and
whatever the answer to the question before the items."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.core.context import NOT_GIVEN, Context, Status, every_context
from screening.core.scoring import score
from screening.documents.padding import GRANULE, MARGIN, PaddingOverflow, pad_pdf, pad_text
from screening.web import pages, response_sizes
from screening.web.i18n import LANGUAGES
from screening.web.response_sizes import BudgetError
from screening.web.size_policy import KINDS
from tests.helpers import pdf_text, small_pdf
from tests.test_entry import from_this_site
from tools.old_codes import encode_v2
from tools.testkit import (
    STAFF_PASSWORD_HASH,
    answers_form,
    codes_for_series,
    context_form,
    hidden_fields,
)

ANSWERS = st.lists(st.integers(0, 3), min_size=10, max_size=10).map(
    lambda indexes: dict(enumerate(indexes, start=1))
)
CONTEXTS = st.sampled_from(list(every_context()))
# What a person might type in a weeks box, markup characters and long letters included.
TYPED = st.text(alphabet=st.sampled_from("0123456789 -.,&<>\"'wéї€😀"), max_size=12)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def lengths() -> dict[tuple[str, str], set[int]]:
    """(kind, language) -> every length seen across this module's examples."""
    return {}


@pytest.fixture
def client(make_app):
    """Enough intake attempts for every example."""
    return make_app(INTAKE_RATE_LIMIT="10000 per minute").test_client()


def code_of(page: bytes) -> str:
    return re.search(rb'id="result-code">([^<]+)<', page)[1].decode()


@SETTINGS
@given(answers=ANSWERS, language=st.sampled_from(list(LANGUAGES)), context=CONTEXTS)
def test_result_page_pdf_fhir_and_restored_page_have_one_length_per_language(
    client, caplog, lengths, answers, language, context
):
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        data = answers_form(answers) | context_form(context)
        page = client.post(f"/?lang={language}", data=data)
        fields = hidden_fields(page.get_data(as_text=True))
        pdf = client.post(f"/result.pdf?lang={language}", data=fields)
        fhir = client.post(f"/result.fhir.json?lang={language}", data=fields)
        restored = client.post(f"/intake?lang={language}", data={"code": code_of(page.data)})
    assert not caplog.records  # nothing outgrew its padded length
    for kind, response in (("page", page), ("pdf", pdf), ("fhir", fhir), ("restored", restored)):
        assert response.status_code == 200, kind
        lengths.setdefault((kind, language), set()).add(len(response.data))
    assert fhir.get_json()["resourceType"] == "Bundle"  # still valid JSON after the padding


def test_the_lengths_seen_were_one_per_kind_and_language(lengths):
    assert {kind for kind, _ in lengths} == {"page", "pdf", "fhir", "restored"}
    assert {key: len(seen) for key, seen in lengths.items()} == dict.fromkeys(lengths, 1)


@SETTINGS
@given(
    answered=st.dictionaries(st.integers(1, 10), st.integers(0, 3), max_size=9),
    language=st.sampled_from(list(LANGUAGES)),
    choice=st.sampled_from(["", "pregnant", "postpartum", "neither", "prefer-not-to-say", "twins"]),
    pregnant=TYPED,
    postpartum=TYPED,
)
def test_a_questionnaire_with_errors_has_one_length_per_language(
    client, caplog, lengths, answered, language, choice, pregnant, postpartum
):
    context = {
        "context": choice,
        "context_weeks_pregnant": pregnant,
        "context_weeks_postpartum": postpartum,
    }
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        response = client.post(f"/?lang={language}", data=answers_form(answered) | context)
    assert not caplog.records
    assert response.status_code == 400
    lengths.setdefault(("questionnaire", language), set()).add(len(response.data))
    assert len(lengths[("questionnaire", language)]) == 1


def test_padded_pdfs_still_read_as_one_page(client, tmp_path):
    page = client.post("/", data=answers_form(dict.fromkeys(range(1, 11), 0)))
    pdf = client.post("/result.pdf", data=hidden_fields(page.get_data(as_text=True))).data
    assert re.search(rb"\n% {64,}\nxref\n", pdf) and pdf.endswith(b"%%EOF\n")  # padded inside
    assert "Total score" in pdf_text(pdf, tmp_path)


def test_results_are_marked_no_transform_so_no_proxy_compresses_them(client):
    page = client.post("/", data=answers_form(dict.fromkeys(range(1, 11), 0)))
    assert page.headers["Cache-Control"] == "no-store, no-transform"


def test_padding_refuses_a_body_longer_than_its_length():
    assert pad_text("abc", 5) == b"abc\n\n"
    pdf = small_pdf()
    assert len(pad_pdf(pdf, len(pdf) + 2)) == len(pdf) + 2
    with pytest.raises(PaddingOverflow):
        pad_text("é" * 3, 5)  # six bytes
    with pytest.raises(PaddingOverflow):
        pad_pdf(pdf, len(pdf) + 1)  # no room for a comment line


# Found by the attack run: the questionnaire's padded length must not depend on the request
# that first measured it, nor grow with messages that only a tampered form gets.


def raw_post(client, body: bytes, language: str):
    return client.post(
        f"/?lang={language}", data=body, content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_questionnaire_length_holds_whatever_came_first(make_app, language):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    client.get("/")  # a session cookie, as a browser has
    unreadable = raw_post(client, b"item_2=\xff&item_1=0", language)  # measured first
    no_cookie = make_app(WTF_CSRF_ENABLED=True).test_client()
    others = [
        client.post(f"/?lang={language}", data={"item_1": "0"}),  # CSRF token missing
        no_cookie.post(f"/?lang={language}", data={"item_1": "0"}),
        client.post(f"/?lang={language}", data=answers_form(dict.fromkeys(range(1, 11), 9))),
    ]
    english = raw_post(client, b"item_2=\xff&item_1=0", "en").get_data(as_text=True)
    assert "could not be read" in english
    assert {len(response.data) for response in [unreadable, *others]} == {len(unreadable.data)}
    assert {response.status_code for response in [unreadable, *others]} == {400}


# The longest answers to the question before the items in each language, and an older code's
# "not asked": the series page and its PDF keep one length per language and number of codes.
SERIES_CONTEXTS = [
    [NOT_GIVEN] * 3,
    [Context(Status.POSTPARTUM, 52), Context(Status.PREGNANT, 1), Context(Status.PREGNANT, 42)],
    [Context(Status.PREFER_NOT_TO_SAY), Context(Status.POSTPARTUM, 0), Context(Status.PREGNANT)],
    # A loss in the series words the latest screening's crisis-support note differently.
    [Context(Status.POSTPARTUM, 52), Context(Status.PREGNANT, 42), Context(Status.LOSS)],
    [Context(Status.LOSS), Context(Status.POSTPARTUM, 52), Context(Status.NEITHER)],
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_series_have_one_length_per_language_whatever_the_context(client, caplog, epds, language):
    highest = {
        item.number: max(range(4), key=lambda i: item.options[i].score) for item in epds.items
    }
    answer_sets = [dict.fromkeys(range(1, 11), index) for index in range(2)] + [highest]
    assert score(epds, answer_sets[-1]).total >= 15  # the latest has the crisis-support note
    first = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    series = [codes_for_series(epds, answer_sets, first, contexts) for contexts in SERIES_CONTEXTS]
    keys = client.application.extensions["screening"].result_code_key
    older = encode_v2(epds, answer_sets[0], first - timedelta(days=30), keys)
    series.append([older, *series[1][1:]])
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        pages = [
            client.post(f"/intake?lang={language}", data={"code": "\n".join(codes)})
            for codes in series
        ]
        pdfs = [
            client.post(f"/intake/series.pdf?lang={language}", data={"code": "\n".join(codes)})
            for codes in series
        ]
    assert not caplog.records
    assert {response.status_code for response in pages + pdfs} == {200}
    assert len({len(response.data) for response in pages}) == 1
    assert len({len(response.data) for response in pdfs}) == 1


@SETTINGS
@given(
    answers=ANSWERS,
    language=st.sampled_from(list(LANGUAGES)),
    context=CONTEXTS,
    wrong_code=st.text(alphabet=st.sampled_from('AZ09-&<"é'), max_size=40),
)
def test_the_access_page_carrying_answers_has_one_length_per_language(
    make_app, caplog, answers, language, context, wrong_code
):
    """A grant that ended while the questionnaire was open: the access page carries the answers
    (and the question before the items) on in hidden fields, so its size must not vary."""
    client = make_app(ACCESS_CODE="BIRCH-2027", ACCESS_CODE_RATE_LIMIT="10000 per minute")
    client = client.test_client()
    posted = answers_form(answers) | context_form(context)
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        refused = client.post(f"/?lang={language}", data=posted)
        wrong = client.post(f"/access?lang={language}", data=posted | {"code": wrong_code})
    assert not caplog.records
    assert refused.status_code == 403
    assert wrong.status_code == (400 if not wrong_code.strip() else 403)
    assert hidden_fields(refused.get_data(as_text=True)).get("item_1") == str(answers[1])
    sizes = {len(refused.data), len(wrong.data)}
    seen = ACCESS_LENGTHS.setdefault(language, set())
    seen |= sizes
    assert len(seen) == 1, seen


ACCESS_LENGTHS: dict[str, set[int]] = {}


# The size policy (screening/web/size_policy.py): budgets are computed when the app is built, from
# worst cases, for every declared kind and language; a request only pads.


def test_every_declared_kind_has_its_budget_in_every_language_once_the_app_is_built(
    make_started_app,
):
    budgets = make_started_app().extensions[response_sizes.EXTENSION_KEY]
    assert set(budgets.lengths) == {(kind.name, lang) for kind in KINDS for lang in LANGUAGES}


def test_the_first_pdf_of_a_fresh_app_renders_one_pdf_not_its_worst_cases(
    make_started_app, monkeypatch
):
    client = make_started_app().test_client()
    rendered = []
    real_render = pages.render_pdf
    monkeypatch.setattr(pages, "render_pdf", lambda *a: rendered.append(1) or real_render(*a))
    page = client.post("/?lang=uk", data=answers_form(dict.fromkeys(range(1, 11), 3)))
    pdf = client.post("/result.pdf?lang=uk", data=hidden_fields(page.get_data(as_text=True)))
    assert pdf.status_code == 200
    assert len(rendered) == 1


def test_a_worst_case_longer_than_its_budget_stops_start_up(make_started_app, monkeypatch):
    # A margin that no longer covers the padding's own bytes: as if a page outgrew its budget.
    monkeypatch.setattr(response_sizes, "_computed", {})
    monkeypatch.setitem(MARGIN, "pdf", -GRANULE)
    with pytest.raises(BudgetError, match="pdf cannot be padded to its budget"):
        make_started_app()


def test_a_longer_page_gets_a_longer_budget_without_anyone_tuning_a_margin(
    make_started_app, caplog
):
    """As when a wording grows: the budget follows the worst case, and the padded page fits."""
    usual = make_started_app().extensions[response_sizes.EXTENSION_KEY].lengths[("page", "en")]
    long_name = make_started_app(CLINIC_NAME="Clinic " + "of very long names " * 10)
    longer = long_name.extensions[response_sizes.EXTENSION_KEY].lengths[("page", "en")]
    assert longer > usual
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        page = long_name.test_client().post("/", data=answers_form(dict.fromkeys(range(1, 11), 3)))
    assert not caplog.records
    assert len(page.data) == longer


def test_a_restart_with_the_same_code_and_settings_reads_its_budgets_back(
    make_started_app, monkeypatch
):
    """A restarted instance must not make the requests queued in its socket wait while it
    measures; a changed setting that pages show is measured afresh."""
    first = make_started_app().extensions[response_sizes.EXTENSION_KEY].lengths
    monkeypatch.setattr(response_sizes, "_computed", {})  # as in a new process
    measured = []
    real_budget_of = response_sizes.budget_of
    monkeypatch.setattr(
        response_sizes, "budget_of", lambda kind: measured.append(kind) or real_budget_of(kind)
    )
    assert make_started_app().extensions[response_sizes.EXTENSION_KEY].lengths == first
    assert measured == []
    make_started_app(CLINIC_PHONE="+380 44 000 00 00")
    assert len(measured) == len(KINDS) * len(LANGUAGES)


@pytest.fixture(scope="module")
def entry_lengths() -> dict[tuple[str, str], set[int]]:
    """(kind, language) -> every length seen of a screening staff entered."""
    return {}


@SETTINGS
@given(
    answers=ANSWERS,
    language=st.sampled_from(list(LANGUAGES)),
    context=CONTEXTS,
    mode=st.sampled_from(["paper", "interview"]),
)
def test_an_entered_screening_its_pdf_and_fhir_have_one_length_per_language(
    client, caplog, entry_lengths, answers, language, context, mode
):
    data = answers_form(answers) | context_form(context) | {"mode": mode, "items_language": "en"}
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        page = client.post(f"/intake/entry?lang={language}", data=data)
        fields = hidden_fields(page.get_data(as_text=True))
        pdf = client.post(f"/result.pdf?lang={language}", data=fields)
        fhir = client.post(f"/result.fhir.json?lang={language}", data=fields)
    assert not caplog.records
    for kind, response in (("entered", page), ("pdf", pdf), ("fhir", fhir)):
        assert response.status_code == 200, kind
        entry_lengths.setdefault((kind, language), set()).add(len(response.data))
        assert len(entry_lengths[(kind, language)]) == 1, kind


@SETTINGS
@given(
    answered=st.dictionaries(st.integers(1, 10), st.integers(0, 3), max_size=9),
    language=st.sampled_from(list(LANGUAGES)),
    mode=st.sampled_from(["paper", "interview", "online"]),
    pregnant=TYPED,
)
def test_an_entry_with_errors_has_one_length_per_language(
    client, caplog, entry_lengths, answered, language, mode, pregnant
):
    data = answers_form(answered) | {
        "mode": mode,
        "items_language": "en",
        "context": "preg",
        "context_weeks_pregnant": pregnant,
    }
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        response = client.post(f"/intake/entry?lang={language}", data=data)
    assert not caplog.records
    assert response.status_code == 400
    entry_lengths.setdefault(("entry", language), set()).add(len(response.data))
    assert len(entry_lengths[("entry", language)]) == 1


def test_budgets_measured_on_first_use_are_those_start_up_measures(
    make_app, make_started_app, monkeypatch
):
    """The suite's apps measure a budget when a response first needs it; the lengths must be
    the ones gunicorn's master measures at start, and the request being answered must pad to
    them."""
    settings = {"CLINIC_NAME": "A clinic of its own name"}
    started = dict(make_started_app(**settings).extensions[response_sizes.EXTENSION_KEY].lengths)
    monkeypatch.setattr(response_sizes, "_computed", {})  # as in a new process
    app = make_app(**settings)
    page = app.test_client().post("/?lang=uk", data=answers_form(dict.fromkeys(range(1, 11), 3)))
    assert len(page.data) == started[("page", "uk")]
    lengths = app.extensions[response_sizes.EXTENSION_KEY].lengths
    assert isinstance(lengths, response_sizes.MeasuredOnFirstUse)
    assert dict(lengths) == started


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_an_entry_over_the_limit_has_the_length_of_an_entry_with_errors(make_app, caplog, language):
    """The entry kept after a 429 carries answers as the 400 does: the same padded length."""
    client = make_app(INTAKE_RATE_LIMIT="1 per hour").test_client()
    with caplog.at_level(logging.ERROR, logger="screening.web.response_sizes"):
        partial = client.post(f"/intake/entry?lang={language}", data=answers_form({1: 0}))
        limited = [
            client.post(
                f"/intake/entry?lang={language}",
                data=answers_form(answers) | {"mode": "interview", "items_language": "en"},
            )
            for answers in ({}, {1: 0}, dict.fromkeys(range(1, 11), 3))
        ]
    assert not caplog.records
    assert partial.status_code == 400 and [r.status_code for r in limited] == [429] * 3
    assert {len(r.data) for r in limited} == {len(partial.data)}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_sign_in_page_carrying_an_entry_has_one_length_per_language(make_app, language):
    """The entry carried through the sign-in (hidden fields) says nothing by its length."""
    client = from_this_site(make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH))
    bodies = [
        answers_form(answers) | {"mode": "interview", "items_language": "en"} | extra
        for answers, extra in [
            ({}, {}),
            ({1: 0}, {"context": "loss"}),
            (dict.fromkeys(range(1, 11), 3), {"context": "preg", "context_weeks_pregnant": "39"}),
            ({n: n % 4 for n in range(1, 11)}, {"mode": "x" * 300, "item_1": "9" * 900}),
        ]
    ]
    ended = [client.post(f"/intake/entry?lang={language}", data=body) for body in bodies]
    wrong = [
        client.post(
            f"/staff/sign-in?lang={language}", data=hidden_fields(r.text) | {"password": "x"}
        )
        for r in ended
    ]
    assert {r.status_code for r in ended} == {403} and {r.status_code for r in wrong} == {403}
    assert len({len(r.data) for r in ended + wrong}) == 1
