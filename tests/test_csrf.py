"""CSRF stays on outside these view tests: a post without a valid token is refused, answers kept."""

from __future__ import annotations

import logging
import time

import pytest
from itsdangerous import TimestampSigner

from tests.helpers import built_app, checked_items
from tools.testkit import (
    STAFF_PASSWORD,
    STAFF_PASSWORD_HASH,
    TEST_SECRET,
    all_first_options,
    answers_form,
    hidden_fields,
)


@pytest.fixture
def csrf_client(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "instance"))
    return built_app({"TESTING": True, "SECRET_KEY": TEST_SECRET}).test_client()


def token(response) -> str:
    return hidden_fields(response.get_data(as_text=True))["csrf_token"]


def test_missing_token_gets_400_with_a_clear_message_and_answers_kept(csrf_client):
    response = csrf_client.post("/", data=answers_form(all_first_options()))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "your answers could not be sent safely" in body
    assert checked_items(body) == 10


def test_token_from_the_page_is_accepted_for_result_and_pdf(csrf_client):
    data = answers_form(all_first_options()) | {"csrf_token": token(csrf_client.get("/"))}
    result = csrf_client.post("/", data=data)
    assert result.status_code == 200
    pdf = csrf_client.post("/result.pdf", data=hidden_fields(result.get_data(as_text=True)))
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")


def test_token_from_another_app_secret_is_refused(tmp_path, monkeypatch, csrf_client):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "other"))
    other = built_app({"TESTING": True, "SECRET_KEY": "another-secret"}).test_client()
    data = answers_form(all_first_options()) | {"csrf_token": token(other.get("/"))}
    assert csrf_client.post("/", data=data).status_code == 400


def post_answers_with_a_token(client):
    data = answers_form({n: n % 4 for n in range(1, 11)}) | {"csrf_token": token(client.get("/"))}
    return data


def warnings_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]


@pytest.mark.parametrize(
    ("https", "cause"), [(True, "arrived over plain HTTP"), (False, "may block cookies")]
)
def test_a_missing_session_cookie_is_told_apart_from_an_expired_token(
    make_app, epds, caplog, https, cause
):
    client = make_app(WTF_CSRF_ENABLED=True, HTTPS=https).test_client()
    data = post_answers_with_a_token(client)
    client.delete_cookie("session")
    caplog.set_level(logging.DEBUG)
    response = client.post("/", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "did not send back this site" in body and "open for a long time" not in body
    assert checked_items(body) == 10
    [warning] = warnings_logged(caplog)
    assert "no session cookie" in warning and cause in warning
    labels = {option.label for item in epds.items for option in item.options}
    assert "item_" not in warning and not any(label in warning for label in labels)


def test_a_cookie_signed_with_another_secret_hints_at_the_secret_key(make_app, caplog):
    other = make_app(WTF_CSRF_ENABLED=True, SECRET_KEY="another-secret").test_client()
    data = post_answers_with_a_token(other)
    client = make_app(WTF_CSRF_ENABLED=True, HTTPS=False).test_client()
    client.set_cookie("session", other.get_cookie("session").value)
    caplog.set_level(logging.DEBUG)
    response = client.post("/", data=data)
    assert response.status_code == 400
    assert "open for a long time" in response.get_data(as_text=True)
    [warning] = warnings_logged(caplog)
    assert "same SECRET_KEY" in warning


def test_an_expired_token_keeps_the_long_time_message(make_app, caplog, monkeypatch):
    client = make_app(WTF_CSRF_ENABLED=True, HTTPS=False).test_client()
    data = post_answers_with_a_token(client)
    later = int(time.time()) + 5 * 60 * 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    caplog.set_level(logging.DEBUG)
    response = client.post("/", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "open for a long time" in body and checked_items(body) == 10
    assert warnings_logged(caplog) == []


def signed_in_staff(make_app):
    """A browser signed in with CSRF on, and the token of a page from before that sign-in."""
    client = make_app(WTF_CSRF_ENABLED=True, STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH).test_client()
    before = token(client.get("/staff/sign-in"))
    signed_in = client.post(
        "/staff/sign-in", data={"csrf_token": before, "password": STAFF_PASSWORD}
    )
    assert signed_in.status_code == 303
    return client, before


@pytest.mark.parametrize("posted", ["older than the sign-in", "none", "garbage"])
def test_sign_out_ends_the_sign_in_whatever_the_token_and_says_so(make_app, posted):
    """A sign-in starts a new session, so a tab opened before it posts a token that no longer
    holds: the sign-out still ends the sign-in, and the page says plainly that it did."""
    client, before = signed_in_staff(make_app)
    data = {"older than the sign-in": {"csrf_token": before}, "none": {}}.get(
        posted, {"csrf_token": "x" * 300}
    )
    signed_out = client.post("/staff/sign-out", data=data)
    assert signed_out.status_code == 303
    page = client.get(signed_out.headers["Location"])
    assert page.status_code == 200 and "You are signed out" in page.get_data(as_text=True)
    intake = client.get("/intake").get_data(as_text=True)
    assert 'id="password"' in intake and 'name="code"' not in intake
    assert client.get("/staff/sign-out").status_code == 405  # POST only


def test_the_sign_in_page_says_signed_out_only_to_a_browser_that_is(make_app):
    client, _ = signed_in_staff(make_app)
    assert client.get("/staff/sign-in?signed-out=1").status_code == 303  # still signed in
