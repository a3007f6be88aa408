"""The patient side of the clinical safety review (issue 22): the call-back confirmation never
invites waiting, the clinic's closed days, its name in the reader's language, the answer "my
pregnancy ended, or my baby died", the reminder's numbers, the error pages' numbers; and the
upload of the questionnaire keeps one length whatever the question before the items is
answered (issue 25, finding 1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import icalendar
import pytest
from babel.messages.pofile import read_po

from screening.codes.codec import decode
from screening.core.context import WEEKS, Context, Status, every_context
from screening.core.errors import ConfigError
from screening.web.forms import POSTED_CHOICE, WEEKS_FIELDS, WEEKS_NOT_GIVEN, weeks_value
from screening.web.i18n import LANGUAGES
from tests.helpers import indexes_for_scores, pdf_text, result_code_form, visible_text
from tests.mailbox import smtp_server
from tools.testkit import answers_form, context_form, hidden_fields

KYIV = ZoneInfo("Europe/Kyiv")
FRIDAY_EVENING = datetime(2026, 12, 4, 19, 30, tzinfo=KYIV)
SUNDAY_MORNING = datetime(2026, 12, 6, 11, 0, tzinfo=KYIV)
WEEKDAY_AFTERNOON = datetime(2026, 12, 2, 14, 0, tzinfo=KYIV)  # a Wednesday
FLAGGED = dict.fromkeys(range(1, 10), 0) | {10: 1}
HIGH = dict.fromkeys(range(1, 11), 1) | {10: 0, 1: 3, 2: 3, 3: 3}  # total 15, item 10 at 0
LOW = dict.fromkeys(range(1, 11), 0) | {1: 1}
LOSS = Context(Status.LOSS)
CATALOGUES = Path(__file__).resolve().parent.parent / "screening" / "translations"


def clock_at(moment: datetime):
    return lambda: moment.astimezone(UTC)


# 1. The call-back confirmation.


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


def confirmation(make_app, epds, mailbox, moment: datetime, scores, language="en", **settings):
    app = make_app(
        CLINIC_INTAKE_EMAIL="intake@clinic.example",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        SMTP_STARTTLS=False,
        SMTP_TIMEOUT=2,
        CLOCK=clock_at(moment),
        **settings,
    )
    client = app.test_client()
    page = client.post(f"/?lang={language}", data=answers_form(indexes_for_scores(epds, scores)))
    code = hidden_fields(page.get_data(as_text=True))["result_code"]
    form = {"phone": "067 123 45 67", "best_time": "any", "language": language}
    sent = client.post(f"/call-back?lang={language}", data=form | {"result_code": code})
    assert sent.status_code == 200
    return sent.get_data(as_text=True)


REQUEST_SENT = {"en": "Your request has been sent", "uk": "Ваш запит", "ru": "Ваш запрос"}
URGENT_ORDER = {
    "en": ["Do not wait for our call", "The clinic is closed now.", "7333", "103 or 112"],
    "uk": ["Не чекайте на наш дзвінок", "Клініка зараз зачинена.", "7333", "103 або 112"],
    "ru": ["Не ждите нашего звонка", "Клиника сейчас закрыта.", "7333", "103 или 112"],
}
NEXT_OPENING = {
    FRIDAY_EVENING: "It opens on Monday at 10:00.",
    SUNDAY_MORNING: "It opens tomorrow at 10:00.",
}


@pytest.mark.parametrize("scores", [FLAGGED, HIGH], ids=["item-10", "total-15"])
@pytest.mark.parametrize("moment", [FRIDAY_EVENING, SUNDAY_MORNING], ids=["friday", "sunday"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_flagged_or_high_result_is_told_not_to_wait_for_the_call(
    make_app, epds, mailbox, scores, moment, language
):
    text = visible_text(
        confirmation(make_app, epds, mailbox, moment, scores, language), main_only=True
    )
    positions = [text.index(words) for words in URGENT_ORDER[language]]
    assert positions == sorted(positions)
    assert positions[0] < text.index(REQUEST_SENT[language])
    if language == "en":
        assert NEXT_OPENING[moment] in text
        assert "If you cannot wait" not in text
        assert "Call 103 or 112 now if you might harm yourself or already have" in text


def test_a_flagged_result_at_a_weekday_afternoon_still_leads_with_help_now(make_app, epds, mailbox):
    text = visible_text(
        confirmation(make_app, epds, mailbox, WEEKDAY_AFTERNOON, FLAGGED), main_only=True
    )
    assert text.index("Do not wait for our call") < text.index("The clinic is open now, until")
    assert text.index("The clinic is open now") < text.index("7333") < text.index("103 or 112")
    assert "The earliest we can call you: Today, afternoon (14:00\u201317:00)" not in text
    assert "The earliest we can call you: Today, afternoon (12:00\u201317:00)." in text


@pytest.mark.parametrize(
    ("moment", "earliest"),
    [
        (FRIDAY_EVENING, "Monday 7 December, morning (10:00\u201312:00)"),
        (SUNDAY_MORNING, "Tomorrow, morning (10:00\u201312:00)"),
        (WEEKDAY_AFTERNOON, "Today, afternoon (12:00\u201317:00)"),
    ],
)
def test_an_unflagged_result_is_told_when_the_call_can_come_at_the_earliest(
    make_app, epds, mailbox, moment, earliest
):
    text = visible_text(confirmation(make_app, epds, mailbox, moment, LOW), main_only=True)
    assert "Do not wait for our call" not in text
    assert f"The earliest we can call you: {earliest}." in text
    assert "You do not have to wait for our call" in text


def test_the_confirmation_keeps_one_length_whatever_the_result(make_app, epds, mailbox):
    lengths = {
        len(confirmation(make_app, epds, mailbox, FRIDAY_EVENING, scores).encode())
        for scores in (FLAGGED, HIGH, LOW)
    }
    assert len(lengths) == 1


# 8. Days the clinic is closed.

CLOSED = {"CLINIC_CLOSED_DATES": "2026-12-25, 2026-12-31..2027-01-02"}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 25, 12, 0, tzinfo=KYIV), "It opens on Monday at 10:00."),
        (datetime(2027, 1, 1, 12, 0, tzinfo=KYIV), "It opens on Monday at 10:00."),
        (datetime(2026, 12, 30, 18, 0, tzinfo=KYIV), "open now, until 19:00"),
        (datetime(2026, 12, 30, 20, 0, tzinfo=KYIV), "It opens on Monday at 10:00."),
    ],
)
def test_a_closed_day_is_never_open_now_on_the_result_page(make_app, epds, moment, expected):
    client = make_app(CLOCK=clock_at(moment), **CLOSED).test_client()
    body = client.post("/", data=answers_form(indexes_for_scores(epds, FLAGGED))).text
    assert expected in visible_text(body, main_only=True)


def test_a_closure_of_a_week_or_more_names_the_date_it_opens(make_app, epds):
    client = make_app(
        CLOCK=clock_at(datetime(2026, 12, 24, 20, 0, tzinfo=KYIV)),
        CLINIC_CLOSED_DATES="2026-12-25..2027-01-08",
    ).test_client()
    for language, words in (
        ("en", "It opens on 11 January at 10:00."),
        ("uk", "Відкриється 11 січня о 10:00."),
        ("ru", "Откроется 11 января в 10:00."),
    ):
        data = answers_form(indexes_for_scores(epds, FLAGGED))
        assert words in visible_text(
            client.post(f"/?lang={language}", data=data).text, main_only=True
        )


def test_the_call_back_times_skip_closed_days(make_app, epds, mailbox):
    app = make_app(
        CLINIC_INTAKE_EMAIL="intake@clinic.example",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        CLOCK=clock_at(datetime(2026, 12, 24, 20, 0, tzinfo=KYIV)),  # Thursday evening
        **CLOSED,
    )
    page = app.test_client().get("/call-back").text
    offered = re.findall(r'name="best_time" value="([^"]+)"', page)
    assert offered[0] == "any"
    assert not [value for value in offered if value.startswith(("2026-12-25", "2027-01-01"))]
    assert offered[1].startswith("2026-12-28")


def test_the_confirmation_says_when_the_clinic_opens_after_a_closed_day(make_app, epds, mailbox):
    text = visible_text(
        confirmation(
            make_app, epds, mailbox, datetime(2026, 12, 24, 20, 0, tzinfo=KYIV), FLAGGED, **CLOSED
        ),
        main_only=True,
    )
    assert "The clinic is closed now. It opens on Monday at 10:00." in text
    assert "The earliest we can call you: Monday 28 December, morning (10:00\u201312:00)." in text


@pytest.mark.parametrize(
    "value",
    ["2026-13-01", "25.12.2026", "2026-12-31..2026-12-01", "2026-01-01..2026-03-31", "soon"],
)
def test_a_malformed_closed_dates_setting_stops_start_up_naming_the_key(make_app, value):
    with pytest.raises(ConfigError, match="CLINIC_CLOSED_DATES"):
        make_app(CLINIC_CLOSED_DATES=value)


def test_the_clinics_number_comes_with_what_to_do_if_no_one_answers(client):
    footer = client.get("/?lang=uk").text.split('<footer class="site-footer">')[1]
    assert "Якщо ми не відповідаємо, телефонуйте" in footer and 'href="tel:7333"' in footer


# 9. The clinic's name and address in the reader's language.

NAMES = {
    "en": "Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio",
    "uk": "Центр психотерапії, психосоматики та психоделічної медицини Expio",
    "ru": "Центр психотерапии, психосоматики и психоделической медицины Expio",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_clinics_name_is_in_the_readers_language_on_page_pdf_and_reminder(
    client, epds, language, tmp_path
):
    page = client.post(f"/?lang={language}", data=answers_form(indexes_for_scores(epds, LOW)))
    assert NAMES[language] in page.text
    fields = hidden_fields(page.text)
    pdf = client.post(f"/result.pdf?lang={language}", data=fields).data
    assert NAMES[language] in re.sub(r"\s+", " ", pdf_text(pdf, tmp_path))
    reminder = client.post(f"/reminder.ics?lang={language}", data=fields).data
    (event,) = icalendar.Calendar.from_ical(reminder).walk("VEVENT")
    assert NAMES[language] in str(event["DESCRIPTION"])


def test_the_clinics_own_name_is_never_replaced_by_expios_translation(make_app):
    client = make_app(CLINIC_NAME="Wellbeing Clinic").test_client()
    for language in ("uk", "ru"):
        assert "Wellbeing Clinic" in client.get(f"/?lang={language}").text


def test_the_address_per_language_falls_back_to_the_common_one(make_app):
    client = make_app(CLINIC_ADDRESS="1 Main St", CLINIC_ADDRESS_UK="вул. Головна, 1").test_client()
    assert "вул. Головна, 1" in client.get("/?lang=uk").text
    assert "1 Main St" in client.get("/?lang=ru").text
    assert "1 Main St" in client.get("/?lang=en").text


def test_the_staff_email_names_the_clinic_in_the_staff_language(make_app, epds, mailbox):
    confirmation(make_app, epds, mailbox, WEEKDAY_AFTERNOON, LOW, CLINIC_LANGUAGE="uk")
    (message,) = mailbox.messages
    assert "Psychedelic Medicine" not in message.get_content()


# 16. A pregnancy that ended, or a baby who died.


def loss_result(client, epds, scores, language="en"):
    data = answers_form(indexes_for_scores(epds, scores)) | context_form(LOSS)
    return client.post(f"/?lang={language}", data=data)


@pytest.mark.parametrize(
    ("language", "support", "baby"),
    [
        ("en", "Losing a pregnancy or a baby is hard", "your baby"),
        ("uk", "Втратити вагітність чи дитину дуже тяжко", "дитині"),
        ("ru", "Потерять беременность или ребёнка очень тяжело", "ребёнку"),
    ],
)
def test_after_a_loss_the_page_offers_support_and_never_says_your_baby(
    client, epds, language, support, baby
):
    page = loss_result(client, epds, FLAGGED, language)
    assert page.status_code == 200
    text = visible_text(page.text, main_only=True)
    assert support in text and "7333" in text
    assert baby not in text
    other = client.post(
        f"/?lang={language}", data=answers_form(indexes_for_scores(epds, FLAGGED))
    ).text
    assert baby in visible_text(other, main_only=True) and support not in visible_text(
        other, main_only=True
    )


def test_the_loss_is_sealed_in_the_code_and_named_for_the_clinician(app, client, epds, tmp_path):
    page = loss_result(client, epds, LOW)
    code = hidden_fields(page.text)["result_code"]
    state = app.extensions["screening"]
    assert decode(code, state.instrument, state.result_code_key).context == LOSS
    intake = client.post("/intake", data={"code": code}).text
    assert "pregnancy ended, or baby died, in the past year" in intake
    assert "not pregnant, no birth in the past year" not in intake
    pdf = client.post("/result.pdf", data=result_code_form(app, LOW, context=LOSS)).data
    assert "pregnancy ended, or baby died, in the past year" in re.sub(
        r"\s+", " ", pdf_text(pdf, tmp_path)
    )
    bundle = client.post("/result.fhir.json", data=result_code_form(app, LOW, context=LOSS))
    codes = [
        coding["code"]
        for entry in bundle.get_json()["entry"]
        for coding in entry["resource"].get("code", {}).get("coding", [])
    ]
    assert "pregnancy-loss-or-infant-death-in-past-year" in codes


def test_the_call_back_confirmation_after_a_loss_does_not_say_your_baby(make_app, epds, mailbox):
    app = make_app(
        CLINIC_INTAKE_EMAIL="intake@clinic.example",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        SMTP_STARTTLS=False,
        CLOCK=clock_at(FRIDAY_EVENING),
    )
    client = app.test_client()
    code = hidden_fields(loss_result(client, epds, FLAGGED).text)["result_code"]
    form = {"phone": "067 123 45 67", "best_time": "any", "language": "en", "result_code": code}
    text = visible_text(client.post("/call-back", data=form).text, main_only=True)
    assert "Do not wait for our call" in text and "your baby" not in text


# 17. The reminder, and the error pages.


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["7333 (Lifeline Ukraine)", "103 or 112"]),
        ("uk", ["7333", "103 або 112"]),
        ("ru", ["7333", "103 или 112"]),
    ],
)
def test_the_reminder_carries_the_numbers_that_answer_now(client, epds, language, words):
    page = client.post(f"/?lang={language}", data=answers_form(indexes_for_scores(epds, LOW)))
    reminder = client.post(f"/reminder.ics?lang={language}", data=hidden_fields(page.text))
    (event,) = icalendar.Calendar.from_ical(reminder.data).walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert all(word in description for word in words)
    assert "+380 7373 080 88" in description


def test_every_error_page_carries_the_numbers_that_answer_now(make_app):
    client = make_app(DOCUMENT_RATE_LIMIT="1 per minute", MAX_CONTENT_LENGTH=1024).test_client()
    pages = {
        404: client.get("/missing"),
        405: client.put("/about"),
        413: client.post("/", data={"x": "y" * 4096}),
    }
    client.post("/result.pdf", data={})
    pages[429] = client.post("/result.pdf", data={})
    for status, page in pages.items():
        assert page.status_code == status
        main = page.text[page.text.index("<main") : page.text.index("</main>")]
        assert 'href="tel:7333"' in main, status
        assert 'href="tel:103"' in main and 'href="tel:112"' in main, status


# Issue 25, finding 1: the upload of the questionnaire tells nothing by its length.


class FormControls(HTMLParser):
    """The controls of one form, in tree order, as a browser builds its form data set."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.controls: list[dict[str, object]] = []
        self.select: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = dict(attributes)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        owned = self.inside or attrs.get("form") == self.form_id
        if tag == "input" and owned and attrs.get("name"):
            self.controls.append({"tag": "input", **attrs})
        elif tag == "select" and owned:
            self.select = {"tag": "select", "name": attrs["name"], "options": []}
            self.controls.append(self.select)
        elif tag == "option" and self.select is not None:
            self.select["options"].append(attrs.get("value"))  # type: ignore[union-attr]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "select":
            self.select = None


def browser_body(page: str, chosen: dict[str, str]) -> str:
    """The urlencoded body a browser sends for ``page``'s questionnaire with the radio and
    select values in ``chosen``; everything else as the page left it."""
    parser = FormControls("screening-form")
    parser.feed(page)
    pairs = []
    for control in parser.controls:
        name = str(control["name"])
        if control["tag"] == "select":
            options = control["options"]
            value = chosen.get(name, options[0])  # type: ignore[index]
            assert value in options  # type: ignore[operator]
            pairs.append((name, value))
        elif control.get("type") == "radio":
            if name in chosen:
                if control["value"] == chosen[name]:
                    pairs.append((name, chosen[name]))
            elif "checked" in control:
                pairs.append((name, str(control["value"])))
        elif control.get("type") == "hidden":
            pairs.append((name, str(control.get("value") or "")))
    return urlencode(pairs)


def every_answer_to_the_question() -> list[dict[str, str]]:
    """Each context as the page lets a person give it: a choice (or none) and the two lists."""
    answers = []
    for context in every_context():
        fields = {}
        if context.status is not Status.NOT_GIVEN:
            fields["context"] = POSTED_CHOICE[context.status]
        if context.weeks is not None:
            fields[WEEKS_FIELDS[context.status]] = weeks_value(context.weeks)
        answers.append(fields)
    # A week chosen in a list and then its choice changed: the list still sends it.
    answers.append({"context": POSTED_CHOICE[Status.LOSS], "context_weeks_pregnant": "42"})
    return answers


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_complete_upload_of_a_language_has_one_length(make_app, epds, language):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get(f"/?lang={language}").text
    token = hidden_fields(page)["csrf_token"]
    assert len(token) == len(hidden_fields(client.get("/").text)["csrf_token"])
    item_sets = [dict.fromkeys(range(1, 11), 0), dict.fromkeys(range(1, 11), 3)]
    lengths = {}
    for answers in every_answer_to_the_question():
        for items in item_sets:
            chosen = answers | {f"item_{n}": str(i) for n, i in items.items()}
            lengths[str(chosen)] = len(browser_body(page, chosen))
    assert len(set(lengths.values())) == 1, sorted(set(lengths.values()))
    # And the server reads each of those bodies as what was chosen.
    for context in (LOSS, Context(Status.PREGNANT, 7), Context(Status.POSTPARTUM, 0)):
        chosen = {"context": POSTED_CHOICE[context.status]} | {
            f"item_{n}": "0" for n in range(1, 11)
        }
        if context.weeks is not None:
            chosen[WEEKS_FIELDS[context.status]] = weeks_value(context.weeks)
        response = client.post(
            f"/?lang={language}",
            data=browser_body(page, chosen),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        code = hidden_fields(response.text)["result_code"]
        state = app.extensions["screening"]
        assert decode(code, state.instrument, state.result_code_key).context == context


def test_each_posted_choice_and_week_has_one_length():
    assert len({len(code) for code in POSTED_CHOICE.values()}) == 1
    weeks = {weeks_value(week) for weeks in WEEKS.values() for week in weeks}
    assert {len(value) for value in weeks | {WEEKS_NOT_GIVEN}} == {2}


# 10. The reviewer's Ukrainian and Russian wording.

TOP_BAND = dict.fromkeys(range(1, 11), 2) | {10: 0}  # total 18
FLAGGED_TOP_BAND = TOP_BAND | {10: 1}


@pytest.mark.parametrize(
    ("language", "heading", "advice", "anxiety", "restless"),
    [
        (
            "uk",
            "Варто звернутися до фахівця",
            "Радимо звернутися до фахівця.",
            "Симптоми тривожності",
            "ви не можете всидіти на місці",
        ),
        (
            "ru",
            "Стоит обратиться к специалисту",
            "Советуем обратиться к специалисту.",
            "Симптомы тревожности",
            "вы не можете усидеть на месте",
        ),
    ],
)
def test_the_reviewers_wording_in_ukrainian_and_russian(
    client, epds, language, heading, advice, anxiety, restless
):
    data = answers_form(indexes_for_scores(epds, FLAGGED_TOP_BAND))
    text = visible_text(client.post(f"/?lang={language}", data=data).text, main_only=True)
    assert heading in text and advice in text and anxiety in text and restless in text
    for old in ("клінічн", "клиническ", "Симптоми тривоги", "Симптомы тревоги", "возбуждение"):
        assert old not in text


def test_ukrainian_says_zapytannia_for_every_question():
    with (CATALOGUES / "uk" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalogue = read_po(file)
    translations = " ".join(
        text
        for message in catalogue
        if message.id
        for text in ([message.string] if isinstance(message.string, str) else message.string)
    )
    assert "запитання 10" in translations
    assert not re.search(r"(?<![А-Яа-яІіЇїЄєҐґ])[Пп]итан", translations)


def test_answers_carried_through_the_access_page_keep_one_upload_length(make_app, epds):
    """A grant that ended while the questionnaire was open: the access page carries the answers
    on in hidden fields, and the post that carries them has one length whatever they are."""
    client = make_app(ACCESS_CODE="MAPLE-2026").test_client()
    lengths = set()
    for context in [Context(), LOSS, Context(Status.PREGNANT, 7), Context(Status.POSTPARTUM)]:
        posted = answers_form(dict.fromkeys(range(1, 11), 0)) | context_form(context)
        refused = client.post("/", data=posted)
        assert refused.status_code == 403
        form = refused.text[refused.text.index("<form") : refused.text.index("</form>")]
        pairs = [
            (name, value)
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form
            )
        ]
        lengths.add(len(urlencode([*pairs, ("code", "MAPLE-2026")])))
    assert len(lengths) == 1
