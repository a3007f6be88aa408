"""The pathway around the score: no reassurance under a positive item 10, crisis tiers with the
clinic's open-now status, plain headings for patients, clinician notes, and the EPDS licence."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.core.errors import ConfigError
from screening.core.hours import OpeningStatus, describe, parse_schedule, status_at
from screening.web.i18n import LANGUAGES
from screening.web.state import settings_of
from tests.helpers import TEST_APP_SETTINGS, built_app, indexes_for_scores, pdf_text, visible_text
from tools.old_codes import encode_v3
from tools.testkit import answers_form, hidden_fields

KYIV = ZoneInfo("Europe/Kyiv")
LOW_UNFLAGGED = dict.fromkeys(range(1, 11), 0) | {1: 1, 2: 1}
LOW_FLAGGED = dict.fromkeys(range(1, 10), 0) | {10: 1}
MID = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 2}  # total 11
HIGH = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 3, 2: 3, 3: 3}  # total 15
JUST_BELOW_CRISIS = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 3, 2: 3, 3: 2}  # total 14
DIAGNOSTIC = re.compile(r"depression|депрес", re.IGNORECASE)


def kyiv(*args: int) -> datetime:
    return datetime(*args, tzinfo=KYIV)


WEEKDAY_AFTERNOON = kyiv(2026, 12, 2, 14, 0)  # a Wednesday: the clinic is open


def sentences(body: str) -> set[str]:
    """The page's sentences and headings without numbers (totals, dates and codes differ)."""
    parts = re.split(r"(?<=[.!?:])\s+|\n", visible_text(body, blocks="\n", main_only=True))
    return {part.strip() for part in parts if part.strip() and not re.search(r"\d", part)}


def result_page(client, epds, scores: dict[int, int], language: str = "en") -> str:
    response = client.post(
        f"/?lang={language}", data=answers_form(indexes_for_scores(epds, scores))
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def first_section(body: str) -> str:
    """The first thing in <main>, up to the page's heading: what a person sees first."""
    main = body[body.index('<main id="main"') :]
    return main[: main.index("<h1>")]


@pytest.fixture
def at():
    """An app whose clock stands at a given instant."""

    def make(make_app, moment: datetime, **settings: object):
        return make_app(CLOCK=lambda: moment.astimezone(UTC), **settings).test_client()

    return make


# 1. Item 10 above 0 never reads as reassuring.


@pytest.fixture(scope="module")
def low_band_only(epds, tmp_path_factory) -> dict[str, set[str]]:
    """Per language, the sentences that appear on an unflagged low result and on no other.
    The test apps' settings, so that this app shares their response budgets rather than
    measuring its own, and an instance folder of its own, not the checkout's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        app = built_app(TEST_APP_SETTINGS)
    client = app.test_client()
    found = {}
    for language in LANGUAGES:
        low = sentences(result_page(client, epds, LOW_UNFLAGGED, language))
        others = set()
        for scores in (MID, HIGH):
            others |= sentences(result_page(client, epds, scores, language))
        found[language] = low - others
    return found


def within_low_band(scores: list[int], budget: int = 6) -> list[int]:
    """Items 1-9 scored so that, with item 10 at 3 at most, the total stays in the low band."""
    kept = []
    for value in scores:
        kept.append(min(value, budget))
        budget -= kept[-1]
    return kept


def test_the_low_band_has_sentences_of_its_own(low_band_only):
    for language in LANGUAGES:
        assert len(low_band_only[language]) >= 2, language  # its heading and its advice
    assert "Below the usual screening threshold" in low_band_only["en"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    other_scores=st.lists(st.integers(0, 3), min_size=9, max_size=9).map(within_low_band),
    item_10=st.integers(1, 3),
    language=st.sampled_from(list(LANGUAGES)),
)
def test_no_low_band_sentence_on_a_flagged_low_total(
    client, epds, low_band_only, tmp_path, other_scores, item_10, language
):
    scores = dict(enumerate(other_scores, start=1)) | {10: item_10}
    body = result_page(client, epds, scores, language)
    text = visible_text(body, main_only=True)
    reassuring = low_band_only[language]
    assert not [sentence for sentence in reassuring if sentence in text]
    pdf = client.post(f"/result.pdf?lang={language}", data=hidden_fields(body)).data
    printed = pdf_text(pdf, tmp_path)
    assert not [sentence for sentence in reassuring if sentence in re.sub(r"\s+", " ", printed)]


def test_a_flagged_low_total_says_to_talk_to_someone_now_even_while_open(at, make_app, epds):
    """Never "today", even while the clinic is open: "today" lets a person at risk wait."""
    text = visible_text(
        result_page(at(make_app, WEEKDAY_AFTERNOON), epds, LOW_FLAGGED), main_only=True
    )
    assert "Please talk to someone now" in text
    assert "today" not in text.split("What this result means")[0]
    assert "Your answer to question 10 needs attention now" in text
    assert "we recommend you talk to someone now, whatever your total" in text
    assert "Below the usual screening threshold" not in text
    assert "please still talk to someone" not in text


def test_the_flagged_pdf_qualifies_the_band_and_lists_the_numbers(client, epds, tmp_path):
    body = result_page(client, epds, LOW_FLAGGED)
    printed = re.sub(
        r"\s+", " ", pdf_text(client.post("/result.pdf", data=hidden_fields(body)).data, tmp_path)
    )
    assert "URGENT: item 10" in printed
    assert "Numbers given to the patient: emergency 103, 112; Lifeline Ukraine 7333" in printed
    assert "item 10 is positive: assess today, whatever the total" in printed


# 2. Crisis tiers.


def tier_links(section: str) -> list[str]:
    return re.findall(r'href="(tel:[^"]+)"', section)


TIERS = [
    "Call 103 or 112 now if you might harm yourself or already have, or if you feel you might act "
    "on thoughts of harming your baby.",
    "Call 7333 (Lifeline Ukraine) to talk to someone now, day or night. If no one answers, call "
    "103 or 112.",
    "Call us on +380 7373 080 88 (Mon\u2013Fri 10:00\u201319:00). If we don't answer, call 7333.",
]
TIER_LINKS = ["tel:103", "tel:112", "tel:7333", "tel:103", "tel:112", "tel:+380737308088"]


def support_section(body: str) -> str:
    return section_of(body, '<section class="support"')


def section_of(body: str, opening: str) -> str:
    """The section that starts with ``opening``, inside a bare <main> for visible_text()."""
    start = body.index(opening)
    return '<main id="main">' + body[start : body.index("</section>", start)]


@pytest.mark.parametrize(
    ("scores", "where"),
    [
        (LOW_FLAGGED, "top"),
        (MID | {10: 2}, "top"),
        (HIGH | {10: 3}, "top"),
        (HIGH, "after the band"),
        (dict.fromkeys(range(1, 11), 3) | {10: 0}, "after the band"),
        (JUST_BELOW_CRISIS, None),
        (MID, None),
        (LOW_UNFLAGGED, None),
    ],
)
def test_crisis_tiers_on_every_flagged_result_and_every_total_of_15_or_more(
    client, epds, scores, where
):
    """Item 10 above 0: the red safety box above the score. A total of 15 or more without it:
    the same tiers in a calm box after the band (issue 22, finding 6)."""
    body = result_page(client, epds, scores)
    top = first_section(body)
    if where is None:
        assert 'class="tiers"' not in body
        return
    if where == "top":
        section = top
        assert 'class="support"' not in body
    else:
        assert 'class="safety"' not in body and 'class="tiers"' not in top
        section = support_section(body)
        assert body.index('id="band-title"') < body.index('<section class="support"')
    assert tier_links(section)[:6] == TIER_LINKS
    text = visible_text(section, main_only=True)
    positions = [text.index(tier) for tier in TIERS]
    assert positions == sorted(positions)
    assert "and the clinic is closed" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_crisis_line_tier_answers_now_with_a_fallback_in_every_language(client, epds, language):
    expected = {
        "en": "to talk to someone now, day or night. If no one answers, call 103 or 112.",
        "uk": "щоб поговорити з кимось зараз, удень чи вночі. Якщо ніхто не відповідає, "
        "телефонуйте 103 або 112.",
        "ru": "чтобы поговорить с кем-нибудь сейчас, днём или ночью. Если никто не отвечает, "
        "звоните 103 или 112.",
    }[language]
    assert expected in visible_text(
        result_page(client, epds, LOW_FLAGGED, language), main_only=True
    )


@pytest.mark.parametrize(
    ("moment", "heading"),
    [
        (kyiv(2026, 12, 4, 19, 30), "Please talk to someone now"),  # Friday evening
        (kyiv(2026, 12, 6, 11, 0), "Please talk to someone now"),  # Sunday
        (kyiv(2026, 12, 2, 23, 30), "Please talk to someone now"),  # a weekday night
        (kyiv(2026, 12, 2, 14, 0), "Please talk to someone now"),  # open: "now" too
    ],
)
def test_the_safety_heading_says_now_at_every_hour(at, make_app, epds, moment, heading):
    top = visible_text(
        first_section(result_page(at(make_app, moment), epds, LOW_FLAGGED)), main_only=True
    )
    assert heading in top


def test_the_high_total_box_is_calm_not_the_red_safety_styling(client, epds):
    body = result_page(client, epds, HIGH)
    assert 'class="safety"' not in body and 'role="alert"' not in body
    assert "Help is there for you now" in visible_text(support_section(body), main_only=True)


def test_configured_numbers_are_used_everywhere(make_app, epds, tmp_path):
    client = make_app(
        CLINIC_EMERGENCY_NUMBERS="999",
        CLINIC_CRISIS_LINE="116 123",
        CLINIC_CRISIS_LINE_NAME="Samaritans",
    ).test_client()
    body = result_page(client, epds, LOW_FLAGGED)
    assert tier_links(first_section(body))[:2] == ["tel:999", "tel:116123"]
    assert "Call 116 123 (Samaritans) to talk to someone now, day or night" in visible_text(
        body, main_only=True
    )
    assert "tel:103" not in body and "7333" not in body
    printed = pdf_text(client.post("/result.pdf", data=hidden_fields(body)).data, tmp_path)
    assert "emergency 999; Samaritans 116 123" in re.sub(r"\s+", " ", printed)
    about = client.get("/about").get_data(as_text=True)
    assert 'href="tel:999"' in about and 'href="tel:116123"' in about


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_questionnaire_offers_help_now_above_the_questions(client, language):
    body = client.get(f"/?lang={language}").get_data(as_text=True)
    help_now = body.index('id="help-now"')
    assert help_now < body.index('id="screening-form"')
    line = body[help_now : body.index("</p>", help_now)]
    assert tier_links(line) == ["tel:103", "tel:112", "tel:7333"]


def test_about_has_the_tiers_and_the_signs_of_postpartum_psychosis(client):
    body = client.get("/about?lang=uk").get_data(as_text=True)
    assert 'class="tiers"' in body
    assert "думки скачуть або плутаються" in body
    assert "післяпологовий психоз" in body
    assert "розгублен" not in body
    assert "мысли скачут или путаются" in client.get("/about?lang=ru").get_data(as_text=True)


ZERO = dict.fromkeys(range(1, 11), 0)


@pytest.mark.parametrize("scores", [ZERO, LOW_UNFLAGGED, MID, JUST_BELOW_CRISIS, LOW_FLAGGED, HIGH])
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("postpartum psychosis", "seeing or hearing things that others do not")),
        ("uk", ("післяпологовий психоз", "думки скачуть або плутаються")),
        ("ru", ("послеродовой психоз", "мысли скачут или путаются")),
    ],
)
def test_every_result_names_the_signs_of_postpartum_psychosis(
    client, epds, scores, language, words
):
    """Postpartum mania and psychosis often score low: the signs, with the emergency numbers,
    are on every result page whatever the total (issue 22, finding 4)."""
    section = section_of(result_page(client, epds, scores, language), '<section class="psychosis"')
    assert all(word in visible_text(section, main_only=True) for word in words)
    assert tier_links(section) == ["tel:103", "tel:112"]


# The clinic's open-now status, in its own time zone.


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (
            kyiv(2026, 11, 27, 10, 0),
            "The clinic is open now, until 19:00.",
        ),  # Friday, opening minute
        (kyiv(2026, 11, 27, 18, 59), "The clinic is open now, until 19:00."),
        (
            kyiv(2026, 11, 27, 19, 0),
            "The clinic is closed now. It opens on Monday at 10:00.",
        ),  # closing minute
        (
            kyiv(2026, 11, 28, 22, 0),
            "The clinic is closed now. It opens on Monday at 10:00.",
        ),  # Saturday night
        (
            kyiv(2026, 11, 29, 23, 59),
            "The clinic is closed now. It opens tomorrow at 10:00.",
        ),  # Sunday
        (
            kyiv(2026, 11, 30, 0, 0),
            "The clinic is closed now. It opens today at 10:00.",
        ),  # Monday midnight
        (kyiv(2026, 11, 30, 9, 59), "The clinic is closed now. It opens today at 10:00."),
        (
            kyiv(2026, 12, 1, 20, 0),
            "The clinic is closed now. It opens tomorrow at 10:00.",
        ),  # Tuesday evening
    ],
)
def test_open_now_at_fixed_instants(moment, expected):
    openings = parse_schedule("Mon\u2013Fri 10:00\u201319:00")
    # The same instant in UTC: the status is computed in the clinic's zone, not the server's.
    status = status_at(openings, moment.astimezone(UTC), KYIV)
    assert describe(status, lambda message, **values: message % values) == expected


def test_a_schedule_with_a_weekend_day_and_a_late_close():
    openings = parse_schedule("Mon-Fri 9:00-18:00; Sat 10:00-14:00; Sun 10:00-24:00")
    assert status_at(openings, kyiv(2026, 11, 28, 13, 0), KYIV) == OpeningStatus(
        True, parse_schedule("Sat 10:00-14:00")[0].closes
    )
    after_saturday = status_at(openings, kyiv(2026, 11, 28, 14, 0), KYIV)
    assert (after_saturday.is_open, after_saturday.days_ahead) == (False, 1)
    assert status_at(openings, kyiv(2026, 11, 29, 23, 59), KYIV).is_open


def test_the_result_page_says_closed_until_monday_at_22_on_a_saturday(at, make_app, epds):
    client = at(make_app, kyiv(2026, 11, 28, 22, 0))
    for language, closed in (
        ("en", "The clinic is closed now. It opens on Monday at 10:00."),
        ("uk", "Клініка зараз зачинена. Відкриється в понеділок о 10:00."),
        ("ru", "Клиника сейчас закрыта. Откроется в понедельник в 10:00."),
    ):
        assert closed in visible_text(
            first_section(result_page(client, epds, LOW_FLAGGED, language)), main_only=True
        )


def test_the_result_page_says_open_until_19_on_a_weekday_afternoon(at, make_app, epds):
    client = at(make_app, kyiv(2026, 11, 25, 15, 30))
    assert "The clinic is open now, until 19:00." in visible_text(
        result_page(client, epds, HIGH), main_only=True
    )


def test_per_language_hours_must_agree_with_the_schedule(make_app):
    make_app(CLINIC_HOURS_UK="з понеділка по п’ятницю, 10:00\u201319:00")  # same times: fine
    with pytest.raises(ConfigError, match="CLINIC_HOURS_UK"):
        make_app(CLINIC_HOURS_UK="з понеділка по п’ятницю, 9:00\u201318:00")


# 3. Plain headings for patients; technical labels for the clinician.


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_diagnostic_heading_on_any_patient_page(client, epds, language):
    for total in range(0, 31):
        scores = {item: min(3, max(0, total - 3 * (item - 1))) for item in range(1, 11)}
        body = result_page(client, epds, scores, language)
        headings = re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", body, re.DOTALL)
        assert not [heading for heading in headings if DIAGNOSTIC.search(heading)], total
        band = re.search(r'<section class="band".*?</section>', body, re.DOTALL)[0]
        assert not DIAGNOSTIC.search(band), total


@pytest.mark.parametrize(
    ("language", "labels"),
    [("en", ("Probable depression",)), ("uk", ("Імовірна депресія",))],
)
def test_technical_labels_stay_on_the_pdf_and_the_clinicians_view(
    client, epds, tmp_path, language, labels
):
    body = result_page(client, epds, HIGH, language)
    printed = pdf_text(
        client.post(f"/result.pdf?lang={language}", data=hidden_fields(body)).data, tmp_path
    )
    for label in labels:
        assert label in re.sub(r"\s+", " ", printed)
    code = re.search(r'id="result-code">([^<]+)<', body)[1]
    restored = client.post(f"/intake?lang={language}", data={"code": code}).get_data(as_text=True)
    assert labels[-1] in restored
    assert "Threshold 12/13" in restored and "BMC Psychology 2021" in restored


def test_advice_carries_a_timeframe(client, epds):
    assert "in 2 to 4 weeks" in visible_text(result_page(client, epds, MID), main_only=True)
    assert "within the next week" in visible_text(
        result_page(client, epds, JUST_BELOW_CRISIS), main_only=True
    )


def test_a_total_of_0_is_noted_for_the_clinician_only(client, epds, tmp_path):
    body = result_page(client, epds, dict.fromkeys(range(1, 11), 0))
    assert "not comfortable answering fully" not in body
    printed = pdf_text(client.post("/result.pdf", data=hidden_fields(body)).data, tmp_path)
    assert "not comfortable answering fully" in re.sub(r"\s+", " ", printed)


def test_the_result_says_whom_it_applies_to(client, epds, tmp_path):
    body = result_page(client, epds, MID)
    sentence = "This result applies to the person who is pregnant or has given birth."
    assert sentence in visible_text(body, main_only=True)
    printed = pdf_text(client.post("/result.pdf", data=hidden_fields(body)).data, tmp_path)
    assert sentence in re.sub(r"\s+", " ", printed)


def test_tier_one_never_says_danger_in_ukrainian_or_russian(app):
    from babel.messages.pofile import read_po

    root = app.root_path + "/translations"
    for language, word in (("uk", r"небезпе"), ("ru", r"(?<!без)опасн")):
        with open(f"{root}/{language}/LC_MESSAGES/messages.po", "rb") as file:
            catalogue = read_po(file)
        wording = [message.string for message in catalogue if message.id]
        assert not [text for text in wording if re.search(word, str(text), re.IGNORECASE)]


# 4. Items in English for people who may not read English well.


def test_the_language_notice_offers_to_go_through_the_questions(client):
    body = client.get("/?lang=uk").get_data(as_text=True)
    notice = body[body.index('id="instrument-language"') :]
    notice = notice[: notice.index("</p>")]
    assert "ми розберемо його разом із вами" in notice and 'href="tel:+380737308088"' in notice


def test_the_pdf_and_intake_say_when_items_were_in_another_language(client, epds, tmp_path):
    body = result_page(client, epds, MID, "uk")
    printed = re.sub(
        r"\s+",
        " ",
        pdf_text(client.post("/result.pdf?lang=uk", data=hidden_fields(body)).data, tmp_path),
    )
    assert "Мова: пунктів — англійська; інтерфейсу — українська." in printed
    assert "Підтвердьте відповідь на пункт 10 усно." in printed
    english = result_page(client, epds, MID, "en")
    english_pdf = pdf_text(
        client.post("/result.pdf?lang=en", data=hidden_fields(english)).data, tmp_path
    )
    assert "Items read in English; interface in English." in english_pdf
    assert "verbally" not in english_pdf


def test_intake_says_the_language_the_patient_read_the_page_in(client, epds, tmp_path):
    """The code seals the questionnaire's language: a clinician reading in English learns the
    patient answered English items on a Ukrainian page, even after a language switch."""
    body = result_page(client, epds, MID, "uk")
    switched = client.post("/language", data=hidden_fields(body) | {"lang": "en", "page": "result"})
    code = re.search(r'id="result-code">([^<]+)<', switched.get_data(as_text=True))[1]
    restored = client.post("/intake?lang=en", data={"code": code}).get_data(as_text=True)
    assert (
        "Items read in English; interface in Ukrainian. Confirm the answer to item 10 verbally."
        in (html.unescape(restored))
    )
    printed = " ".join(
        pdf_text(
            client.post("/result.pdf?lang=en", data={"result_code": code}).data, tmp_path
        ).split()
    )
    assert "Items read in English; interface in Ukrainian." in printed


def test_an_older_code_says_the_language_was_not_recorded(client, app, epds):
    state = app.extensions["screening"]
    answers = indexes_for_scores(epds, MID)
    older = encode_v3(
        epds, answers, datetime.now(UTC).replace(second=0, microsecond=0), state.result_code_key
    )
    restored = client.post("/intake", data={"code": older}).get_data(as_text=True)
    assert "does not record the language the patient read the page in" in restored


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("uk", "Запитання були англійською мовою"),
        ("ru", "Вопросы были на английском языке"),
    ],
)
def test_a_uk_or_ru_reader_is_told_the_answers_may_not_say_what_they_meant(
    client, epds, language, words
):
    """Item 10 "Never", total low: the page would reassure, and the reader may not have
    understood the English items."""
    low = dict.fromkeys(range(1, 11), 0)
    body = result_page(client, epds, low, language)
    caveat = body[body.index('id="items-language-caveat"') :]
    caveat = caveat[: caveat.index("</section>")]
    assert words in caveat and 'href="tel:+380737308088"' in caveat
    english = result_page(client, epds, low, "en")
    assert 'id="items-language-caveat"' not in english


# 7. The patient's page vs the clinician's material.


def test_the_patients_page_has_no_citations_and_no_fhir(client, epds):
    body = result_page(client, epds, HIGH | {10: 1})
    for clinician_only in ("doi:", "sensitivity", "Cox, Holden", "FHIR", "For the clinician"):
        assert clinician_only not in visible_text(body).split("©")[0], clinician_only
    for kept in ("Download PDF", "Print", "Start again", 'id="result-code"'):
        assert kept in body


# 9. The licence is a start-up condition.


def test_production_refuses_to_start_without_the_epds_permission(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    for key in ("SCREENING_DEVELOPMENT", "SCREENING_EPDS_PERMISSION"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ConfigError, match=r"EPDS_PERMISSION is not set.*written permission"):
        built_app()
    monkeypatch.setenv("SCREENING_DEVELOPMENT", "1")
    assert settings_of(built_app()).clinic.main.permission == ""  # development runs without it


def test_the_permission_reference_is_on_every_page_and_the_pdf(tmp_path, monkeypatch, epds):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv("SCREENING_HTTPS", "0")
    monkeypatch.setenv("SCREENING_EPDS_PERMISSION", "RCPsych ref. 2026/0042")
    monkeypatch.delenv("SCREENING_DEVELOPMENT", raising=False)
    app = built_app()
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    for path in ("/", "/about", "/intake"):
        assert "RCPsych ref. 2026/0042" in client.get(path).get_data(as_text=True), path
    body = result_page(client, epds, MID)
    assert "RCPsych ref. 2026/0042" in body
    printed = pdf_text(client.post("/result.pdf", data=hidden_fields(body)).data, tmp_path)
    assert "RCPsych ref. 2026/0042" in re.sub(r"\s+", " ", printed)
