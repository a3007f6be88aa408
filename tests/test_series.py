"""Several result codes at intake: the series page, its chart and change labels, and its PDF."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.codes.codec import encode, normalise
from screening.codes.seal import derive_key
from screening.codes.series import MAX_CODES, restore_series, split_codes
from screening.core.instrument import INSTRUMENTS_DIR
from screening.core.instrument_file import load_instrument, parse_instrument
from screening.core.scoring import score
from screening.core.trend import change
from screening.documents.chart import SVG_BOX
from tests.helpers import indexes_for_scores, pdf_text
from tools.old_codes import encode_v1, encode_v2
from tools.testkit import all_first_options

START = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def answers_for_total(epds, total: int, item_10: int = 0) -> dict[int, int]:
    """Answers whose total is ``total``, with item 10 scoring ``item_10``."""
    scores = dict.fromkeys(range(1, 11), 0) | {10: item_10}
    remaining = total - item_10
    for item in range(1, 10):
        scores[item] = min(3, remaining)
        remaining -= scores[item]
    assert remaining == 0
    return indexes_for_scores(epds, scores)


def code_for(app, answers: dict[int, int], when: datetime) -> str:
    state = app.extensions["screening"]
    return encode(state.instrument, answers, when, state.result_code_key)


def series_codes(app, epds, totals: list[int], flagged: tuple[int, ...] = ()) -> list[str]:
    """One code per total, a fortnight apart, in the order given."""
    return [
        code_for(
            app,
            answers_for_total(epds, total, 1 if index in flagged else 0),
            START + timedelta(days=14 * index),
        )
        for index, total in enumerate(totals)
    ]


def post(client, codes: list[str], path: str = "/intake"):
    return client.post(path, data={"code": "\n".join(codes)})


def rows(page: str) -> list[tuple[str, str]]:
    """(date, total) of each row of the series table, in page order."""
    return re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="series__total">(\d+)</td>', page)


def chart(page: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg class=\"trend-chart\".*?</svg>", page, re.S)[0])


def test_codes_split_by_line_space_or_prefix_and_duplicates_collapse(app, epds):
    a, b, c = series_codes(app, epds, [5, 12, 20])
    spaced = " ".join(a.lower().replace("-", " "))  # one code, typed with spaces
    text = f"{spaced}\n{b} {c}\n\n{a}\n{b.replace('-', '')}"
    codes = split_codes(text, epds)
    assert [normalise(code, epds) for code in codes] == [normalise(x, epds) for x in (a, b, c)]
    grouped = " ".join(code.removeprefix("EPDS-").replace("-", " ") for code in (a, b))
    assert [normalise(code, epds) for code in split_codes(grouped, epds)] == [
        normalise(x, epds) for x in (a, b)
    ]


def test_the_series_is_ordered_by_completion_date_whatever_the_order_given(client, app, epds):
    codes = series_codes(app, epds, [20, 14, 9])
    response = post(client, codes[::-1])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store, no-transform"
    page = response.get_data(as_text=True)
    assert [total for _, total in rows(page)] == ["20", "14", "9"]
    assert [date.split(",")[0] for date, _ in rows(page)] == [
        "1 June 2026",
        "15 June 2026",
        "29 June 2026",
    ]


def test_the_series_pdf_of_one_code_given_twice_is_a_padded_pdf_not_an_error(client, app, epds):
    """The intake page's series PDF button posts whatever was typed: one code (or the same code
    twice) is a series of one screening, padded like every other series PDF."""
    code = series_codes(app, epds, [11])[0]
    responses = [
        client.post("/intake/series.pdf", data={"code": typed})
        for typed in (code, f"{code}\n{code}", f"{code}\n{code.lower()}")
    ]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert {response.mimetype for response in responses} == {"application/pdf"}
    assert len({len(response.data) for response in responses}) == 1


def test_a_duplicate_code_counts_once_and_one_code_keeps_the_single_result_page(client, app, epds):
    code = series_codes(app, epds, [11])[0]
    page = post(client, [code, code.lower(), code.replace("-", " ")]).get_data(as_text=True)
    assert "Restored from result code" in page
    assert 'class="trend-chart"' not in page


def test_the_same_screening_as_version_1_and_2_codes_counts_once(client, app, epds):
    state = app.extensions["screening"]
    answers = answers_for_total(epds, 11)
    old = encode_v1(epds, answers, START, state.result_code_key)
    page = post(client, [old, code_for(app, answers, START)]).get_data(as_text=True)
    assert "Restored from result code" in page


def test_codes_of_both_versions_are_shown_together_with_a_note(client, app, epds):
    state = app.extensions["screening"]
    old = encode_v1(epds, answers_for_total(epds, 8), START, state.result_code_key)
    new = code_for(app, answers_for_total(epds, 15), START + timedelta(days=30))
    page = post(client, [old, new]).get_data(as_text=True)
    assert [total for _, total in rows(page)] == ["8", "15"]
    assert "older format (version 1)" in page


def test_one_bad_code_among_good_ones_is_named_by_position_and_nothing_is_lost(client, app, epds):
    good = series_codes(app, epds, [9, 14, 20])
    broken = good[1][:-1] + ("0" if good[1][-1] != "0" else "1")
    typed = "\n".join([good[0], broken, good[2]])
    response = client.post("/intake", data={"code": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"Code 2 ({broken}): This code has a typing mistake." in page
    assert "Code 1" not in page and "Code 3" not in page
    assert f">{typed}</textarea>" in page


def test_a_code_from_another_service_is_named_by_position(client, app, epds, make_app):
    other = make_app(SECRET_KEY="another-secret")
    foreign = code_for(other, all_first_options(), START)
    good = series_codes(app, epds, [9, 14])
    page = post(client, [*good, foreign]).get_data(as_text=True)
    assert "Code 3 (" in page and "not issued by this service" in page


def test_more_than_twelve_codes_get_a_clear_message(client, app, epds):
    codes = series_codes(app, epds, [5 + i for i in range(MAX_CODES + 1)])
    response = post(client, codes)
    assert response.status_code == 400
    assert "Up to 12 result codes can be shown together; 13 were given." in response.get_data(
        as_text=True
    )
    assert post(client, codes[:MAX_CODES]).status_code == 200


@pytest.mark.parametrize(
    ("before", "after", "label"),
    [
        (10, 13, "within measurement error"),  # crosses 12/13 but only by 3 points
        (12, 9, "within measurement error"),
        (8, 12, "reliable change: worsened"),
        (20, 16, "reliable change: improved"),
        (9, 13, "reliable change: worsened; clinically significant"),
        (13, 9, "reliable change: improved; clinically significant"),
        (14, 10, "reliable change: improved; clinically significant"),
        (16, 13, "within measurement error"),
    ],
)
def test_change_labels_follow_the_reliable_change_of_4_points(epds, before, after, label):
    moved = change(
        score(epds, answers_for_total(epds, before)), score(epds, answers_for_total(epds, after))
    )
    assert moved.label == label
    assert moved.delta == after - before


def test_reliable_change_and_the_cut_off_come_from_the_instrument_file(epds):
    data = json.loads((INSTRUMENTS_DIR / "epds.json").read_text(encoding="utf-8"))
    assert data["reliable_change"]["points"] == epds.reliable_change.points == 4
    assert "doi:10.1016/S0165-0327(02)00313-0" in epds.reliable_change.source
    stricter = parse_instrument(data | {"reliable_change": data["reliable_change"] | {"points": 5}})
    four = [score(stricter, answers_for_total(stricter, total)) for total in (8, 12)]
    assert change(*four).label == "within measurement error"
    assert change(*(score(epds, answers_for_total(epds, t)) for t in (8, 12))).reliable


def test_the_chart_ticks_and_dashed_lines_come_from_the_instrument_file(epds):
    data = json.loads((INSTRUMENTS_DIR / "epds.json").read_text(encoding="utf-8"))
    assert epds.chart_ticks == tuple(data["chart_ticks"])
    # The dashed lines are where the bands above the lowest start.
    assert epds.chart_thresholds == tuple(band["min"] for band in data["bands"][1:]) == (10, 13)
    assert epds.clinical_cut_off == data["bands"][-1]["min"]


def test_the_legends_name_the_dashed_lines_totals_from_the_instrument_file(
    client, app, epds, tmp_path
):
    codes = series_codes(app, epds, [9, 14])
    lower, upper = epds.chart_thresholds
    page = post(client, codes).get_data(as_text=True)
    assert f"Dashed lines: totals of {lower} and {upper}." in page
    text = " ".join(pdf_text(post(client, codes, "/intake/series.pdf").data, tmp_path).split())
    assert f"dashed lines: totals of {lower} and {upper}" in text


def test_the_page_shows_each_change_label_and_its_source(client, app, epds):
    page = post(client, series_codes(app, epds, [9, 13, 10, 20])).get_data(as_text=True)
    changes = re.findall(r"<td>([+\-]\d+: [^<]+)</td>", page)
    assert changes == [
        "+4: reliable change: worsened; clinically significant",
        "-3: within measurement error",
        "+10: reliable change: worsened; clinically significant",
    ]
    assert "Matthey S., Calculating clinically significant change" in page
    assert "A change of 4 points or more is a reliable change" in page


def test_the_chart_places_each_point_by_its_date_and_total(client, app, epds):
    totals = [22, 17, 12, 6]
    when = [
        START,
        START + timedelta(days=10),
        START + timedelta(days=40),
        START + timedelta(days=100),
    ]
    codes = [
        code_for(app, answers_for_total(epds, t), d) for t, d in zip(totals, when, strict=True)
    ]
    svg = chart(post(client, codes).get_data(as_text=True))
    assert svg.get("role") == "img"
    points = svg.findall(f".//{SVG}g[@data-total]")
    positions = [
        tuple(
            map(float, re.fullmatch(r"translate\(([\d.]+) ([\d.]+)\)", p.get("transform")).groups())
        )
        for p in points
    ]
    assert [int(p.get("data-total")) for p in points] == totals
    span = (when[-1] - when[0]).total_seconds()
    for (x, y), total, moment in zip(positions, totals, when, strict=True):
        assert y == pytest.approx(
            SVG_BOX.bottom - (SVG_BOX.bottom - SVG_BOX.top) * total / 30, abs=0.06
        )
        share = (moment - when[0]).total_seconds() / span
        assert x == pytest.approx(SVG_BOX.x(share), abs=0.06)
    thresholds = [
        float(line.get("y1")) for line in svg.findall(f".//{SVG}line[@class='threshold']")
    ]
    assert thresholds == [pytest.approx(SVG_BOX.y(t, 30), abs=0.06) for t in (10, 13)]


def test_item_10_positive_points_are_marked_by_shape_and_in_the_table(client, app, epds):
    page = post(client, series_codes(app, epds, [8, 12, 15], flagged=(1,))).get_data(as_text=True)
    points = chart(page).findall(f".//{SVG}g[@data-total]")
    shapes = [(p.get("class"), p[0].tag.removeprefix(SVG)) for p in points]
    assert shapes == [("point", "circle"), ("point point--flagged", "path"), ("point", "circle")]
    assert page.count('class="series__flagged"') == 1
    assert "&#9670; 1:" in page


def test_the_latest_item_10_answer_is_an_alert_and_verbatim(client, app, epds):
    page = post(client, series_codes(app, epds, [8, 12], flagged=(1,))).get_data(as_text=True)
    assert 'role="alert"' in page and "Latest screening: item 10 is positive" in page
    assert "Item 10 response, verbatim:" in page


def test_the_pdf_carries_every_total_on_one_page_for_three_codes(client, app, epds, tmp_path):
    codes = series_codes(app, epds, [21, 16, 7], flagged=(2,))
    page = post(client, codes).get_data(as_text=True)
    posted = re.search(r'<input type="hidden" name="code" value="([^"]+)">', page)[1]
    response = client.post("/intake/series.pdf", data={"code": posted.replace("&#10;", "\n")})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store, no-transform"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="epds-series-2026-06-29.pdf"'
    )
    text = pdf_text(response.data, tmp_path)
    table = text[text.index("Completed") :]
    for total in ("21", "16", "7"):
        assert re.search(rf"\s{total}\s", table)
    assert "reliable change: improved" in text and "Matthey S." in text
    assert "Item 10 response, verbatim:" in text
    assert "Royal College of Psychiatrists" in text
    assert pages_of(response.data, tmp_path) == 1


def test_twelve_codes_fit_on_two_pages_at_most(client, app, epds, tmp_path):
    codes = series_codes(app, epds, [(i * 7) % 28 for i in range(12)], flagged=(3, 11))
    pdf = post(client, codes, "/intake/series.pdf").data
    assert pages_of(pdf, tmp_path) <= 2
    text = pdf_text(pdf, tmp_path)
    for code in codes:
        assert code in text


def pages_of(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "series.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])


@pytest.mark.parametrize("language", ["en", "uk"])
def test_series_responses_have_one_size_per_language_and_count(client, app, epds, language):
    client.set_cookie("lang", language)
    calm = series_codes(app, epds, [0, 1, 2])
    stormy = series_codes(app, epds, [9, 28, 13], flagged=(0, 1, 2))
    assert len(post(client, calm).data) == len(post(client, stormy).data)
    assert len(post(client, calm, "/intake/series.pdf").data) == len(
        post(client, stormy, "/intake/series.pdf").data
    )


def test_each_code_counts_against_the_rate_limit(make_app, epds):
    app = make_app(INTAKE_RATE_LIMIT="5 per minute")
    client = app.test_client()
    codes = series_codes(app, epds, [5, 9, 14])
    assert post(client, codes).status_code == 200
    assert post(client, codes).status_code == 429


def test_the_codes_never_reach_a_url_or_a_log_line(client, app, epds, caplog):
    codes = series_codes(app, epds, [5, 9, 14])
    with caplog.at_level("DEBUG"):
        page = post(client, codes).get_data(as_text=True)
    assert 'method="post"' in page and "?code=" not in page
    for code in codes:
        assert code not in caplog.text


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("EPDS-0123456789ABCXYZilo \n,;\t"), max_size=480))
def test_any_typed_text_splits_and_restores_without_an_exception(text):
    epds = load_instrument()
    codes = split_codes(text, epds)
    assert len({normalise(code, epds) for code in codes}) == len(codes)
    restored = restore_series(codes[:MAX_CODES], epds, derive_key("k"), START, 0)
    assert len(restored.problems) + len(restored.series.screenings) <= len(codes)


def test_a_code_of_another_instrument_is_named_and_not_mixed_in(client, app, epds):
    data = json.loads((INSTRUMENTS_DIR / "epds.json").read_text(encoding="utf-8"))
    other = parse_instrument(data | {"code_number": 2})
    state = app.extensions["screening"]
    foreign = encode(other, all_first_options(), START, state.result_code_key)
    good = series_codes(app, epds, [9, 14])
    response = post(client, [good[0], foreign, good[1]])
    assert response.status_code == 400
    assert "Code 2 (" in response.get_data(as_text=True)
    assert "This code is for a different questionnaire or version." in response.get_data(
        as_text=True
    )


def test_the_language_switch_shows_the_same_series_in_another_language(client, app, epds):
    codes = series_codes(app, epds, [9, 14, 20])
    page = post(client, codes).get_data(as_text=True)
    assert 'formaction="/intake?lang=uk"' in page
    switched = client.post("/intake?lang=uk", data={"code": "\n".join(codes), "lang": "uk"})
    text = switched.get_data(as_text=True)
    assert switched.status_code == 200
    assert "Сума балів EPDS у динаміці" in text
    assert [total for _, total in rows(text)] == ["9", "14", "20"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    totals=st.lists(st.integers(1, 27), min_size=3, max_size=3),
    flagged=st.sets(st.integers(0, 2)),
)
def test_any_series_of_three_has_the_same_padded_size(client, app, epds, totals, flagged):
    reference = len(post(client, series_codes(app, epds, [0, 0, 1])).data)
    codes = series_codes(app, epds, totals, flagged=tuple(flagged))
    assert len(post(client, codes).data) == reference


def test_the_series_page_needs_no_inline_script_or_style(client, app, epds):
    response = post(client, series_codes(app, epds, [3, 9, 16]))
    page = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "style=" not in page and "<style" not in page
    assert re.findall(r"<script\b[^>]*>", page) == []


def test_codes_of_every_version_typed_in_groups_without_prefix_are_cut_where_each_ends(app, epds):
    """A line of groups of four cut by each code's own check symbol and version, not at one
    fixed length: v2 codes are 6 symbols shorter than today's and v1 codes shorter still."""
    keys = app.extensions["screening"].result_code_key
    moment = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
    answers = [dict.fromkeys(range(1, 11), index) for index in (0, 1, 2, 3)]
    today = encode(epds, answers[0], moment, keys)
    v2 = encode_v2(epds, answers[1], moment, keys)
    v1 = encode_v1(epds, answers[2], moment, keys)
    other_v2 = encode_v2(epds, answers[3], moment, keys)
    for line in ([v2, other_v2], [v2, today], [today, v2, v1], [v1, today]):
        grouped = " ".join(code.removeprefix("EPDS-").replace("-", " ") for code in line)
        split = [normalise(code, epds) for code in split_codes(grouped, epds)]
        assert split == [normalise(code, epds) for code in line]


def test_a_slow_rise_is_reliable_and_clinically_significant_overall(client, app, epds, tmp_path):
    """9 → 12 → 15 → 17: every step is within measurement error, the +8 overall is not."""
    codes = series_codes(app, epds, [9, 12, 15, 17])
    page = post(client, codes).get_data(as_text=True)
    assert page.count("within measurement error</td>") == 3
    overall = re.search(r'<section class="overall".*?</section>', page, re.S)[0]
    assert re.search(
        r"First screening to the latest</dt>\s*<dd>9 &rarr; 17: \+8: "
        r"reliable change: worsened; clinically significant",
        overall,
    )
    text = pdf_text(post(client, codes, "/intake/series.pdf").data, tmp_path)
    assert "First screening to the latest (9 → 17): +8: reliable change: worsened; clinically" in (
        " ".join(text.split())
    )


def test_a_worsening_after_an_improvement_is_measured_from_the_lowest(client, app, epds, tmp_path):
    codes = series_codes(app, epds, [14, 6, 11])
    page = post(client, codes).get_data(as_text=True)
    assert re.search(
        r"Lowest total to the latest</dt>\s*<dd>6 &rarr; 11: \+5: reliable change: worsened<", page
    )
    text = " ".join(pdf_text(post(client, codes, "/intake/series.pdf").data, tmp_path).split())
    assert "Lowest total to the latest (6 → 11): +5: reliable change: worsened" in text
    assert "First screening to the latest (14 → 11): −3: within measurement error" in text


def test_a_past_positive_item_10_opens_the_page_and_pdf_whatever_came_after(
    client, app, epds, tmp_path
):
    """12 → 14 (item 10 "Sometimes") → 9: the improvement never hides the earlier answer."""
    sometimes = indexes_for_scores(epds, {10: 2})[10]
    answer_sets = [
        answers_for_total(epds, 12),
        answers_for_total(epds, 14, 2),
        answers_for_total(epds, 9),
    ]
    assert answer_sets[1][10] == sometimes
    codes = [code_for(app, a, START + timedelta(days=14 * i)) for i, a in enumerate(answer_sets)]
    page = post(client, codes).get_data(as_text=True)
    alert = re.search(r'<section class="safety" role="alert".*?</section>', page, re.S)
    assert alert, "no alert for the earlier positive item 10"
    assert page.index('role="alert"') < page.index("<figure")
    assert "Item 10 was above 0 in an earlier screening" in alert[0]
    assert "15 June 2026" in alert[0] and "\u201cSometimes\u201d (score 2)" in alert[0]
    assert "Check that risk was assessed" in alert[0]
    text = " ".join(pdf_text(post(client, codes, "/intake/series.pdf").data, tmp_path).split())
    assert "Item 10 was above 0 in an earlier screening" in text
    assert "item 10 answered \u201cSometimes\u201d (score 2)" in text
    assert text.index("Item 10 was above 0") < text.index("First screening to the latest")
    assert "Check that risk was assessed" in text


@pytest.mark.parametrize(
    ("totals", "note"),
    [([12, 16], "Crisis support: Total of 15 or more"), ([5, 0], "Total of 0: A total of 0 may")],
)
def test_the_series_pdf_has_the_single_pdfs_notes_on_the_latest(
    client, app, epds, tmp_path, totals, note
):
    pdf = post(client, series_codes(app, epds, totals), "/intake/series.pdf").data
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert note in text
    assert "Language:" in text or "does not record the language" in text


def test_every_date_is_labelled_and_no_label_overlaps_a_tick_label(client, app, epds):
    """Two screenings a day apart among a year's: each date still has its own label."""
    days = [0, 1, 60, 200, 201, 365]
    codes = [
        code_for(app, answers_for_total(epds, 9 + index), START + timedelta(days=day))
        for index, day in enumerate(days)
    ]
    svg = chart(post(client, codes).get_data(as_text=True))
    labels = svg.findall(f".//{SVG}text[@class='date']")
    moments = [START + timedelta(days=day) for day in days]
    assert [label.text for label in labels] == [f"{m.day} {m:%b} {m.year}" for m in moments]
    xs = [float(re.match(r"translate\(([\d.]+)", label.get("transform"))[1]) for label in labels]
    assert all(b - a >= 11.9 for a, b in pairwise(xs))  # written upwards, 10 units high
    assert SVG_BOX.left <= xs[0] and xs[-1] <= SVG_BOX.right
    # The total above the first point (two digits, bold, centred) stays right of the tick labels,
    # which end 6 units left of the axis.
    first = svg.find(f".//{SVG}g[@data-total]")
    x = float(re.fullmatch(r"translate\(([\d.]+) [\d.]+\)", first.get("transform"))[1])
    assert x - 8 > SVG_BOX.left - 6


def test_every_date_is_on_the_series_pdf_and_total_is_not_broken(client, app, epds, tmp_path):
    codes = series_codes(app, epds, [5, 9, 12, 14])
    text = pdf_text(post(client, codes, "/intake/series.pdf?lang=uk").data, tmp_path)
    assert "Разом" in text and "Разо м" not in text
    en = pdf_text(post(client, codes, "/intake/series.pdf?lang=en").data, tmp_path)
    for index in range(4):
        day = START + timedelta(days=14 * index)
        assert en.count(f"{day.day} {day:%b} {day.year}") >= 2  # the chart and the table


def test_screenings_less_than_two_weeks_apart_are_read_with_care(client, app, epds, tmp_path):
    codes = [
        code_for(app, answers_for_total(epds, total), START + timedelta(days=day))
        for total, day in ((14, 0), (9, 5), (10, 19))
    ]
    page = post(client, codes).get_data(as_text=True)
    assert page.count('class="hint close-together"') == 1
    assert "Less than 2 weeks apart: 1 Jun 2026 to 6 Jun 2026 (5 days)." in page
    text = " ".join(pdf_text(post(client, codes, "/intake/series.pdf").data, tmp_path).split())
    assert "Less than 2 weeks apart: 1 Jun 2026 to 6 Jun 2026 (5 days)." in text


def test_the_epds_3a_column_names_its_research_cut_off(client, app, epds, tmp_path):
    codes = series_codes(app, epds, [5, 9])
    assert "EPDS-3A (research cut-off 5)" in post(client, codes).get_data(as_text=True)
    text = pdf_text(post(client, codes, "/intake/series.pdf").data, tmp_path)
    # The header cell wraps, and pdftotext interleaves the columns' lines.
    header = text[text.index("Completed") : text.index("Completed") + 400]
    assert "EPDS-3A" in header and "(research" in header and "cut-off 5)" in header
