"""Caddy's own error pages, in the app's words: ``python -m tools.caddy_error_pages DIRECTORY``.

Caddy answers some requests itself, before or instead of an instance: a method other than
GET, HEAD and POST (405), an address longer than any of this site's (414), a body slower than
its read timeout (408), larger than its limit (413) or with broken chunked framing (400), a
host it does not serve (421), an instance that does not answer (502, 503, 504). Those answers
are the app's own error page (templates/errors.html, the wording of screening/web/error_pages.py)
in each interface language, rendered here ahead of time as ``<status>.<language>.html`` and
served by deploy/Caddyfile's ``handle_errors`` from the folder in ``ERROR_PAGES``.

Run it with the instances' settings (clinic name, phone, permission), after every change to
them or to the app: ``make serve`` and the stack tests do; deploy/systemd's caddy drop-in does
before Caddy starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask

from screening import create_app
from screening.web.error_pages import error_page
from screening.web.i18n import LANGUAGES

# Each status Caddy may answer with itself, and the app's wording it gets.
WORDING_FOR_STATUS = {
    400: 400,
    404: 404,  # a method other than GET, HEAD and POST, at an address the app does not have
    405: 405,  # a method other than GET, HEAD and POST, at one of the app's addresses
    408: 408,
    413: 413,
    414: 414,  # an address longer than any of this site's (deploy/Caddyfile's @uri_too_long)
    421: 404,  # a host this site does not serve: "There is no page at this address."
    431: 400,  # headers too large, the same
    500: 500,
    502: 503,  # an instance that does not answer: "Not available just now"
    503: 503,
    504: 503,
}


def render_pages(directory: Path, app: Flask | None = None) -> list[Path]:
    """Write every page of ``app`` (default: the app of this environment's settings) into
    ``directory``; the paths written."""
    app = app or create_app()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for language in LANGUAGES:
        for status, wording in WORDING_FOR_STATUS.items():
            with app.test_request_context("/", headers={"Accept-Language": language}):
                page = directory / f"{status}.{language}.html"
                page.write_text(error_page(wording), encoding="utf-8")
                written.append(page)
    return written


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    written = render_pages(Path(arguments[0]))
    print(f"{len(written)} error pages written to {arguments[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
