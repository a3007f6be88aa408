"""The W3C Nu HTML Checker (vnu.jar from the vnu-jar npm package, pinned in tools/validators)
over every HTML page that the browser tests' servers sent, in one JVM run for all of them.

``record_pages(app)`` keeps each distinct text/html body an app sends; the last browser test
hands them all to ``nu_errors()``. Errors only: the checker's warnings are advice, and none is
accepted silently, since none is reported (``--errors-only``). The stylesheet is checked in the
same run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from flask import Flask, Response, request

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = PROJECT_ROOT / "tools/validators/node_modules/vnu-jar/build/dist/vnu.jar"
STYLESHEET = PROJECT_ROOT / "screening/web/static/style.css"
TIMEOUT_SECONDS = 300

# sha256 of the body -> (what was asked for, the body), in the order first seen.
SERVED_PAGES: dict[str, tuple[str, bytes]] = {}


def record_pages(app: Flask) -> Flask:
    """Keep every distinct HTML page ``app`` sends (error pages included) for the checker."""

    def record(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.is_streamed:
            body = response.get_data()
            SERVED_PAGES.setdefault(
                hashlib.sha256(body).hexdigest(),
                (f"{request.method} {request.full_path} -> {response.status_code}", body),
            )
        return response

    app.after_request(record)
    return app


def nu_errors(pages: dict[str, bytes], folder: Path) -> list[str]:
    """Every error the Nu checker finds in ``pages`` (name -> HTML) and in the stylesheet, as
    'name:line: message'; one JVM run for all."""
    java = shutil.which("java")
    assert java, "java is not installed: apt-get install default-jre-headless (.ci/run does)"
    assert VNU_JAR.is_file(), f"{VNU_JAR} is missing: run 'make test' (npm ci in tools/validators)"
    names = {}  # the file's absolute path -> the page's name
    for index, (name, body) in enumerate(pages.items()):
        path = folder / f"page-{index:04d}.html"
        path.write_bytes(body)
        names[str(path.resolve())] = name
    names[str(STYLESHEET.resolve())] = "style.css"
    checked = subprocess.run(
        [
            java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
            "--exit-zero-always", "--also-check-css", *names,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stderr or checked.stdout)
    return [
        f"{names.get(checked_path(message), message.get('url'))}:{message.get('lastLine', '?')}: "
        f"{message.get('message')} [{message.get('extract', '').strip()}]"
        for message in report["messages"]
        if message.get("type") != "info"
    ]


def checked_path(message: dict[str, str]) -> str:
    """The file a message is about: the checker writes file:/path, not file:///path."""
    return "/" + message.get("url", "").removeprefix("file:").lstrip("/")
