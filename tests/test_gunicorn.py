"""The app under gunicorn: CSRF tokens issued by one process validate on another."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tools.servers import PROJECT_ROOT, gunicorn_server
from tools.testkit import all_first_options, answers_form, hidden_fields

pytestmark = pytest.mark.server
SHARED_SECRET = "gunicorn-test-secret"


@pytest.fixture
def server_env(tmp_path, saved_budgets) -> dict[str, str]:
    # Plain HTTP on loopback: the Secure cookie flag would stop urllib sending the session back.
    return {
        "SCREENING_SECRET_KEY": SHARED_SECRET,
        "SCREENING_EPDS_PERMISSION": "gunicorn-test permission",
        "SCREENING_HTTPS": "0",
        "SCREENING_INSTANCE_PATH": str(tmp_path / "instance"),
        "CACHE_DIRECTORY": str(saved_budgets),
    }


def browser_like_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def screen_once(get_from: str, post_to: str) -> tuple[int, str]:
    """GET the questionnaire from one server, POST complete answers to another."""
    opener = browser_like_opener()
    with opener.open(f"{get_from}/") as page:
        token = hidden_fields(page.read().decode())["csrf_token"]
    body = urllib.parse.urlencode(answers_form(all_first_options()) | {"csrf_token": token})
    try:
        with opener.open(f"{post_to}/", data=body.encode()) as result:
            return result.status, result.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_csrf_token_from_one_instance_is_accepted_by_another(server_env):
    with gunicorn_server(server_env) as first, gunicorn_server(server_env) as second:
        status, page = screen_once(get_from=first.url, post_to=second.url)
    assert status == 200
    assert re.search(r'id="total-score">21<', page)


def test_a_different_secret_is_refused_across_instances(server_env):
    other_env = server_env | {"SCREENING_SECRET_KEY": "another-secret"}
    with gunicorn_server(server_env) as first, gunicorn_server(other_env) as second:
        status, page = screen_once(get_from=first.url, post_to=second.url)
    assert status == 400
    assert "could not be sent safely" in page


def test_two_workers_serve_many_screenings_without_a_csrf_failure(server_env):
    with gunicorn_server(server_env, workers=2) as server:
        statuses = [screen_once(server.url, server.url)[0] for _ in range(20)]
    assert statuses == [200] * 20


def test_production_start_without_secret_key_fails_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env["SCREENING_INSTANCE_PATH"] = str(tmp_path / "instance")
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "SECRET_KEY is not set" in started.stderr


def raw_request(base_url: str, head: str, body_chunks: list[bytes] = ()) -> tuple[int, str]:
    """Send one request as bytes on a fresh loopback connection; the status and the headers."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head.encode() + b"\r\n")
        for chunk in body_chunks:
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if body_chunks:
            connection.sendall(b"0\r\n\r\n")
        response = b""
        while part := connection.recv(65536):
            response += part
    head_lines = response.split(b"\r\n\r\n")[0].decode("latin-1").splitlines()
    return int(head_lines[0].split()[1]), "\n".join(head_lines[1:])


def chunked_post(base_url: str, cookie: str, body: bytes) -> int:
    head = (
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n"
    )
    return raw_request(base_url, head, [body[i : i + 4000] for i in range(0, len(body), 4000)])[0]


def test_chunked_bodies_are_read_whole_and_refused_over_the_limit(server_env):
    with gunicorn_server(server_env, workers=2) as server:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{server.url}/") as page:
            token = hidden_fields(page.read().decode())["csrf_token"]
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        answers = answers_form(all_first_options()) | {"csrf_token": token}
        body = urllib.parse.urlencode(answers).encode()
        assert chunked_post(server.url, cookie, body) == 200
        # 16 KB is the default limit: one byte under it is read whole, one byte over is a 413.
        for size, status in ((16 * 1024, 200), (16 * 1024 + 1, 413), (100_000, 413)):
            padded = body + b"&padding=" + b"x" * (size - len(body) - len(b"&padding="))
            assert len(padded) == size
            assert chunked_post(server.url, cookie, padded) == status, size
        malformed_chunk = b"zz\r\nitem_1=0\r\n0\r\n\r\n"
        head = (
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        assert raw_request(server.url, head + malformed_chunk.decode())[0] == 400


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_a_foreign_host_is_never_redirected_to(server_env, trusted):
    with gunicorn_server(server_env | {"SCREENING_TRUSTED_HOSTS": trusted}) as server:
        for path in ("/static//style.css", "//static/style.css", "/static/", "/about/"):
            head = f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n"
            status, headers = raw_request(server.url, head)
            assert status in {400, 404} or (status == 200 and not trusted), (path, status)
            assert "location:" not in headers.lower(), path


# The attack run's path: a percent-encoded line break and a whole forged access-log line.
FORGED_PATH = "/abc%0a127.0.0.1%20-%20%5B01/Jan/2026%5D%20%22GET%20/result.pdf%22%20200%0d%0a"


def test_a_line_break_in_the_path_cannot_forge_an_access_log_line(server_env, tmp_path):
    """gunicorn decodes the path before the access log writes it, so %0A ended the line and the
    rest, a fake "127.0.0.1 ... GET /result.pdf 200", stood as a line of its own."""
    access_log = tmp_path / "access.log"
    conf = str(PROJECT_ROOT / "deploy" / "gunicorn.conf.py")
    with gunicorn_server(
        server_env, extra_args=("-c", conf, "--access-logfile", str(access_log))
    ) as server:
        head = f"GET {FORGED_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        assert raw_request(server.url, head)[0] == 404
        # gunicorn writes the line after the response has gone: wait for it, briefly.
        deadline = time.monotonic() + 5
        while "/abc" not in access_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    lines = access_log.read_text().splitlines()
    forged = [line for line in lines if "/abc" in line]
    assert len(forged) == 1 and forged[0].startswith("127.0.0.0 [")
    assert forged[0].endswith(
        r'"GET /abc\n127.0.0.1 - [01/Jan/2026] \"GET /result.pdf\" 200\r\n" 404'
    )
    assert not any(line.startswith("127.0.0.1") for line in lines)
