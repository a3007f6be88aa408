"""The clinician PDF: text extracted by poppler, metadata, one page, escaping of dynamic text."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from reportlab.platypus import Paragraph, Table

from screening.core.clinic import clinic_from_config
from screening.core.context import NOT_ASKED, NOT_GIVEN, Context, Status
from screening.core.instrument_file import overlay
from screening.core.scoring import score
from screening.documents.pdf import Printout, build_story, render_pdf
from screening.web.config import DEFAULTS
from screening.web.i18n import LANGUAGES
from tests.helpers import indexes_for_scores, pdf_info, pdf_text, result_code_form
from tests.pseudo_translation import pseudo_translation

COMPLETED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
CODE = "EPDS-0000-0000-0000-0000"  # any text: the PDF prints it and its QR


@pytest.fixture
def clinic():
    return clinic_from_config(DEFAULTS)


def result_for(epds, scores: dict[int, int]):
    return score(epds, indexes_for_scores(epds, scores))


HIGH = {1: 2, 2: 2, 3: 3, 4: 2, 5: 2, 6: 2, 7: 1, 8: 2, 9: 1, 10: 2}  # total 19, item 10 = 2
LOW = dict.fromkeys(range(1, 11), 0) | {1: 1, 4: 1}  # total 2, item 10 = 0


def test_pdf_text_has_letterhead_answers_scores_total_band_and_notice(epds, clinic, tmp_path):
    result = result_for(epds, HIGH)
    text = pdf_text(render_pdf(Printout(result, clinic, COMPLETED_AT, CODE)), tmp_path)
    assert clinic.name in text and clinic.phone in text and clinic.hours in text
    assert "Completed 20 November 2026, 11:30 (Europe/Kyiv)" in text
    for answer in result.answers:
        assert answer.option.label in text
    assert "Total score 19 out of 30" in text
    assert "Probable depression" in text
    assert "Anxiety symptoms" in text and "7 out of 9" in text
    assert "This is a screening result, not a diagnosis" in text
    assert "Patient name:" in text and "Date of birth:" in text and "Signature:" in text
    assert "The Royal College of Psychiatrists" in text and "Sagovsky" in text
    assert "Screening, not diagnosis" in text and "Page 1" in text


def test_item_scores_are_listed_per_row(epds, clinic, tmp_path):
    result = result_for(epds, HIGH)
    lines = pdf_text(
        render_pdf(Printout(result, clinic, COMPLETED_AT, CODE)), tmp_path
    ).splitlines()
    for answer in result.answers:
        row = next(line for line in lines if answer.item.text[:40] in line)
        assert row.rstrip().endswith(f" {answer.score}")


def test_safety_flag_is_at_the_top_when_item_10_is_above_zero(epds, clinic, tmp_path):
    text = pdf_text(
        render_pdf(Printout(result_for(epds, HIGH), clinic, COMPLETED_AT, CODE)), tmp_path
    )
    assert "URGENT: item 10 (thoughts of self-harm)" in text
    assert "\u201cSometimes\u201d (score 2)" in text
    assert text.index("URGENT") < text.index("Total score")
    assert "Item 10 flag YES" in text


def test_no_safety_flag_when_item_10_is_zero(epds, clinic, tmp_path):
    text = pdf_text(
        render_pdf(Printout(result_for(epds, LOW), clinic, COMPLETED_AT, CODE)), tmp_path
    )
    assert "URGENT" not in text
    assert "Item 10 flag No" in text
    assert "Below the usual screening threshold" in text


@pytest.mark.parametrize("scores", [HIGH, LOW, dict.fromkeys(range(1, 11), 3)])
def test_one_a4_page_with_metadata(epds, clinic, tmp_path, scores):
    info = pdf_info(
        render_pdf(Printout(result_for(epds, scores), clinic, COMPLETED_AT, CODE)), tmp_path
    )
    assert info["Pages"] == "1"
    assert info["Page size"].endswith("(A4)")
    assert info["Title"] == "EPDS screening result"
    assert info["Author"] == clinic.name


def test_language_metadata(epds, clinic):
    assert b"/Lang (en)" in render_pdf(Printout(result_for(epds, LOW), clinic, COMPLETED_AT, CODE))


def test_dynamic_text_with_markup_characters_is_printed_literally(epds, clinic, tmp_path):
    hostile = replace(clinic, name="Dr <b>Smith</b> & Partners <br/>", address="1 <Main> St & Co")
    pdf = render_pdf(Printout(result_for(epds, HIGH), hostile, COMPLETED_AT, CODE))
    text = pdf_text(pdf, tmp_path)
    assert "Dr <b>Smith</b> & Partners <br/>" in text
    assert "1 <Main> St & Co" in text


def test_story_is_plain_flowables_readable_as_text(epds, clinic):
    result = result_for(epds, LOW)
    story = build_story(Printout(result, clinic, COMPLETED_AT, CODE))
    assert {type(flowable).__name__ for flowable in story} <= {"Paragraph", "Spacer", "Table"}
    paragraphs = " ".join(f.getPlainText() for f in story if isinstance(f, Paragraph))
    for expected in (
        clinic.name,
        f"{epds.title}: screening result",
        "Looks back over the past 7 days.",
        "This is a screening result, not a diagnosis.",
        "This result applies to the person who is pregnant or has given birth.",
        epds.notice[:80],
    ):
        assert expected in paragraphs, expected
    # The scores and the band are in the tables, readable as cell text too.
    cells = " ".join(
        str(cell.getPlainText() if isinstance(cell, Paragraph) else cell)
        for flowable in story
        if isinstance(flowable, Table)
        for row in flowable._cellvalues
        for cell in row
        if isinstance(cell, (Paragraph, str))
    )
    assert f"{result.total} out of 30" in cells and result.band.label in cells


def longest_answers_with_the_flag(epds) -> dict[int, int]:
    answers = {
        item.number: max(range(4), key=lambda index, item=item: len(item.options[index].label))
        for item in epds.items
    }
    return answers | {10: max(answers[10], 1)}


def word_boxes(pdf: bytes, tmp_path) -> tuple[tuple[float, float], list[tuple[float, ...]]]:
    path = tmp_path / "boxes.pdf"
    path.write_bytes(pdf)
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', boxes).groups()
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', boxes)
    return (float(page[0]), float(page[1])), [tuple(map(float, word)) for word in words]


def overlapping(boxes: list[tuple[float, ...]], tolerance: float = 0.5) -> list[tuple]:
    pairs = []
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        for other in boxes[index + 1 :]:
            if min(x1, other[2]) - max(x0, other[0]) > tolerance and (
                min(y1, other[3]) - max(y0, other[1]) > tolerance
            ):
                pairs.append(((x0, y0, x1, y1), other))
    return pairs


LONGEST = 200  # every clinic text setting's validated maximum
WEEK = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_at_their_maximum_length_still_give_one_page_with_no_overlap(
    make_app, epds, tmp_path, language
):
    def longest(word: str) -> str:
        return (f"{word} " * LONGEST)[:LONGEST]

    longest_phone = "+38 (044) 000-00-00-00-00-00-0000"
    app = make_app(
        CLINIC_NAME=longest("Wellbeing"),
        CLINIC_NAME_UK=longest("Шановна"),
        CLINIC_NAME_RU=longest("Широкая"),
        CLINIC_HOURS="; ".join(f"{day} 08:00\u201320:00" for day in WEEK),
        CLINIC_HOURS_UK=longest("08:00\u201320:00 щоденно"),
        CLINIC_HOURS_RU=longest("08:00\u201320:00 ежедневно"),
        CLINIC_ADDRESS=longest("Boulevard"),
        CLINIC_PHONE=longest_phone,
        CLINIC_EMERGENCY_NUMBERS=", ".join([longest_phone] * 5),
        CLINIC_CRISIS_LINE=longest_phone,
        CLINIC_CRISIS_LINE_NAME=longest("Lifeline"),
        EPDS_PERMISSION=longest("Permission"),
    )
    client = app.test_client()
    client.set_cookie("lang", language)
    answers = longest_answers_with_the_flag(epds)
    context = Context(Status.POSTPARTUM, 52)
    response = client.post("/result.pdf", data=result_code_form(app, answers, context=context))
    assert response.status_code == 200
    assert pdf_info(response.data, tmp_path)["Pages"] == "1"
    (width, height), boxes = word_boxes(response.data, tmp_path)
    assert len(boxes) > 300
    for x0, y0, x1, y1 in boxes:
        assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height
    assert overlapping(boxes) == []


@pytest.mark.parametrize(
    ("context", "wording"),
    [
        (NOT_GIVEN, "not given"),
        (NOT_ASKED, "not asked (older code)"),
        (Context(Status.PREFER_NOT_TO_SAY), "prefer not to say"),
        (Context(Status.PREGNANT, 24), "pregnant, 24 weeks"),
        (Context(Status.POSTPARTUM, 1), "gave birth 1 week ago"),
    ],
)
def test_the_summary_says_the_answer_to_the_question_before_the_items(
    epds, clinic, tmp_path, context, wording
):
    printout = Printout(result_for(epds, HIGH), clinic, COMPLETED_AT, CODE, context=context)
    text = pdf_text(render_pdf(printout), tmp_path)
    assert re.search(rf"Pregnancy or birth\s+{re.escape(wording)}\n", text), text
    assert pdf_info(render_pdf(printout), tmp_path)["Pages"] == "1"


def test_the_clinicians_sources_cite_the_scale_and_a_translations_validated_source(
    epds, clinic, tmp_path
):
    result = result_for(epds, HIGH)
    text = pdf_text(render_pdf(Printout(result, clinic, COMPLETED_AT, CODE)), tmp_path)
    assert "doi:10.1192/bjp.150.6.782" in text
    data = pseudo_translation(epds)
    data["provenance"]["source"]["citation"] = "Validated ZZ source"
    translated = replace(result, instrument=overlay(epds, data, "translation epds.uk.json"))
    text = pdf_text(render_pdf(Printout(translated, clinic, COMPLETED_AT, CODE)), tmp_path)
    assert "Validated ZZ source" in text


def test_start_up_stops_with_a_clear_message_when_a_pdf_font_is_missing(
    make_app, monkeypatch, tmp_path
):
    from screening.documents import pdf_base as pdf

    monkeypatch.setattr(pdf, "FONT_DIRECTORY", tmp_path / "no-fonts")
    pdf.fonts.cache_clear()
    try:
        with pytest.raises(
            pdf.MissingFontError,
            match=r"DejaVuSansCondensed\.ttf, DejaVuSansCondensed-Bold\.ttf, "
            r"DejaVuSansMono-Bold\.ttf are missing from .*no-fonts: the package is incomplete",
        ):
            make_app()
    finally:
        monkeypatch.undo()
        pdf.fonts.cache_clear()
    assert pdf.fonts()[0] == "DejaVuSansCondensed"


def _pdf_words(client, app, answers, tmp_path, language: str = "en", completed_at=None) -> str:
    form = result_code_form(
        app, answers, **({"completed_at": completed_at} if completed_at else {})
    )
    response = client.post(f"/result.pdf?lang={language}", data=form)
    assert response.status_code == 200
    assert pdf_info(response.data, tmp_path)["Pages"] == "1"
    return " ".join(pdf_text(response.data, tmp_path).split())


@pytest.mark.parametrize(
    ("scores", "step"),
    [
        ({1: 3, 2: 3, 3: 3, 4: 2}, "Monitor, and repeat the EPDS in 2–4 weeks"),
        ({1: 3, 2: 3, 3: 3, 4: 3, 5: 1}, "Arrange a clinical assessment for depression."),
        (
            {1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 1},
            "Total of 15 or more: assess the safety of mother and infant",
        ),
        ({1: 1}, "The total alone does not call for follow-up"),
        ({10: 1}, "Item 10 is positive: assess risk today, whatever the total"),
    ],
)
def test_the_pdf_names_the_next_step_for_each_band(client, app, epds, tmp_path, scores, step):
    answers = indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0) | scores)
    text = _pdf_words(client, app, answers, tmp_path)
    assert f"Next step {step}" in text
    if 10 in scores:
        assert "The total alone does not call for follow-up" not in text


def test_the_pdf_is_for_your_clinician_with_lines_for_the_risk_assessment_and_its_age(
    client, app, epds, tmp_path
):
    answers = indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0) | {10: 2})
    two_weeks_ago = (datetime.now(UTC) - timedelta(days=14)).replace(second=0, microsecond=0)
    text = _pdf_words(client, app, answers, tmp_path, completed_at=two_weeks_ago)
    assert text.index("For your clinician") < text.index("screening result")
    assert "This PDF was made 14 days after the screening." in text
    for line in ("Risk assessed (date):", "Outcome:", "Plan:", "Clinician:", "Signature:"):
        assert line in text
    today = _pdf_words(client, app, answers, tmp_path, completed_at=two_weeks_ago + timedelta(14))
    assert "This PDF was made on the day of the screening." in today


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_crisis_support_note_is_in_the_pdf_language(client, app, epds, tmp_path, language):
    answers = indexes_for_scores(
        epds, dict.fromkeys(range(1, 11), 0) | {1: 3, 2: 3, 3: 3, 4: 3, 5: 3}
    )
    text = _pdf_words(client, app, answers, tmp_path, language)
    assert "also assess the safety of mother and infant" not in text
    assert "PIRI" in text


def test_the_qr_encoder_keeps_no_result_code_between_requests():
    """A code holds the answers: nothing keeps one after the response that carries it."""
    from screening.documents import qr

    assert not hasattr(qr.qr_runs, "cache_info")
    assert qr.qr_runs(CODE) == qr.qr_runs(CODE)


@pytest.mark.parametrize("length", [1, 5, 14, 24, 29, 32, 47, 60, 90])
def test_the_qr_mask_is_the_one_reportlab_chooses(length):
    """The symbol drawn (qr_symbol chooses the mask without reportlab's eight layouts) must be
    reportlab's, module for module, for codes of any length."""
    import random

    from reportlab.graphics.barcode.qr import QrCodeWidget

    from screening.codes.symbols import ALPHABET
    from screening.documents import qr

    chooser = random.Random(length)
    for _ in range(12):
        text = "EPDS-" + "".join(chooser.choice(ALPHABET) for _ in range(length))
        reference = QrCodeWidget(text, barLevel=qr.ERROR_CORRECTION).qr
        reference.make()
        side, runs = qr.qr_runs(text)
        drawn = [[False] * side for _ in range(side)]
        for row, column, run in runs:
            drawn[row][column : column + run] = [True] * run
        inner = [line[qr.QUIET_ZONE : side - qr.QUIET_ZONE] for line in drawn]
        assert inner[qr.QUIET_ZONE : side - qr.QUIET_ZONE] == reference.modules


def test_a_request_keeps_nothing_it_lays_out(client, app, epds):
    """Start-up lays out the fixed text and makes the font subsets; a request only reads them:
    after PDFs of other answers, in every language, nothing more is kept than before."""
    import random

    from screening.documents import pdf_base

    kept = (pdf_base._PARSED, pdf_base._LAID_OUT, pdf_base._SUBSET_FILES, pdf_base._ENCODINGS)
    before = [dict(each) for each in kept]
    assert all(before), "start-up laid out nothing"
    chooser = random.Random(24)
    for language in LANGUAGES:
        for _ in range(3):
            answers = {item.number: chooser.randrange(len(item.options)) for item in epds.items}
            form = result_code_form(app, answers)
            assert client.post(f"/result.pdf?lang={language}", data=form).status_code == 200
    assert [dict(each) for each in kept] == before
