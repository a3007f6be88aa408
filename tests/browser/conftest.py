"""Browser fixtures: Debian's headless Chromium through Playwright and the app served on
loopback for it. Only the browser tests in this folder import Playwright.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.html_checker import record_pages
from tools.testkit import CHROMIUM, CHROMIUM_ARGS, serve_in_thread


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Nu HTML checker's test last, so it checks every page the other tests were sent."""
    items.sort(key=lambda item: item.module.__name__.endswith(".test_html_validity"))


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    with serve_in_thread({}, prepare=record_pages) as url:
        yield url


@pytest.fixture(scope="session")
def access_code_server() -> Iterator[str]:
    with serve_in_thread({"ACCESS_CODE": "MAPLE-2026"}, prepare=record_pages) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium. A browser that cannot start fails the test, never skips it."""
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as error:
            pytest.fail(
                f"Chromium could not start from {CHROMIUM}: {error}. "
                "Install it with 'apt-get install chromium' (.ci/run does this).",
                pytrace=False,
            )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
    yield context.new_page()
    context.close()
