"""Hostile input never yields a 5xx: arbitrary posts to every POST route get a clear 4xx page."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from screening.core.scoring import score
from tests.helpers import built_app, checked_items, result_code_form
from tools.testkit import TEST_SECRET, all_first_options, answers_form, hidden_fields

POST_ROUTES = [
    *("/", "/result.pdf", "/result.fhir.json", "/access", "/intake", "/language"),
    *("/intake/series.pdf", "/call-back", "/reminder.ics"),
]
FIELD_NAMES = st.one_of(
    st.sampled_from(
        [
            "item_1",
            "item_10",
            "item_11",
            "csrf_token",
            "completed_at",
            "code",
            "result_code",
            "lang",
            "page",
            "",
        ]
    ),
    st.text(min_size=0, max_size=40),
)
VALUES = st.one_of(
    st.sampled_from(["0", "3", "4", "-1", "", " ", "1.0", "\uff10", "\x00", "2026-13-40T99:00"]),
    st.text(max_size=200),
    st.text(min_size=5_000, max_size=20_000, alphabet="ab<>&\"'"),
)
RAW_BODIES = st.one_of(st.binary(max_size=3_000), st.binary(min_size=17_000, max_size=20_000))
CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin-1",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "application/json",
        "text/plain",
        "application/octet-stream",
        "",
    ]
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def app():
    """CSRF on, as in production; one app for all examples, like a long-running server."""
    return built_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "HTTPS": False})


def assert_clear_4xx(response):
    assert 400 <= response.status_code < 500, response.status_code
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    assert "+380 7373 080 88" in page


@SETTINGS
@given(
    route=st.sampled_from(POST_ROUTES),
    fields=st.lists(st.tuples(FIELD_NAMES, VALUES), max_size=25),
)
def test_arbitrary_form_fields_get_a_clear_4xx(app, route, fields):
    with app.test_client() as client:
        assert_clear_4xx(client.post(route, data=MultiDict(fields)))


@SETTINGS
@given(route=st.sampled_from(POST_ROUTES), body=RAW_BODIES, content_type=CONTENT_TYPES)
def test_arbitrary_bytes_and_content_types_get_a_clear_4xx(app, route, body, content_type):
    with app.test_client() as client:
        assert_clear_4xx(client.post(route, data=body, content_type=content_type))


@SETTINGS
@given(
    field=st.sampled_from([f"item_{n}" for n in range(1, 11)] + ["result_code", "completed_at"]),
    value=VALUES,
    duplicate=st.booleans(),
)
def test_tampering_with_a_genuine_submission_gets_a_clear_4xx(app, field, value, duplicate):
    """With a valid CSRF token, any bad value is refused by validation, never by a crash."""
    with app.test_client() as client:
        token = hidden_fields(client.get("/").get_data(as_text=True))["csrf_token"]
        form = result_code_form(app, all_first_options()) | {"csrf_token": token}
        fields = [(k, v) for k, v in form.items() if k != field]
        fields += [(field, value)] + ([(field, form.get(field, "0"))] if duplicate else [])
        response = client.post("/result.pdf", data=MultiDict(fields))
        if response.status_code == 200:
            # Only the genuine code may pass; answers or a time beside it are ignored.
            assert response.mimetype == "application/pdf"
            assert field != "result_code" or value == form[field]
        else:
            assert_clear_4xx(response)


def test_a_valid_submission_still_scores_correctly_afterwards(app, epds):
    with app.test_client() as client:
        token = hidden_fields(client.get("/").get_data(as_text=True))["csrf_token"]
        answers = {n: n % 4 for n in range(1, 11)}  # scores 1,2,0,0,2,1,0,3,2,1
        response = client.post("/", data=answers_form(answers) | {"csrf_token": token})
        assert response.status_code == 200
        assert score(epds, answers).total == 12
        assert re.search(r'id="total-score">12<', response.get_data(as_text=True))


@pytest.mark.parametrize("body", [b"0", b"[1]", b'"text"', b"null", b'{"item_1": "0"}'])
@pytest.mark.parametrize("route", ["/", "/result.pdf"])
def test_json_bodies_are_not_read_as_forms(app, route, body):
    """Found by the property test: Flask-WTF's JSON fallback raised a TypeError on a non-object."""
    with app.test_client() as client:
        assert_clear_4xx(client.post(route, data=body, content_type="application/json"))


@pytest.mark.parametrize("bad_part", [b"item_2=\xff", b"\xe9t\xe9=1", b"item_2=\xd0"])
def test_a_raw_byte_that_is_not_utf_8_is_explained_and_the_rest_kept(app, bad_part):
    with app.test_client() as client:
        token = hidden_fields(client.get("/").get_data(as_text=True))["csrf_token"]
        answers = answers_form(all_first_options())
        del answers["item_2"]
        body = b"&".join(
            [b"csrf_token=" + token.encode(), bad_part]
            + [f"{name}={value}".encode() for name, value in answers.items()]
        )
        response = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Part of what your browser sent could not be read" in page
    assert "open for a long time" not in page
    assert checked_items(page) == 9
