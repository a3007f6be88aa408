"""Security promises: headers on every response, no answers at rest, cookies, access code."""

from __future__ import annotations

import io
import logging
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from screening.core.errors import ConfigError
from screening.web.log_addresses import masked_addresses
from screening.web.state import install_settings, settings_of
from tests.helpers import built_app, result_code_form
from tests.mailbox import smtp_server
from tests.test_callback import mail_settings, request_form
from tools.testkit import (
    MANY_DOCUMENTS,
    STAFF_PASSWORD_HASH,
    TEST_SECRET,
    all_first_options,
    answers_form,
    hidden_fields,
)

REQUIRED_CSP = [
    "default-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
]
TEMPLATES = Path(__file__).resolve().parent.parent / "screening" / "web" / "templates"


def make_client(tmp_path, monkeypatch, **config):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "instance"))
    settings = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "WTF_CSRF_ENABLED": False,
        "HTTPS": False,
    }
    return built_app(settings | MANY_DOCUMENTS | config).test_client()


def every_kind_of_response(client):
    complete = answers_form(all_first_options())
    pdf_form = result_code_form(client.application, all_first_options())
    return {
        "questionnaire": client.get("/"),
        "errors": client.post("/", data={"item_1": "0"}),
        "result": client.post("/", data=complete),
        "pdf": client.post("/result.pdf", data=pdf_form),
        "static": client.get("/static/style.css"),
        "health": client.get("/health"),
        "about": client.get("/about"),
        "intake": client.get("/intake"),
        "404": client.get("/missing"),
        "405": client.delete("/"),
        "413": client.post("/", data={"item_1": "x" * 20_000}),
    }


def test_security_headers_on_every_response(client):
    for name, response in every_kind_of_response(client).items():
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        for directive in REQUIRED_CSP:
            assert directive in csp, (name, directive)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "no-referrer", name
        for feature in ("camera=()", "microphone=()", "geolocation=()"):
            assert feature in headers["Permissions-Policy"], (name, feature)
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin", name
        assert "Strict-Transport-Security" not in headers, name
        response.close()


def test_hsts_and_secure_cookie_when_served_over_https(tmp_path, monkeypatch):
    client = make_client(tmp_path, monkeypatch, HTTPS=True, WTF_CSRF_ENABLED=True)
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_httponly_and_lax_in_development(tmp_path, monkeypatch):
    client = make_client(tmp_path, monkeypatch, DEVELOPMENT=True, WTF_CSRF_ENABLED=True)
    cookie = client.get("/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def change_access_code(app: Flask, code: str) -> None:
    """What a restart with a new ACCESS_CODE does: the app's settings name the new code."""
    settings = settings_of(app)
    install_settings(app, replace(settings, access=replace(settings.access, code=code)))


def test_production_defaults_to_https_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv("SCREENING_EPDS_PERMISSION", "ref")
    monkeypatch.delenv("SCREENING_HTTPS", raising=False)
    monkeypatch.delenv("SCREENING_DEVELOPMENT", raising=False)
    app = built_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_templates_have_no_inline_style_or_script():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle\s*=", text), template.name
        assert "<style" not in text, template.name
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name


@pytest.mark.parametrize("path", ["/", "/result.pdf"])
def test_result_and_pdf_are_not_cached(app, client, path):
    data = answers_form(all_first_options()) | result_code_form(app, all_first_options())
    assert client.post(path, data=data).headers["Cache-Control"] == "no-store, no-transform"


@pytest.mark.parametrize("path", ["/", "/about", "/intake", "/call-back"])
def test_pages_with_a_form_or_a_cookie_are_not_cached(make_app, path):
    """A shared cache must not hand one browser's CSRF token or session cookie to another: the
    call-back form puts both on /about."""
    app = make_app(
        WTF_CSRF_ENABLED=True,
        CLINIC_INTAKE_EMAIL="intake@clinic.example",
        SMTP_HOST="127.0.0.1",
        SMTP_STARTTLS=False,
    )
    response = app.test_client().get(path)
    assert 'name="csrf_token"' in response.text or "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"].startswith("no-store"), path


def test_no_answer_or_score_in_logs_cookies_or_urls(tmp_path, monkeypatch, caplog):
    client = make_client(tmp_path, monkeypatch, WTF_CSRF_ENABLED=True)
    answers = {1: 3, 2: 2, 3: 0, 4: 3, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0, 10: 1}  # total 28
    caplog.set_level(logging.DEBUG)
    page = client.get("/")
    token = hidden_fields(page.text)["csrf_token"]
    result = client.post("/", data=answers_form(answers) | {"csrf_token": token})
    assert re.search(r'id="total-score">28<', result.text)
    hidden = hidden_fields(result.text)
    assert hidden["csrf_token"]
    pdf = client.post("/result.pdf", data=hidden)
    assert pdf.mimetype == "application/pdf"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("28", "item_", "Hardly ever", "Not at all", hidden["result_code"]):
        assert secret not in logged
    for response in (page, result, pdf):
        assert "Location" not in response.headers
    serializer = SecureCookieSessionInterface().get_signing_serializer(client.application)
    cookie = client.get_cookie("session")
    assert set(serializer.loads(cookie.value)) == {"csrf_token"}
    assert all('method="post"' in form for form in re.findall(r"<form[^>]*>", result.text))


def test_oversized_body_gets_a_friendly_413(client):
    response = client.post("/", data={"item_1": "0", "padding": "x" * 17_000})
    assert response.status_code == 413
    assert "too large" in response.text and "+380 7373 080 88" in response.text


def chunked_post(client, body: bytes):
    """A body sent without Content-Length, as the WSGI server hands over a chunked one."""
    return client.post(
        "/",
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked"},
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_an_oversized_chunked_body_gets_413_not_a_silent_cut(client):
    response = chunked_post(client, b"item_1=0&padding=" + b"x" * 17_000)
    assert response.status_code == 413
    assert "too large" in response.text


def test_a_chunked_body_within_the_limit_is_read_whole(client):
    response = chunked_post(client, "&".join(f"item_{n}=0" for n in range(1, 11)).encode())
    assert response.status_code == 200
    assert 'id="total-score">21<' in response.text


class TestAccessCode:
    CODE = "MAPLE-2026"

    @pytest.fixture
    def guarded(self, tmp_path, monkeypatch):
        return make_client(tmp_path, monkeypatch, ACCESS_CODE=self.CODE)

    def test_open_without_a_code(self, client):
        assert 'name="item_1"' in client.get("/").text

    def test_questionnaire_asks_for_the_code_first(self, guarded):
        page = guarded.get("/")
        assert page.status_code == 200
        assert "Enter your access code" in page.text and 'name="item_1"' not in page.text

    def test_posting_answers_without_the_code_is_refused(self, guarded):
        response = guarded.post("/", data=answers_form(all_first_options()))
        assert response.status_code == 403
        assert "access code the clinic gave you first" in response.text

    def test_wrong_code_gets_a_clear_message_and_keeps_what_was_typed(self, guarded):
        response = guarded.post("/access", data={"code": "MAPLE-2025"})
        assert response.status_code == 403
        assert "That code is not right" in response.text
        assert 'value="MAPLE-2025"' in response.text
        assert response.text.count("<title>Error: ") == 1

    def test_right_code_opens_the_questionnaire_for_the_session(self, guarded):
        response = guarded.post("/access", data={"code": f" {self.CODE} "})
        assert response.status_code == 303 and response.headers["Location"] == "/"
        assert 'name="item_1"' in guarded.get("/").text
        assert guarded.post("/", data=answers_form(all_first_options())).status_code == 200

    def test_the_grant_holds_a_keyed_hash_of_the_code_never_the_code(self, guarded):
        guarded.post("/access", data={"code": self.CODE})
        serializer = SecureCookieSessionInterface().get_signing_serializer(guarded.application)
        grant = serializer.loads(guarded.get_cookie("session").value)["access"]
        assert set(grant) == {"code", "at"} and self.CODE not in str(grant)

    def test_changing_the_code_revokes_every_grant(self, guarded):
        guarded.post("/access", data={"code": self.CODE})
        change_access_code(guarded.application, "BIRCH-2027")
        page = guarded.get("/")
        assert page.status_code == 200 and 'name="item_1"' not in page.text
        assert "The clinic has changed the access code" in page.text
        refused = guarded.post("/", data=answers_form(all_first_options()))
        assert refused.status_code == 403
        assert "access code the clinic gave you first" in refused.text
        guarded.post("/access", data={"code": "BIRCH-2027"})
        assert 'name="item_1"' in guarded.get("/").text

    def test_answers_posted_after_the_grant_ended_are_kept_through_the_access_page(self, guarded):
        guarded.post("/access", data={"code": self.CODE})
        change_access_code(guarded.application, "BIRCH-2027")
        answers = answers_form({n: n % 4 for n in range(1, 11)})
        refused = guarded.post("/", data=answers)
        assert refused.status_code == 403
        assert refused.headers["Cache-Control"] == "no-store, no-transform"  # it holds answers
        carried = {k: v for k, v in hidden_fields(refused.text).items() if k.startswith("item_")}
        assert carried == answers
        wrong = guarded.post("/access", data=carried | {"code": "nope"})
        assert wrong.status_code == 403
        kept = {k: v for k, v in hidden_fields(wrong.text).items() if k.startswith("item_")}
        assert kept == answers
        opened = guarded.post("/access", data=carried | {"code": "BIRCH-2027"})
        assert opened.status_code == 200 and "error-summary" not in opened.text
        assert dict(re.findall(r'name="(item_\d+)" value="(\d)" checked', opened.text)) == answers

    def test_too_many_attempts_keep_every_answer_and_put_help_now_first(
        self, tmp_path, monkeypatch
    ):
        """A grant that ended mid-questionnaire, then attempts past ACCESS_CODE_RATE_LIMIT: the
        429 is the access page again, the numbers that answer now first, every answer and the
        typed code kept, and the page as long as any other access page carrying answers."""
        guarded = make_client(
            tmp_path, monkeypatch, ACCESS_CODE=self.CODE, ACCESS_CODE_RATE_LIMIT="2 per minute"
        )
        answers = answers_form({n: n % 4 for n in range(1, 11)})
        wrong = [guarded.post("/access", data=answers | {"code": "nope"}) for _ in range(2)]
        limited = guarded.post("/access", data=answers | {"code": "still-nope"})
        assert [r.status_code for r in wrong] == [403, 403] and limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        assert limited.headers["Cache-Control"] == "no-store, no-transform"
        kept = {k: v for k, v in hidden_fields(limited.text).items() if k.startswith("item_")}
        assert kept == answers
        assert 'value="still-nope"' in limited.text
        main = limited.text.split("<main", 1)[1]
        help_now = main.index("If you need help now, do not wait: call")
        assert help_now < main.index('name="code"')
        assert "too many attempts" in limited.text and "<title>Error: " in limited.text
        assert len(limited.data) == len(wrong[0].data)

    def test_a_grant_ends_after_access_grant_hours(self, tmp_path, monkeypatch):
        guarded = make_client(tmp_path, monkeypatch, ACCESS_CODE=self.CODE, ACCESS_GRANT_HOURS=2)
        guarded.post("/access", data={"code": self.CODE})
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 2 * 3600 - 5)
        assert 'name="item_1"' in guarded.get("/").text
        monkeypatch.setattr(time, "time", lambda: now + 2 * 3600 + 5)
        page = guarded.get("/")
        assert 'name="item_1"' not in page.text
        assert "access ends 2 h after the code is entered, and that time has passed" in page.text

    def test_a_grant_from_a_server_whose_clock_is_a_little_ahead_is_accepted(self, guarded):
        guarded.post("/access", data={"code": self.CODE})
        with guarded.session_transaction() as session:
            session["access"] = session["access"] | {"at": int(time.time()) + 60}
        assert 'name="item_1"' in guarded.get("/").text
        with guarded.session_transaction() as session:
            session["access"] = session["access"] | {"at": int(time.time()) + 3600}
        assert 'name="item_1"' not in guarded.get("/").text

    def test_a_grant_from_before_this_change_is_asked_for_the_code_again(self, guarded):
        with guarded.session_transaction() as session:
            session["access_granted"] = True
        assert 'name="item_1"' not in guarded.get("/").text

    def test_attempts_are_rate_limited(self, guarded):
        statuses = [
            guarded.post("/access", data={"code": f"guess-{n}"}).status_code for n in range(7)
        ]
        assert statuses[:5] == [403] * 5
        assert statuses[5:] == [429, 429]
        blocked = guarded.post("/access", data={"code": self.CODE})
        assert blocked.status_code == 429
        assert "too many attempts" in blocked.text

    def test_code_is_compared_in_constant_time(self, monkeypatch, guarded):
        import screening.web.access

        calls = []
        real = screening.web.access.hmac.compare_digest
        monkeypatch.setattr(
            screening.web.access.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b)
        )
        guarded.post("/access", data={"code": "nope"})
        assert calls == [1]


def test_a_path_with_a_double_slash_is_not_redirected(client):
    response = client.get("/static//style.css", headers={"Host": "evil.example"})
    assert response.status_code == 404 and "Location" not in response.headers


@pytest.mark.parametrize("setting", ["screening.example.org, localhost", ["localhost"]])
def test_trusted_hosts_refuse_any_other_host(tmp_path, monkeypatch, setting):
    client = make_client(tmp_path, monkeypatch, TRUSTED_HOSTS=setting)
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200
    refused = client.get("/static/style.css", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert "<h1>Something was not right</h1>" in refused.text
    assert "evil.example" not in refused.text
    assert refused.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "host", ["LOCALHOST", "LocalHost:8443", "Screening.Example.ORG", "screening.example.org:443"]
)
def test_trusted_hosts_are_compared_without_regard_to_case(tmp_path, monkeypatch, host):
    # Host names are case-insensitive (RFC 9110 4.2.3), and Caddy lets LOCALHOST through: it
    # got a plain-text 400 "Unknown host." from the app, also for a name set in capitals.
    client = make_client(tmp_path, monkeypatch, TRUSTED_HOSTS="Screening.example.org, localhost")
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 200
    assert "<h1>Something was not right</h1>" not in response.text


@pytest.mark.parametrize("access_code", ["", "clinic code"])
def test_an_unknown_host_gets_the_400_page_in_the_persons_language(
    tmp_path, monkeypatch, access_code
):
    # With an access code the guard built its page before the Host was refused, and failed.
    client = make_client(tmp_path, monkeypatch, TRUSTED_HOSTS="localhost", ACCESS_CODE=access_code)
    for path, headers, title in (
        ("/?lang=uk", {}, "Щось пішло не так"),
        ("/intake", {"Accept-Language": "ru"}, "Что-то пошло не так"),
        ("/about", {}, "Щось пішло не так"),  # the lang cookie, below
    ):
        if path == "/about":
            client.set_cookie("lang", "uk", domain="evil.example")
        refused = client.get(path, headers={"Host": "evil.example"} | headers)
        assert refused.status_code == 400 and refused.mimetype == "text/html"
        assert f"<h1>{title}</h1>" in refused.text
        assert refused.headers["Cache-Control"] == "no-store"
        # Its links are the site's own, relative; nothing names the host that was sent.
        assert 'href="/static/style.css' in refused.text and "evil" not in refused.text


def test_trusted_hosts_must_be_names(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        make_client(tmp_path, monkeypatch, TRUSTED_HOSTS=42)


def wrong_codes_from(client, peer: str, forwarded_for: list[str]) -> list[int]:
    return [
        client.post(
            "/intake",
            data={"code": "EPDS-0000-0000-0000-0000"},
            headers={"X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": peer},
        ).status_code
        for address in forwarded_for
    ]


def test_forwarded_headers_count_only_from_the_proxies(tmp_path, monkeypatch):
    client = make_client(
        tmp_path, monkeypatch, TRUSTED_PROXIES="1", INTAKE_RATE_LIMIT="2 per minute"
    )
    spoofed = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    # Through the proxy (loopback by default) each forwarded client has its own count ...
    assert wrong_codes_from(client, "127.0.0.1", spoofed) == [400, 400, 400]
    # ... but a client that reaches the app directly is counted at its own address.
    assert wrong_codes_from(client, "10.9.9.9", spoofed) == [400, 400, 429]


def test_proxy_addresses_take_networks_and_refuse_anything_else(tmp_path, monkeypatch):
    client = make_client(
        tmp_path,
        monkeypatch,
        TRUSTED_PROXIES="1",
        PROXY_ADDRESSES="10.0.0.0/24, ::1",
        INTAKE_RATE_LIMIT="2 per minute",
    )
    assert wrong_codes_from(client, "10.0.0.7", ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [
        400,
        400,
        400,
    ]
    with pytest.raises(ConfigError, match="PROXY_ADDRESSES"):
        make_client(tmp_path, monkeypatch, TRUSTED_PROXIES="1", PROXY_ADDRESSES="the proxy")


@pytest.mark.parametrize(
    ("addresses", "unix_peer_counted_apart"), [("unix", True), ("127.0.0.1, ::1", False)]
)
def test_a_unix_socket_peer_is_the_proxy_only_when_listed(
    tmp_path, monkeypatch, addresses, unix_peer_counted_apart
):
    client = make_client(
        tmp_path,
        monkeypatch,
        TRUSTED_PROXIES="1",
        PROXY_ADDRESSES=addresses,
        INTAKE_RATE_LIMIT="2 per minute",
    )
    spoofed = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    # gunicorn gives a Unix-socket connection no address: with "unix" listed, that is Caddy.
    through_socket = wrong_codes_from(client, "", spoofed)
    assert through_socket == ([400, 400, 400] if unix_peer_counted_apart else [400, 400, 429])
    if addresses == "unix":
        # Loopback is no longer believed: a local process naming any address is one client.
        assert wrong_codes_from(client, "127.0.0.1", spoofed) == [400, 400, 429]


def test_downloads_from_one_address_share_one_limit(tmp_path, monkeypatch):
    client = make_client(tmp_path, monkeypatch, DOCUMENT_RATE_LIMIT="2 per minute")
    code = result_code_form(client.application, {number: 0 for number in range(1, 11)})
    statuses = [
        client.post(path, data=code).status_code
        for path in ("/result.pdf", "/result.fhir.json", "/reminder.ics", "/result.pdf")
    ]
    assert statuses[:2] == [200, 200]
    assert statuses[2:] == [429, 429]
    # Another address is not held back by this one.
    other = client.post("/result.pdf", data=code, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


# No log line holds a full client address: flask-limiter's "ratelimit ... (203.0.113.7)
# exceeded" line named it for every per-address limit (the attack run's t_limit_log.py).

ADDRESSES = ("203.0.113.77", "2001:db8:77:1::77")  # a client's own address, never a network
ONE = "1 per minute"
ONCE = "1 per hour"


def wrong_sign_in(client, address):
    data = {"password": "not the password"}
    return client.post("/staff/sign-in", data=data, environ_base={"REMOTE_ADDR": address})


def call_back(client, address):
    return client.post("/call-back", data=request_form(), environ_base={"REMOTE_ADDR": address})


# Each of the app's limits: its settings, the request that uses it up, and the status past it.
EVERY_LIMIT = {
    "access code": (
        {"ACCESS_CODE": "ASH-2026", "ACCESS_CODE_RATE_LIMIT": ONE},
        lambda client, address: client.post(
            "/access", data={"code": "nope"}, environ_base={"REMOTE_ADDR": address}
        ),
        429,
    ),
    "intake": (
        {"INTAKE_RATE_LIMIT": ONE},
        lambda client, address: client.post(
            "/intake", data={"code": "EPDS-0"}, environ_base={"REMOTE_ADDR": address}
        ),
        429,
    ),
    "staff entry": (
        {"INTAKE_RATE_LIMIT": ONE},
        lambda client, address: client.post(
            "/intake/entry",
            data=answers_form(all_first_options()) | {"mode": "paper", "items_language": "en"},
            environ_base={"REMOTE_ADDR": address},
        ),
        429,
    ),
    "documents": (
        {"DOCUMENT_RATE_LIMIT": ONE},
        lambda client, address: client.post(
            "/reminder.ics",
            data=result_code_form(client.application, all_first_options()),
            environ_base={"REMOTE_ADDR": address},
        ),
        429,
    ),
    "staff sign-in": (
        {"STAFF_PASSWORD_HASH": STAFF_PASSWORD_HASH, "STAFF_SIGN_IN_RATE_LIMIT": ONE},
        wrong_sign_in,
        429,
    ),
    "staff sign-in, every client": (
        {"STAFF_PASSWORD_HASH": STAFF_PASSWORD_HASH, "STAFF_SIGN_IN_GLOBAL_LIMIT": ONCE},
        wrong_sign_in,
        429,
    ),
    "call-back": ({"CALLBACK_RATE_LIMIT": ONE}, call_back, 429),
    "call-back, every client": ({"CALLBACK_GLOBAL_LIMIT": ONCE}, call_back, 503),
}


@pytest.mark.parametrize("limit", EVERY_LIMIT)
def test_no_log_line_holds_a_full_client_address_when_a_limit_refuses(make_app, caplog, limit):
    settings, use, past_it = EVERY_LIMIT[limit]
    caplog.set_level(logging.DEBUG)
    with smtp_server() as mailbox:
        client = make_app(**mail_settings(mailbox.port) | settings).test_client()
        for address in ADDRESSES:
            statuses = [use(client, address).status_code for _ in range(2)]
            assert statuses[-1] == past_it, (limit, address, statuses)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "exceeded at endpoint" in logged  # flask-limiter's line is still there, masked
    for address in ADDRESSES:
        assert address not in logged
    if "every client" not in limit:
        assert "203.0.113.0/24" in logged and "2001:db8:77::/56" in logged


def test_a_librarys_line_through_the_last_resort_handler_is_masked(app, capsys):
    """Under gunicorn a library's warning meets no handler but logging's last resort."""
    library = logging.getLogger("some.library")
    library.propagate = False
    try:
        library.warning("peer %s, then [%s]:443", "198.51.100.23", "2001:db8:5:6::23")
    finally:
        library.propagate = True
    written = capsys.readouterr().err
    assert "peer 198.51.100.0/24, then [2001:db8:5::/56]:443" in written
    assert "198.51.100.23" not in written and "2001:db8:5:6::23" not in written


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("limit (127.5.6.7) exceeded", "limit (127.5.6.0/24) exceeded"),
        ("SMTP 127.0.0.1:45755: refused", "SMTP 127.0.0.0/24:45755: refused"),
        ("from [2001:db8:1:2::9]:443.", "from [2001:db8:1::/56]:443."),
        ("mapped ::ffff:198.51.100.9 here", "mapped 198.51.100.0/24 here"),
        ("scoped fe80::1%eth0", "scoped fe80::/56%eth0"),
        ("host route 2001:db8::1/128", "host route 2001:db8::/56"),
        (
            "already 203.0.113.0/24 and 2001:db8:1::/56",
            "already 203.0.113.0/24 and 2001:db8:1::/56",
        ),
        ("wider 10.0.0.0/8", "wider 10.0.0.0/8"),
        ("for=192.0.2.60;by=::1", "for=192.0.2.0/24;by=::/56"),
        # Not addresses: a clock, a version, a C++ name, a number with four dots.
        ("[2026-12-06 20:51:06,511] gunicorn 27.0.1", "[2026-12-06 20:51:06,511] gunicorn 27.0.1"),
        ("Foo::bar v1.2.3.4 1.2.3.4.5 ::", "Foo::bar v1.2.3.4 1.2.3.4.5 ::"),
    ],
)
def test_every_form_of_an_address_in_a_log_line_is_masked(line, masked):
    assert masked_addresses(line) == masked
