"""The application factory, in govuk-frontend-flask's manner: where each setting comes from,
that every error has its page, and that every extension and blueprint is wired."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from flask import Flask, abort

from screening.settings import Settings
from screening.web.config import DEFAULTS
from screening.web.error_pages import ERROR_PAGES
from screening.web.extensions import babel, limiter
from screening.web.state import ScreeningState, settings_of
from tests.helpers import built_app
from tools.testkit import TEST_SECRET

# 1. Configuration: defaults < instance/config.py < FLASK_* < SCREENING_*; test_config alone.


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(folder))
    for key in ("SCREENING_DEVELOPMENT", "SCREENING_SECRET_KEY", "SCREENING_EPDS_PERMISSION"):
        monkeypatch.delenv(key, raising=False)
    return folder


def test_each_source_overrides_the_one_before(instance, monkeypatch):
    (instance / "config.py").write_text(
        'SECRET_KEY = "from-file"\nEPDS_PERMISSION = "file"\nACCESS_CODE_RATE_LIMIT = "1/minute"\n'
        'INTAKE_RATE_LIMIT = "2/minute"\nCLINIC_ADDRESS = "file"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FLASK_INTAKE_RATE_LIMIT", '"3/minute"')
    monkeypatch.setenv("FLASK_CLINIC_ADDRESS", '"flask"')
    monkeypatch.setenv("SCREENING_CLINIC_ADDRESS", "screening")
    config = built_app().config
    assert config["CLINIC_TIMEZONE"] == DEFAULTS["CLINIC_TIMEZONE"]  # default
    assert config["ACCESS_CODE_RATE_LIMIT"] == "1/minute"  # instance file over default
    assert config["INTAKE_RATE_LIMIT"] == "3/minute"  # FLASK_* over the instance file
    assert config["CLINIC_ADDRESS"] == "screening"  # SCREENING_* over FLASK_*
    assert (config["SECRET_KEY"], config["EPDS_PERMISSION"]) == ("from-file", "file")


def test_screening_variables_stay_text(instance, monkeypatch):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv("SCREENING_EPDS_PERMISSION", "p")
    monkeypatch.setenv("SCREENING_CLINIC_CRISIS_LINE", "112")
    monkeypatch.setenv("SCREENING_ACCESS_GRANT_HOURS", "6")  # a number key: made a number
    settings = settings_of(built_app())
    assert settings.clinic.main.crisis_line == "112"
    assert settings.access.grant_hours == 6


def test_test_config_replaces_the_instance_file_and_the_environment(instance, monkeypatch):
    (instance / "config.py").write_text('CLINIC_ADDRESS = "file"\n', encoding="utf-8")
    monkeypatch.setenv("SCREENING_CLINIC_ADDRESS", "screening")
    app = built_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "HTTPS": False})
    assert settings_of(app).clinic.main.address == DEFAULTS["CLINIC_ADDRESS"]
    assert app.testing and app.config["SECRET_KEY"] == TEST_SECRET


def test_development_defaults_to_plain_http_and_production_to_https(instance, monkeypatch):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv("SCREENING_DEVELOPMENT", "1")
    assert settings_of(built_app()).server.https is False
    monkeypatch.delenv("SCREENING_DEVELOPMENT")
    monkeypatch.setenv("SCREENING_EPDS_PERMISSION", "p")
    assert settings_of(built_app()).server.https is True


# 2. Every error has its page: the wording from ERROR_PAGES, its status, never cached.


def title_of(body: str) -> str:
    return unescape(re.search(r"<h1[^>]*>([^<]+)</h1>", body)[1]).strip()


@pytest.fixture
def app(make_app) -> Flask:
    # Two documents a minute: requests_for's first re-post and its 400 use them up, so the 429 is
    # the generic page a patient meets (staff's intake keeps its own form over its limit).
    app = make_app(DOCUMENT_RATE_LIMIT="2 per minute", ACCESS_CODE="")

    @app.get("/test-error/<int:code>")
    def raise_error(code: int) -> str:
        """Stands in for a view that fails with ``code``, or with a bug (0)."""
        if code:
            abort(code)
        raise RuntimeError("a bug")

    return app


def requests_for(client) -> dict[int, object]:
    client.post("/result.pdf", data={})
    return {
        400: lambda: client.post("/result.pdf", data={}),
        403: lambda: client.get("/test-error/403"),
        404: lambda: client.get("/no-such-page"),
        405: lambda: client.get("/result.pdf"),
        # 408, 414 and 503 are Caddy's answers (tools/caddy_error_pages.py) in the app's words.
        408: lambda: client.get("/test-error/408"),
        414: lambda: client.get("/test-error/414"),
        413: lambda: client.post("/", data={"item_1": "x" * 20_000}),
        429: lambda: client.post("/result.pdf", data={}),
        500: lambda: client.get("/test-error/0"),
        503: lambda: client.get("/test-error/503"),
    }


def test_every_error_page_has_its_own_wording_status_and_no_store(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # TESTING would re-raise the bug in 500
    client = app.test_client()
    requests = requests_for(client)
    assert sorted(requests) == sorted(ERROR_PAGES)
    for code, send in requests.items():
        response = send()
        assert response.status_code == code
        assert response.headers["Cache-Control"].startswith("no-store"), code
        body = response.get_data(as_text=True)
        title, message = ERROR_PAGES[code]
        assert title_of(body) == str(title), code
        assert unescape(str(message)) in unescape(body), code
        assert f"<title>Error: {title}" in unescape(body), code


def test_error_pages_are_translated(app):
    body = app.test_client().get("/no-such-page?lang=uk").get_data(as_text=True)
    assert title_of(body) == "Сторінку не знайдено"


def test_an_error_without_wording_of_its_own_uses_werkzeugs(app):
    response = app.test_client().get("/test-error/418")
    assert response.status_code == 418
    assert title_of(response.get_data(as_text=True)) == "I'm a teapot"


def test_an_unknown_host_gets_the_400_page(make_app):
    app = make_app(TRUSTED_HOSTS=["screening.example"])
    response = app.test_client().get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert title_of(response.get_data(as_text=True)) == ERROR_PAGES[400][0]


# 3. Every extension, blueprint, hook and template global is wired.


def test_extensions_blueprints_and_hooks_are_wired(make_app):
    app = make_app()
    assert limiter in app.extensions["limiter"]
    assert app.extensions["babel"].instance is babel
    assert isinstance(app.extensions["screening"], ScreeningState)
    assert isinstance(settings_of(app), Settings)  # every setting, the mail settings among them
    assert set(app.blueprints) == {"access", "screening", "intake", "callback", "staff"}
    assert {f.__name__ for f in app.before_request_funcs[None]} >= {"guard"}
    globals_ = (
        "fragment",
        "csrf_token",
        "languages",
        "phone_link",
        "opening_status",
    )
    for name in globals_:
        assert name in app.jinja_env.globals, name
    # The call-back form is passed in by the view that shows it, not reached from a template.
    assert "callback_form" not in app.jinja_env.globals
    assert app.template_folder == "web/templates"
    assert Path(app.root_path, app.template_folder, "base.html").is_file()


def test_two_apps_do_not_share_settings(make_app):
    first, second = make_app(CLINIC_NAME="First"), make_app(CLINIC_NAME="Second")
    assert "First" in first.test_client().get("/").text
    assert "Second" in second.test_client().get("/").text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/result.pdf"),
        ("PUT", "/"),
        ("DELETE", "/about"),
        ("TRACE", "/"),
        ("GET", "/intake/series.pdf"),
    ],
)
def test_a_405_names_the_methods_the_page_allows(app, method, path):
    """RFC 9110 15.5.6: a 405 MUST carry Allow; our error page must not drop it."""
    response = app.test_client().open(path, method=method)
    assert response.status_code == 405
    allowed = {name.strip() for name in response.headers["Allow"].split(",")}
    rule_methods = {
        rule_method
        for rule in app.url_map.iter_rules()
        if rule.rule == path
        for rule_method in rule.methods or ()
    }
    assert allowed == rule_methods and method not in allowed


def test_every_route_answers_an_unsupported_method_with_allow(app):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.arguments:
            continue
        unsupported = next(m for m in ("PATCH", "PUT", "DELETE") if m not in (rule.methods or ()))
        response = client.open(rule.rule, method=unsupported)
        if response.status_code == 405:
            assert response.headers.get("Allow"), rule.rule
        else:  # a route that takes any method must at least not fail
            assert response.status_code < 500, rule.rule


def test_a_429_says_when_to_try_again(app):
    client = app.test_client()
    client.post("/result.pdf", data={})  # the two documents a minute
    client.post("/result.pdf", data={})
    response = client.post("/result.pdf", data={})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
