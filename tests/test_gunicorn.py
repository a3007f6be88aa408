"""The app under gunicorn: CSRF tokens issued by one process validate on another."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from tests.helpers import all_first_options, answers_form, hidden_fields
from tests.servers import PROJECT_ROOT, gunicorn_server

pytestmark = pytest.mark.server
SHARED_SECRET = "gunicorn-test-secret"


@pytest.fixture
def server_env(tmp_path) -> dict[str, str]:
    # Plain HTTP on loopback: the Secure cookie flag would stop urllib sending the session back.
    return {
        "SCREENING_SECRET_KEY": SHARED_SECRET,
        "SCREENING_EPDS_PERMISSION": "gunicorn-test permission",
        "SCREENING_HTTPS": "0",
        "SCREENING_INSTANCE_PATH": str(tmp_path / "instance"),
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
