"""CSRF stays on outside these view tests: a post without a valid token is refused, answers kept."""

from __future__ import annotations

import pytest

from screening import create_app
from tests.conftest import TEST_SECRET, all_first_options, answers_form, hidden_fields


@pytest.fixture
def csrf_client(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET}).test_client()


def token(response) -> str:
    return hidden_fields(response.get_data(as_text=True))["csrf_token"]


def test_missing_token_gets_400_with_a_clear_message_and_answers_kept(csrf_client):
    response = csrf_client.post("/", data=answers_form(all_first_options()))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "your answers could not be sent safely" in body
    assert body.count("checked") == 10


def test_token_from_the_page_is_accepted_for_result_and_pdf(csrf_client):
    data = answers_form(all_first_options()) | {"csrf_token": token(csrf_client.get("/"))}
    result = csrf_client.post("/", data=data)
    assert result.status_code == 200
    pdf = csrf_client.post("/result.pdf", data=hidden_fields(result.get_data(as_text=True)))
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")


def test_token_from_another_app_secret_is_refused(tmp_path, monkeypatch, csrf_client):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "other"))
    other = create_app({"TESTING": True, "SECRET_KEY": "another-secret"}).test_client()
    data = answers_form(all_first_options()) | {"csrf_token": token(other.get("/"))}
    assert csrf_client.post("/", data=data).status_code == 400
