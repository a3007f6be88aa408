"""The findings of a perinatal psychiatrist's second read of the finished patient and clinician
wording, in English, Ukrainian and Russian: each test checks the words a person or a clinician
reads (the Flask test client, text from the rendered PDF)."""

from __future__ import annotations

import pytest

from tests.helpers import answers_form, hidden_fields, indexes_for_scores, pdf_text
from tests.mailbox import smtp_server
from tests.test_callback import mail_settings, post_from
from tests.test_crisis_pathway import visible_text

# M1: the "too many attempts" page puts the numbers that answer now first and never says "wait".

TOO_MANY = {
    "en": "There were too many attempts in a short time, so this one did not go through. "
    "If you need help now, do not wait: call 116 123 (Samaritans), day or night; if you might "
    "harm yourself or already have, call 999. You can try again in a few minutes.",
    "uk": "Забагато спроб за короткий час, тому цей запит не надіслано. Якщо вам потрібна "
    "допомога зараз, не чекайте: телефонуйте 116 123 (Samaritans), удень чи вночі; якщо можете "
    "зашкодити собі або вже зашкодили — 999. Спробувати ще раз можна за кілька хвилин.",
    "ru": "Слишком много попыток за короткое время, поэтому этот запрос не отправлен. Если вам "
    "нужна помощь сейчас, не ждите: звоните 116 123 (Samaritans), днём или ночью; если можете "
    "навредить себе или уже навредили — 999. Попробовать ещё раз можно через несколько минут.",
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


@pytest.mark.parametrize("language", ["en", "uk", "ru"])
def test_too_many_attempts_leads_with_help_now_in_every_language(make_app, language):
    client = make_app(INTAKE_RATE_LIMIT="1 per minute", **OTHER_NUMBERS).test_client()
    client.post(f"/intake?lang={language}", data={"code": "x"})
    page = client.post(f"/intake?lang={language}", data={"code": "x"})
    assert page.status_code == 429
    text = one_line(visible_text(page.text))
    assert TOO_MANY[language] in text
    main = page.text[page.text.index("<main") : page.text.index("</main>")]
    assert main.index('href="tel:116123"') < main.index('class="button"')
    assert CALL_US[language] not in text.lower()


@pytest.mark.parametrize("language", ["en", "uk", "ru"])
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
    text = one_line(visible_text(page.text))
    assert TOO_MANY[language] in text
    body = page.text
    assert body.index('href="tel:116123"') < body.index('name="name"')
    assert 'value="Олена Петренко"' in body and 'value="067 123 45 67"' in body
