"""Page weight in Chromium: bytes and requests for the questionnaire and the result page with all
their assets, requests to other hosts, and what gzip would save."""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

from playwright.sync_api import Response, sync_playwright

from benchmarks.figures import Figure
from tools.testkit import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

BUDGET_BYTES = 30 * 1024
MAX_REQUESTS = 2


def page_figures(name: str, responses: list[Response], host: str) -> list[Figure]:
    bodies = [response.body() for response in responses]
    total = sum(map(len, bodies))
    compressed = sum(len(gzip.compress(body)) for body in bodies)
    foreign = sum(1 for response in responses if urlsplit(response.url).netloc != host)
    return [
        Figure(f"{name}: bytes with assets", total / 1024, "KB", "<= 30 KB", total <= BUDGET_BYTES),
        Figure(f"{name}: bytes if gzipped", compressed / 1024, "KB", "", None),
        Figure(
            f"{name}: requests",
            len(responses),
            "",
            f"<= {MAX_REQUESTS}",
            len(responses) <= MAX_REQUESTS,
        ),
        Figure(f"{name}: requests to other hosts", foreign, "", "0", foreign == 0),
    ]


def figures() -> list[Figure]:
    with serve_in_thread({}) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
        # Routing turns Chromium's cache off, so the result page's assets count in full.
        page.route("**/*", lambda route: route.continue_())
        responses: list[Response] = []
        page.on("response", lambda response: responses.append(response))
        host = urlsplit(base_url).netloc
        page.goto(base_url, wait_until="networkidle")
        rows = page_figures("questionnaire", responses, host)
        responses.clear()
        for item in range(1, 11):
            page.locator(f"label[for=item_{item}-1]").click()
        page.get_by_role("button", name="See my result").click()
        page.wait_for_load_state("networkidle")
        rows += page_figures("result page", responses, host)
        browser.close()
    return rows
