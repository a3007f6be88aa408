"""The production stack as a browser sees it: Chromium completes a screening over HTTPS.

The stack (Caddy with ``tls internal``, two gunicorn instances, Redis) runs on free loopback
ports; Playwright ignores the local CA, as a person accepting the warning once would.
"""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from tests.stack_clients import stack_fixture  # noqa: F401 (the stack fixture)

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_a_browser_screens_over_https_with_secure_cookies_hsts_and_no_compression(
    stack, browser, tmp_path
):
    context = browser.new_context(ignore_https_errors=True, accept_downloads=True)
    page = context.new_page()
    response = page.goto(f"{stack.url}/")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    for number in range(1, 11):
        page.locator(f"#question-{number} input").first.check()
    page.get_by_role("button", name="See my result").click()
    assert page.locator("#total-score").inner_text() == "21"
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    cookies = context.cookies()
    assert cookies and all(cookie["secure"] for cookie in cookies)
    context.close()

    plain = http.client.HTTPConnection("localhost", stack.ports.http, timeout=10)
    try:
        plain.request("GET", "/about?x=1")
        with plain.getresponse() as redirect:
            redirect.read()
    finally:
        plain.close()
    assert redirect.status in {301, 308}
    assert redirect.headers["Location"] == f"{stack.url}/about?x=1"
