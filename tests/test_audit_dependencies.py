"""The dependency audit (make audit-deps): verdicts from a fake PyPI JSON API, no network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.version import Version

from tests.conftest import serving
from tools.audit_dependencies import (
    AuditError,
    Pin,
    audit,
    fetch_json,
    main,
    read_pins,
    report,
)

INDEX = "https://index.test"
PYTHON = Version("3.11.7")
CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"

ADVISORY = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001"],
    "fixed_in": ["2.0.1"],
    "summary": "Remote code execution\n in the widget parser.",
    "link": "https://osv.dev/vulnerability/PYSEC-2099-1",
    "withdrawn": None,
}


def release_files(requires_python: str | None = ">=3.9", yanked: bool = False) -> list[dict]:
    return [{"filename": "x.whl", "requires_python": requires_python, "yanked": yanked}]


def project(newest: str, releases: dict[str, list[dict]], vulnerabilities: list) -> dict:
    return {"info": {"version": newest}, "releases": releases, "vulnerabilities": vulnerabilities}


class FakeIndex:
    """PyPI's JSON API as a dict of URL -> record; records not in it are 404."""

    def __init__(self, records: dict[str, dict]) -> None:
        self.records = records
        self.asked: list[str] = []

    def __call__(self, url: str) -> dict | None:
        self.asked.append(url)
        return self.records.get(url)


def run(pins: list[Pin], records: dict[str, dict], strict: bool = False) -> tuple[str, int]:
    return report(audit(pins, FakeIndex(records), PYTHON, INDEX), "constraints.txt", strict)


def test_the_lock_pins_every_package_exactly() -> None:
    pins = read_pins(CONSTRAINTS.read_text(encoding="utf-8"))
    names = {pin.name.lower() for pin in pins}
    assert {"flask", "wtforms", "flask-wtf", "reportlab", "werkzeug", "jinja2"} <= names


@pytest.mark.parametrize("line", ["flask>=3.1", "flask", "flask==", "==3.1.3", "flask==banana"])
def test_a_loose_pin_is_refused_with_its_line_number(line: str) -> None:
    with pytest.raises(AuditError, match=r"line 2: .* is not an exact pin"):
        read_pins(f"# comment\n{line}\n")


def test_clean_release_records_pass() -> None:
    records = {f"{INDEX}/pypi/flask-wtf/1.3.0/json": {"vulnerabilities": []}}
    text, status = run([Pin("Flask_WTF", "1.3.0")], records)
    assert status == 0
    assert "1 checked against the record of the pinned release itself" in text
    assert text.endswith("No known vulnerability.")


def test_an_advisory_on_the_pinned_release_fails_and_names_the_fix() -> None:
    records = {f"{INDEX}/pypi/widget/2.0.0/json": {"vulnerabilities": [ADVISORY]}}
    text, status = run([Pin("widget", "2.0.0")], records)
    assert status == 1
    assert (
        "widget 2.0.0: PYSEC-2099-1, CVE-2099-0001; fixed in 2.0.1; "
        "Remote code execution in the widget parser. https://osv.dev/vulnerability/PYSEC-2099-1"
    ) in text
    assert "No known vulnerability" not in text


def test_a_withdrawn_advisory_is_ignored() -> None:
    withdrawn = {**ADVISORY, "withdrawn": "2099-02-01T00:00:00Z"}
    records = {f"{INDEX}/pypi/widget/2.0.0/json": {"vulnerabilities": [withdrawn]}}
    assert run([Pin("widget", "2.0.0")], records)[1] == 0


def test_without_release_records_the_newest_release_record_is_used_for_a_newest_pin() -> None:
    releases = {"1.0": release_files(), "2.0.0": release_files()}
    index = FakeIndex({f"{INDEX}/pypi/widget/json": project("2.0.0", releases, [ADVISORY])})
    text, status = report(audit([Pin("widget", "2.0.0")], index, PYTHON, INDEX), "c.txt")
    assert index.asked == [f"{INDEX}/pypi/widget/2.0.0/json", f"{INDEX}/pypi/widget/json"]
    assert status == 1
    assert "PYSEC-2099-1" in text


def test_an_older_pin_when_a_newer_release_runs_here_asks_for_a_re_pin() -> None:
    releases = {"1.0": release_files(), "2.0.0": release_files()}
    records = {f"{INDEX}/pypi/widget/json": project("2.0.0", releases, [])}
    text, status = run([Pin("widget", "1.0")], records)
    assert status == 0
    assert "widget 1.0: older than a release that runs here (re-pin with 'make lock')" in text
    assert "1 checked in part" in text
    strict_text, strict_status = run([Pin("widget", "1.0")], records, strict=True)
    assert strict_status == 2
    assert "no verdict" in strict_text


def test_an_older_pin_that_is_the_newest_for_this_python_is_checked_in_part() -> None:
    releases = {
        "1.3.1": release_files("!=3.0.*,>=2.7"),
        "1.4.0": release_files(yanked=True),
        "3.0.0rc1": release_files(),
        "3.0.1": release_files(">=3.12"),
    }
    records = {f"{INDEX}/pypi/deprecated/json": project("3.0.1", releases, [])}
    text, status = run([Pin("Deprecated", "1.3.1")], records)
    assert status == 0
    assert "1 checked in part" in text
    assert "Deprecated 1.3.1: the newest release this Python can install" in text
    assert run([Pin("Deprecated", "1.3.1")], records, strict=True)[1] == 2


def test_an_advisory_still_open_in_the_newest_release_counts_against_an_older_pin() -> None:
    releases = {"1.3.1": release_files(), "3.0.1": release_files(">=3.12")}
    records = {f"{INDEX}/pypi/widget/json": project("3.0.1", releases, [ADVISORY])}
    assert run([Pin("widget", "1.3.1")], records)[1] == 1


@pytest.mark.parametrize(
    ("records", "problem"),
    [
        ({}, "not on https://index.test, so it cannot be audited"),
        (
            {f"{INDEX}/pypi/widget/json": project("2.0.0", {"2.0.0": release_files()}, [])},
            "9.9 is not a release of widget",
        ),
        ({f"{INDEX}/pypi/widget/json": {"info": {}}}, "unexpected record"),
        ({f"{INDEX}/pypi/widget/9.9/json": {"vulnerabilities": ["PYSEC-1"]}}, "unexpected record"),
        ({f"{INDEX}/pypi/widget/json": {"releases": ["9.9"]}}, "unexpected record"),
        ({f"{INDEX}/pypi/widget/9.9/json": {}}, "unexpected record"),
        ({f"{INDEX}/pypi/widget/9.9/json": {"vulnerabilities": None}}, "unexpected record"),
        (
            {f"{INDEX}/pypi/widget/9.9/json": {"vulnerabilities": [{**ADVISORY, "aliases": "X"}]}},
            "unexpected record",
        ),
    ],
)
def test_a_pin_that_cannot_be_audited_gives_no_verdict(records: dict, problem: str) -> None:
    text, status = run([Pin("widget", "9.9")], records)
    assert status == 2
    assert problem in text
    assert "No known vulnerability" not in text


def test_an_unreachable_index_gives_no_verdict() -> None:
    def unreachable(url: str) -> dict | None:
        raise AuditError(f"could not reach {url}: connection refused")

    text, status = report(audit([Pin("flask", "3.1.3")], unreachable, PYTHON, INDEX), "c.txt")
    assert status == 2
    assert "could not reach https://index.test/pypi/flask/3.1.3/json" in text


LOCAL_ANSWERS = {
    "/pypi/flask/3.1.3/json": (200, json.dumps({"vulnerabilities": []})),
    "/pypi/widget/2.0.0/json": (200, json.dumps({"vulnerabilities": [ADVISORY]})),
    "/pypi/broken/1.0/json": (500, "oops"),
    "/pypi/garbled/1.0/json": (200, "<html>"),
    "/pypi/listed/1.0/json": (200, "[]"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = LOCAL_ANSWERS.get(self.path, (404, "not found"))
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_index() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as url:
        yield url


def test_fetch_reads_records_and_treats_404_as_missing(local_index: str) -> None:
    assert fetch_json(f"{local_index}/pypi/flask/3.1.3/json") == {"vulnerabilities": []}
    assert fetch_json(f"{local_index}/pypi/nothing/json") is None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/pypi/broken/1.0/json", "answered 500"),
        ("/pypi/garbled/1.0/json", "did not answer with JSON"),
        ("/pypi/listed/1.0/json", "did not answer with a JSON object"),
    ],
)
def test_fetch_refuses_what_is_not_a_record(local_index: str, path: str, message: str) -> None:
    with pytest.raises(AuditError, match=message):
        fetch_json(f"{local_index}{path}")


def test_fetch_says_when_the_index_is_unreachable(local_index: str) -> None:
    closed = local_index.rsplit(":", 1)[0] + ":9"
    with pytest.raises(AuditError, match="could not reach"):
        fetch_json(f"{closed}/pypi/flask/json")


def test_the_command_reads_a_constraints_file_and_sets_the_exit_status(
    local_index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# pinned\nFlask==3.1.3\n", encoding="utf-8")
    assert main([str(constraints), "--index", local_index]) == 0
    assert "No known vulnerability." in capsys.readouterr().out

    constraints.write_text("Flask==3.1.3\nwidget==2.0.0\n", encoding="utf-8")
    assert main([str(constraints), "--index", f"{local_index}/"]) == 1
    assert "widget 2.0.0: PYSEC-2099-1" in capsys.readouterr().out

    constraints.write_text("flask>=3\n", encoding="utf-8")
    assert main([str(constraints), "--index", local_index]) == 2
    assert "line 1: 'flask>=3' is not an exact pin" in capsys.readouterr().err
