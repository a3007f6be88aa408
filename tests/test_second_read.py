"""The findings of a perinatal psychiatrist's second read of the finished patient and clinician
wording, in English, Ukrainian and Russian: each test checks the words a person or a clinician
reads (the Flask test client, text from the rendered PDF)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from babel.support import Translations
from flask_babel import gettext

from screening.codes.codec import encode
from screening.codes.errors import WRONG_LENGTH, ResultCodeError
from screening.core.context import Context, Status
from screening.core.trend import LOWEST_TO_LATEST
from screening.web.i18n import LANGUAGES
from tests.helpers import indexes_for_scores, pdf_text, result_code_form, visible_text
from tests.mailbox import smtp_server
from tests.test_callback import mail_settings, post_from
from tests.test_patient_pathway import (
    FRIDAY_EVENING,
    LOSS,
    LOW,
    WEEKDAY_AFTERNOON,
    confirmation,
)
from tests.test_series import START, answers_for_total, series_codes
from tests.test_series import post as series_post
from tools.testkit import answers_form, hidden_fields

CATALOGUES = Path(__file__).parent.parent / "screening" / "translations"

# M1: the "too many attempts" page a patient can meet (her own document re-posts over their limit;
# staff's intake keeps its own form instead) puts the numbers that answer now first and never
# says "wait".

TOO_MANY = {
    "en": "There were too many attempts in a short time, so this one did not go through. "
    "If you need help now, do not wait: call 116 123 (Samaritans), day or night; if you might "
    "harm yourself or already have, call 999. You can try again in a few minutes.",
    "uk": "Забагато спроб за короткий час, тому цього разу не вдалося. Якщо вам потрібна "
    "допомога зараз, не чекайте: телефонуйте 116 123 (Samaritans), удень чи вночі; якщо "
    "відчуваєте, що можете зашкодити собі, або вже зашкодили собі — 999. Спробувати ще раз "
    "можна за кілька хвилин.",
    "ru": "Слишком много попыток за короткое время, поэтому в этот раз не получилось. Если вам "
    "нужна помощь сейчас, не ждите: звоните 116 123 (Samaritans), днём или ночью; если "
    "чувствуете, что можете навредить себе, или уже навредили себе — 999. Попробовать ещё раз "
    "можно через несколько минут.",
}
# The configured numbers, so that the page cannot pass with 7333 and 103/112 written in.
OTHER_NUMBERS = {
    "CLINIC_EMERGENCY_NUMBERS": "999",
    "CLINIC_CRISIS_LINE": "116 123",
    "CLINIC_CRISIS_LINE_NAME": "Samaritans",
}
CALL_US = {"en": "call us", "uk": "зателефонуйте нам", "ru": "позвоните нам"}


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_too_many_attempts_leads_with_help_now_in_every_language(make_app, language):
    client = make_app(DOCUMENT_RATE_LIMIT="1 per minute", **OTHER_NUMBERS).test_client()
    client.post(f"/result.pdf?lang={language}", data={})
    page = client.post(f"/result.pdf?lang={language}", data={})
    assert page.status_code == 429
    text = one_line(visible_text(page.text, main_only=True))
    assert TOO_MANY[language] in text
    main = page.text[page.text.index("<main") : page.text.index("</main>")]
    assert main.index('href="tel:116123"') < main.index('class="button"')
    assert CALL_US[language] not in text.lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_limited_call_back_keeps_what_was_typed_below_help_now(make_app, language):
    with smtp_server() as mailbox:
        settings = mail_settings(mailbox.port, CALLBACK_RATE_LIMIT="1 per minute")
        client = make_app(**settings | OTHER_NUMBERS).test_client()
        assert post_from(client, "198.51.100.7").status_code == 200
        typed = {"name": "Олена Петренко", "phone": "067 123 45 67"}
        page = client.post(
            f"/call-back?lang={language}",
            data={"best_time": "any", "language": "uk"} | typed,
            environ_base={"REMOTE_ADDR": "198.51.100.8"},
        )
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "60"
    text = one_line(visible_text(page.text, main_only=True))
    assert TOO_MANY[language] in text
    body = page.text
    assert body.index('href="tel:116123"') < body.index('name="name"')
    assert 'value="Олена Петренко"' in body and 'value="067 123 45 67"' in body


# M2: the access page answering posted answers offers help now above the code field.

ANSWERS_KEPT = {
    "en": "Your answers will not be lost while this page is open. To get help now you do not "
    "need a code: call 116 123 day or night, or 999 if you might harm yourself or already have.",
    "uk": "Ваші відповіді не загубляться, поки відкрита ця сторінка. Щоб отримати допомогу "
    "зараз, код не потрібен: телефонуйте 116 123 удень чи вночі або 999, якщо можете зашкодити "
    "собі чи вже зашкодили.",
    "ru": "Ваши ответы не пропадут, пока открыта эта страница. Чтобы получить помощь сейчас, "
    "код не нужен: звоните 116 123 днём или ночью или 999, если можете навредить себе или уже "
    "навредили.",
}
NO_CODE = {
    "en": "If you do not have a code, call us: +380 7373 080 88 (Mon–Fri 10:00–19:00).",
    "uk": "Якщо у вас немає коду, зателефонуйте нам: +380 7373 080 88 (пн–пт 10:00–19:00).",
    "ru": "Если у вас нет кода, позвоните нам: +380 7373 080 88 (пн–пт 10:00–19:00).",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_access_page_offers_help_now_above_the_code_field(make_app, epds, language):
    client = make_app(ACCESS_CODE="MAPLE-2026", **OTHER_NUMBERS).test_client()
    answers = answers_form(indexes_for_scores(epds, dict.fromkeys(range(1, 11), 1)))
    refused = client.post(f"/?lang={language}", data=answers)
    assert refused.status_code == 403
    body = refused.text
    help_now = body.index('id="help-now"')
    assert help_now < body.index('name="code"')
    assert body.index('href="tel:116123"', help_now) < body.index('name="code"')
    text = one_line(visible_text(body, main_only=True))
    assert ANSWERS_KEPT[language] in text
    assert NO_CODE[language] in text
    # Without answers to carry, no word about keeping them; the help and the number stay.
    empty = one_line(visible_text(client.get(f"/?lang={language}").text, main_only=True))
    assert ANSWERS_KEPT[language] not in empty and NO_CODE[language] in empty


# S1: a positive item 10 asks for a talk "now", not "today", in the band's heading and advice.

FLAGGED_BANDS = {
    "en": (
        "Your answer to question 10 needs attention now",
        "Because of your answer to question 10, we recommend you talk to someone now, whatever "
        "your total: please use the numbers at the top of this page.",
        "Because of your answer to question 10, please do it now: use the numbers",
        "Because of your answer to question 10, please talk to someone now: use the numbers",
    ),
    "uk": (
        "Ваша відповідь на запитання 10 потребує уваги вже зараз",
        "Зважаючи на вашу відповідь на запитання 10, радимо поговорити з кимось уже зараз, "
        "незалежно від загального балу: скористайтеся номерами вгорі цієї сторінки.",
        "Зважаючи на вашу відповідь на запитання 10, зробіть це вже зараз:",
        "Зважаючи на вашу відповідь на запитання 10, поговоріть із кимось уже зараз:",
    ),
    "ru": (
        "Ваш ответ на вопрос 10 требует внимания уже сейчас",
        "С учётом вашего ответа на вопрос 10 советуем поговорить с кем-нибудь уже сейчас, "
        "независимо от общего балла: воспользуйтесь номерами вверху этой страницы.",
        "С учётом вашего ответа на вопрос 10 сделайте это уже сейчас:",
        "С учётом вашего ответа на вопрос 10 поговорите с кем-нибудь уже сейчас:",
    ),
}


def result_text(client, epds, scores: dict[int, int], language: str) -> str:
    page = client.post(f"/?lang={language}", data=answers_form(indexes_for_scores(epds, scores)))
    return one_line(visible_text(page.text, main_only=True))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_flagged_band_asks_for_a_talk_now_in_every_language(client, epds, language):
    heading, low, middle, high = FLAGGED_BANDS[language]
    low_text = result_text(client, epds, dict.fromkeys(range(1, 10), 0) | {10: 1}, language)
    assert heading in low_text and low in low_text
    middle_text = result_text(client, epds, dict.fromkeys(range(1, 10), 1) | {10: 1}, language)
    assert middle in middle_text
    high_text = result_text(client, epds, dict.fromkeys(range(1, 10), 2) | {10: 1}, language)
    assert high in high_text


# S2: the mania line of the signs of postpartum psychosis names energy and restlessness plainly.

MANIA = {
    "en": "feeling unusually high or full of energy, unable to sit still, or as if you do not "
    "need sleep;",
    "uk": "у вас незвично піднесений настрій, дуже багато енергії, ви не можете всидіти на місці "
    "або вам здається, що сон вам не потрібен;",
    "ru": "у вас необычно приподнятое настроение, очень много энергии, вы не можете усидеть на "
    "месте или вам кажется, что сон вам не нужен;",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mania_sign_in_every_language(client, epds, language):
    assert MANIA[language] in result_text(client, epds, dict.fromkeys(range(1, 11), 0), language)


# S3: the emergency tier for thoughts of harming the baby: thoughts one feels one might carry out.

ACT_ON_THOUGHTS = {
    "uk": (
        "або якщо у вас є думки зашкодити дитині і ви відчуваєте, що можете їх здійснити.",
        "у вас є думки заподіяти собі шкоду або є думки зашкодити дитині, і ви відчуваєте, що "
        "можете їх здійснити;",
    ),
    "ru": (
        "или если у вас есть мысли навредить ребёнку и вы чувствуете, что можете их осуществить.",
        "у вас есть мысли причинить себе вред или есть мысли навредить ребёнку, и вы чувствуете, "
        "что можете их осуществить;",
    ),
}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_harming_the_baby_tier_speaks_of_carrying_the_thoughts_out(client, epds, language):
    tier, about_item = ACT_ON_THOUGHTS[language]
    flagged = dict.fromkeys(range(1, 10), 0) | {10: 1}
    assert tier in result_text(client, epds, flagged, language)
    about = one_line(visible_text(client.get(f"/about?lang={language}").text, main_only=True))
    assert tier in about and about_item in about
    assert "піддатися" not in about and "поддаться" not in about


# S4: /about calls the frightening thoughts "unbidden", not "unwanted" (a wish, in uk/ru).

INTRUSIVE = {
    "uk": ("Непрохані думки, які лякають", "раптові непрохані думки чи образи", "небажан"),
    "ru": ("Непрошеные пугающие мысли", "внезапные непрошеные мысли или образы", "нежеланн"),
}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_about_calls_the_frightening_thoughts_unbidden(client, language):
    heading, body, old = INTRUSIVE[language]
    about = one_line(visible_text(client.get(f"/about?lang={language}").text, main_only=True))
    assert heading in about and body in about
    assert old not in about.lower()


# S5: the call-back email puts the priority line first for a total of 15 or more too.

HIGH_UNFLAGGED = dict.fromkeys(range(1, 10), 0) | {1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 10: 0}  # 15
JUST_BELOW = HIGH_UNFLAGGED | {5: 2}  # 14


@pytest.mark.parametrize(("language", "priority"), [("uk", "Терміново"), ("en", "Priority:")])
def test_a_total_of_15_or_more_is_a_priority_in_the_call_back_email(
    make_app, epds, language, priority
):
    with smtp_server() as mailbox:
        client = make_app(**mail_settings(mailbox.port, CLINIC_LANGUAGE=language)).test_client()
        for scores in (HIGH_UNFLAGGED, JUST_BELOW):
            page = client.post("/", data=answers_form(indexes_for_scores(epds, scores)))
            code = hidden_fields(page.text)["result_code"]
            form = {"name": "Олена", "phone": "067 123 45 67", "best_time": "any"}
            sent = client.post("/call-back", data=form | {"language": "uk", "result_code": code})
            assert sent.status_code == 200
        firsts = [message.get_content().splitlines()[0] for message in mailbox.messages]
    assert [first.startswith(priority) for first in firsts] == [True, False]


# S6: a flagged call-back confirmation while the clinic is open invites calling it now as well.

OPEN_NOW = {
    "en": "The clinic is open now: you can also call us yourself now on +380 7373 080 88.",
    "uk": "Клініка зараз працює: ви можете й самі зателефонувати нам уже зараз за номером "
    "+380 7373 080 88.",
    "ru": "Клиника сейчас работает: вы можете и сами позвонить нам уже сейчас по номеру "
    "+380 7373 080 88.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_flagged_confirmation_while_open_invites_a_call_now(make_app, epds, language):
    flagged = dict.fromkeys(range(1, 10), 0) | {10: 1}
    with smtp_server() as mailbox:
        open_page = confirmation(make_app, epds, mailbox, WEEKDAY_AFTERNOON, flagged, language)
        closed_page = confirmation(make_app, epds, mailbox, FRIDAY_EVENING, flagged, language)
        unflagged = confirmation(make_app, epds, mailbox, WEEKDAY_AFTERNOON, LOW, language)
    alert = open_page[open_page.index('class="safety"') : open_page.index("</section>")]
    assert OPEN_NOW[language] in one_line(visible_text('<main id="main">' + alert, main_only=True))
    assert OPEN_NOW[language] not in one_line(visible_text(closed_page, main_only=True))
    assert OPEN_NOW[language] not in one_line(visible_text(unflagged, main_only=True))
    # The new variant is among the confirmation's worst cases: one length, open or closed.
    assert len(open_page.encode()) == len(closed_page.encode()) == len(unflagged.encode())


# S7: a series notes every screening with a total of 0, not only the latest, on the page and PDF.

ZERO_NOTE = {
    "en": "A total of 0 ({date}) may mean that the patient was not comfortable answering fully "
    "(PIRI); read any change from it with care.",
    "uk": "Загальний бал 0 ({date}) може означати, що пацієнтці було незручно відповідати "
    "повністю (PIRI); зміну відносно нього оцінюйте обережно.",
    "ru": "Общий балл 0 ({date}) может означать, что пациентке было неудобно отвечать полностью "
    "(PIRI); изменение относительно него оценивайте с осторожностью.",
}
# The dates of the first and third screenings of series_codes, as each language writes them.
ZERO_DATES = {
    "en": ("1 Jun 2026", "29 Jun 2026"),
    "uk": ("1 черв. 2026", "29 черв. 2026"),
    "ru": ("1 июн. 2026", "29 июн. 2026"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_total_of_0_in_a_series_is_noted_on_page_and_pdf(
    client, app, epds, tmp_path, language
):
    client.set_cookie("lang", language)
    codes = series_codes(app, epds, [0, 5, 0, 9])
    page = series_post(client, codes)
    text = one_line(visible_text(page.text, main_only=True))
    printed = one_line(pdf_text(series_post(client, codes, "/intake/series.pdf").data, tmp_path))
    for date in ZERO_DATES[language]:
        note = ZERO_NOTE[language].format(date=date)
        assert note in text
        assert note in printed
    assert text.count("(PIRI);") == 2
    # A series of zeros keeps the length of any other series of as many screenings.
    zeros, other = series_codes(app, epds, [0, 0, 0, 0]), series_codes(app, epds, [9, 27, 13, 4])
    for path in ("/intake", "/intake/series.pdf"):
        assert len(series_post(client, zeros, path).data) == len(
            series_post(client, other, path).data
        )


# S8: after a pregnancy loss a total of 15 or more asks about the patient and any children.

AFTER_A_LOSS = {
    "en": "Total of 15 or more: assess the patient's safety (and that of any children in her "
    "care) and the need for crisis support.",
    "uk": "Загальний бал 15 або більше: оцініть безпеку пацієнтки (і дітей, які перебувають під "
    "її опікою, якщо такі є) та потребу в кризовій підтримці.",
    "ru": "Общий балл 15 или больше: оцените безопасность пациентки (и детей, находящихся на её "
    "попечении, если они есть) и потребность в кризисной поддержке.",
}
MOTHER_AND_INFANT = {
    "en": "mother and infant",
    "uk": "матері й немовляти",
    "ru": "матери и младенца",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_a_loss_a_high_total_asks_about_the_patient_and_any_children(
    app, client, epds, tmp_path, language
):
    high = indexes_for_scores(epds, HIGH_UNFLAGGED)
    posted = result_code_form(app, high, context=LOSS)
    intake = client.post(f"/intake?lang={language}", data={"code": posted["result_code"]})
    text = one_line(visible_text(intake.text, main_only=True))
    printed = one_line(
        pdf_text(client.post(f"/result.pdf?lang={language}", data=posted).data, tmp_path)
    )
    for words in (text, printed):
        assert AFTER_A_LOSS[language] in words
        assert MOTHER_AND_INFANT[language] not in words
    # Neither pregnant nor a birth in the past year: the same words as after a loss.
    neither = result_code_form(app, high, context=Context(Status.NEITHER))
    alone = client.post(f"/intake?lang={language}", data={"code": neither["result_code"]})
    assert AFTER_A_LOSS[language] in one_line(visible_text(alone.text))
    # Without a loss the steps still name mother and infant.
    other = result_code_form(app, high)
    kept = client.post(f"/intake?lang={language}", data={"code": other["result_code"]})
    assert MOTHER_AND_INFANT[language] in one_line(visible_text(kept.text, main_only=True))


# S8 in a series: the latest screening's notes speak of a loss reported anywhere in the series,
# unless the latest is of a new pregnancy or a birth (then there is an infant, or one expected).

SERIES_AFTER_A_LOSS = {
    "en": "also assess the patient's safety (and that of any children in her care)",
    "uk": "оцініть також безпеку пацієнтки (і дітей, які перебувають під її опікою, якщо такі є)",
    "ru": "оцените также безопасность пациентки (и детей, находящихся на её попечении, если они "
    "есть)",
}
PREGNANT = Context(Status.PREGNANT, 20)
NEITHER = Context(Status.NEITHER)


def series_with_contexts(app, epds, contexts: list[Context]) -> list[str]:
    state = app.extensions["screening"]
    high = answers_for_total(epds, 16)
    return [
        encode(
            state.instrument,
            high,
            START + timedelta(days=14 * index),
            state.result_code_key,
            context,
        )
        for index, context in enumerate(contexts)
    ]


@pytest.mark.parametrize(
    ("contexts", "after_loss"),
    [
        ([NEITHER, LOSS], True),
        ([LOSS, NEITHER], True),
        ([LOSS, PREGNANT], False),
        # Neither pregnant nor a birth in the past year: no infant either (second read, 12-04).
        ([NEITHER, NEITHER], True),
        ([NEITHER, PREGNANT], False),
        ([NEITHER, Context(Status.PREFER_NOT_TO_SAY)], False),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_after_a_loss_the_series_asks_about_the_patient_and_any_children(
    app, client, epds, tmp_path, language, contexts, after_loss
):
    codes = series_with_contexts(app, epds, contexts)
    page = one_line(visible_text(series_post(client, codes, f"/intake?lang={language}").text))
    printed = one_line(
        pdf_text(series_post(client, codes, f"/intake/series.pdf?lang={language}").data, tmp_path)
    )
    for words in (page, printed):
        assert (SERIES_AFTER_A_LOSS[language] in words) is after_loss
        assert (MOTHER_AND_INFANT[language] in words) is not after_loss


# S9: the clinician's next step for the lowest band, in Ukrainian, says "concern", not "alarm".

LOWEST_STEP = (
    "Сам собою загальний бал не потребує подальшого спостереження; за будь-якого клінічного "
    "занепокоєння дійте відповідно, а в сумнівних випадках повторіть скринінг."
)


def test_the_lowest_bands_next_step_in_ukrainian_says_concern(app, client, epds, tmp_path):
    posted = result_code_form(app, indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0)))
    intake = one_line(
        visible_text(
            client.post("/intake?lang=uk", data={"code": posted["result_code"]}).text,
            main_only=True,
        )
    )
    printed = one_line(pdf_text(client.post("/result.pdf?lang=uk", data=posted).data, tmp_path))
    for words in (intake, printed):
        assert LOWEST_STEP in words
        assert "тривог" not in words


# Nit: no comma before "or" in the Ukrainian and Russian help prompt.

HELP_PROMPT = {
    "uk": "що можете зараз зашкодити собі або вже зашкодили собі, телефонуйте",
    "ru": "что можете сейчас навредить себе или уже навредили себе, звоните",
}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_help_prompt_has_no_comma_before_or(client, language):
    text = one_line(visible_text(client.get(f"/?lang={language}").text, main_only=True))
    assert HELP_PROMPT[language] in text


# Nit: the clinician PDF's line on item 10 from the RCPsych manual is in the PDF's language.

ITEM_10_RULE = {
    "uk": "Будь-який бал вище 0 за пунктом 10 завжди потребує подальшої оцінки (RCPsych EPDS "
    "manual, 2014).",
    "ru": "Любой балл выше 0 по пункту 10 всегда требует дальнейшей оценки (RCPsych EPDS "
    "manual, 2014).",
}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_item_10_rule_is_in_the_pdfs_language(app, client, epds, tmp_path, language):
    flagged = indexes_for_scores(epds, dict.fromkeys(range(1, 10), 0) | {10: 1})
    posted = result_code_form(app, flagged)
    printed = one_line(
        pdf_text(client.post(f"/result.pdf?lang={language}", data=posted).data, tmp_path)
    )
    assert ITEM_10_RULE[language] in printed
    assert "Any score above 0 on item 10" not in printed
    intake = client.post(f"/intake?lang={language}", data={"code": posted["result_code"]})
    assert ITEM_10_RULE[language] in one_line(visible_text(intake.text, main_only=True))


# Nit: the wrong-length message at intake says what comes after the prefix, in the plural form
# its count calls for.

WRONG_LENGTH_WORDS = {
    "en": "After “EPDS-” a result code has 26 letters and digits.",
    "uk": "Після «EPDS-» у коді результату має бути 26 літер і цифр.",
    "ru": "После «EPDS-» в коде результата должно быть 26 букв и цифр.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_code_of_the_wrong_length_is_told_the_length_in_words(client, language):
    page = client.post(f"/intake?lang={language}", data={"code": "EPDS-1234-5678"})
    assert page.status_code == 400
    assert WRONG_LENGTH_WORDS[language] in one_line(visible_text(page.text, main_only=True))


@pytest.mark.parametrize(
    ("language", "count", "words"),
    [
        ("uk", 21, "21 літера чи цифра"),
        ("uk", 22, "22 літери й цифри"),
        ("uk", 25, "25 літер і цифр"),
        ("ru", 21, "должна быть 21 буква или цифра"),
        ("ru", 22, "должно быть 22 буквы и цифры"),
        ("ru", 25, "должно быть 25 букв и цифр"),
    ],
)
def test_the_wrong_length_message_follows_the_count(language, count, words):
    catalogues = Translations.load(str(CATALOGUES), [language])
    error = ResultCodeError(*WRONG_LENGTH, count=count, prefix="EPDS")
    assert words in error.in_words(
        lambda text, **params: catalogues.gettext(text) % params,
        lambda one, many, n, **params: catalogues.ngettext(one, many, n) % params,
    )


# Nit: no "lowest total to the latest" line when the latest screening is the lowest.


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_lowest_to_latest_line_when_the_latest_is_the_lowest(
    client, app, epds, tmp_path, language
):
    client.set_cookie("lang", language)
    with app.test_request_context(f"/?lang={language}"):
        lowest_line = gettext(LOWEST_TO_LATEST)
    falling = series_codes(app, epds, [14, 9, 3])
    page = one_line(visible_text(series_post(client, falling).text, main_only=True))
    printed = one_line(pdf_text(series_post(client, falling, "/intake/series.pdf").data, tmp_path))
    assert lowest_line not in page and lowest_line not in printed
    rising = series_post(client, series_codes(app, epds, [14, 3, 9]))
    assert lowest_line in one_line(visible_text(rising.text, main_only=True))


# Nit: the PDF's risk-assessment line, beside «Ризик оцінено», asks for a conclusion.


@pytest.mark.parametrize(("language", "label"), [("uk", "Висновок:"), ("ru", "Заключение:")])
def test_the_risk_assessment_asks_for_a_conclusion(app, client, epds, tmp_path, language, label):
    flagged = indexes_for_scores(epds, dict.fromkeys(range(1, 10), 0) | {10: 1})
    posted = result_code_form(app, flagged)
    printed = pdf_text(client.post(f"/result.pdf?lang={language}", data=posted).data, tmp_path)
    assert label in printed
    assert "Результат:" not in printed


# Re-read: a call-back that did not go through, while the clinic is closed, points to the crisis
# line first; the clinic's own number (which nobody answers then) only while it is open.

NOT_SENT_CLOSED = {
    "en": "If you need help now, call 7333 (",
    "uk": "Якщо допомога потрібна зараз, телефонуйте 7333 (",
    "ru": "Если помощь нужна сейчас, звоните 7333 (",
}
CALL_THE_CLINIC = {
    "en": "Please call the clinic yourself",
    "uk": "зателефонуйте до клініки самі",
    "ru": "позвоните в клинику сами",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_call_back_not_sent_while_closed_points_to_the_crisis_line_not_the_clinic(
    make_app, language
):
    from datetime import UTC, datetime

    from tools.servers import free_port

    pages = {}
    for label, moment in (
        ("closed", datetime(2026, 12, 4, 17, 30, tzinfo=UTC)),  # Friday 19:30 in Kyiv
        ("open", datetime(2026, 12, 2, 12, 0, tzinfo=UTC)),  # Wednesday 14:00 in Kyiv
    ):
        settings = mail_settings(free_port(), SMTP_TIMEOUT=1) | {"CLOCK": lambda m=moment: m}
        client = make_app(**settings).test_client()
        response = client.post(
            f"/call-back?lang={language}",
            data={"best_time": "any", "language": "uk", "name": "Олена", "phone": "067 123 45 67"},
        )
        assert response.status_code == 503
        pages[label] = one_line(visible_text(response.text, main_only=True))
    assert NOT_SENT_CLOSED[language] in pages["closed"]
    assert CALL_THE_CLINIC[language] not in pages["closed"]
    assert CALL_THE_CLINIC[language] in pages["open"]
