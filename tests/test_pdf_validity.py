"""Every PDF the app serves, checked by tools this project did not write: qpdf finds no damage,
poppler's pdffonts finds every font embedded (no standard-14 font), and the catalog carries the
title display preference and an XMP metadata stream (issue 23)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from screening.core.instrument_file import load_instrument
from screening.documents.padding import pad_pdf
from screening.web.i18n import LANGUAGES
from tests.helpers import TEST_APP_SETTINGS, built_app, small_pdf
from tools.testkit import answers_form, codes_for_series, hidden_fields

UNFLAGGED = dict.fromkeys(range(1, 10), 1) | {10: 0}
FLAGGED = dict.fromkeys(range(1, 10), 2) | {10: 3}  # answer index 3 on item 10: "Quite often"
STANDARD_14 = re.compile(r"^(Courier|Helvetica|Times|Symbol|ZapfDingbats)", re.MULTILINE)


def tool(name: str) -> str:
    """A validator's path; missing means the suite cannot check, which is a failure (.ci/run
    and the README's package list install it)."""
    path = shutil.which(name)
    assert path, f"{name} is not installed: apt-get install qpdf poppler-utils"
    return path


def qpdf_check(pdf: Path) -> str:
    """qpdf's verdict: exit 0 without warnings means no damage it can detect."""
    checked = subprocess.run(
        [tool("qpdf"), "--check", str(pdf)], capture_output=True, text=True, timeout=30
    )
    output = checked.stdout + checked.stderr
    assert checked.returncode == 0, output
    assert "WARNING" not in output and "damaged" not in output, output
    return output


def font_rows(pdf: Path) -> list[list[str]]:
    listed = subprocess.run(
        [tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return [line.split() for line in listed.splitlines()[2:]]


def show_object(pdf: Path, reference: str, *options: str) -> str:
    return subprocess.run(
        [tool("qpdf"), f"--show-object={reference}", *options, str(pdf)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def catalog_entry(pdf: Path, key: str) -> str:
    """The object number a catalog entry refers to."""
    root = re.search(r"/Root (\d+) 0 R", show_object(pdf, "trailer"))[1]
    return re.search(rf"/{key} (\d+) 0 R", show_object(pdf, root))[1]


def served_pdfs(client: FlaskClient) -> dict[str, bytes]:
    """Every kind of PDF: a result in each language, with and without the safety flag, a
    series of three and the blank paper form in each language."""
    pdfs = {}
    for language in LANGUAGES:
        for name, answers in (("result", UNFLAGGED), ("flagged", FLAGGED)):
            page = client.post(f"/?lang={language}", data=answers_form(answers))
            fields = hidden_fields(page.get_data(as_text=True))
            pdfs[f"{name}-{language}"] = client.post(f"/result.pdf?lang={language}", data=fields)
    first = datetime(2026, 10, 1, 9, tzinfo=UTC)
    codes = codes_for_series(load_instrument(), [UNFLAGGED, FLAGGED, UNFLAGGED], first)
    for language in LANGUAGES:
        pdfs[f"series-{language}"] = client.post(
            f"/intake/series.pdf?lang={language}", data={"code": "\n".join(codes)}
        )
        pdfs[f"blank-{language}"] = client.get(f"/intake/blank-form.pdf?lang={language}")
    for name, response in pdfs.items():
        assert response.status_code == 200 and response.mimetype == "application/pdf", name
    return {name: response.data for name, response in pdfs.items()}


@pytest.fixture(scope="module")
def pdf_files(tmp_path_factory) -> dict[str, Path]:
    """Made once for the module: twelve PDFs, each checked by several tools."""
    folder = tmp_path_factory.mktemp("pdfs")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(folder / "instance"))
        app = built_app(TEST_APP_SETTINGS | {"INTAKE_RATE_LIMIT": "1000 per minute"})
        pdfs = served_pdfs(app.test_client())
    files = {}
    for name, data in pdfs.items():
        files[name] = folder / f"{name}.pdf"
        files[name].write_bytes(data)
    return files


KINDS = [
    f"{kind}-{language}"
    for kind in ("result", "flagged", "series", "blank")
    for language in LANGUAGES
]


@pytest.mark.parametrize("name", KINDS)
def test_qpdf_finds_no_damage(pdf_files, name):
    qpdf_check(pdf_files[name])


@pytest.mark.parametrize("name", KINDS)
def test_every_font_is_embedded_and_none_is_a_standard_14_font(pdf_files, name):
    rows = font_rows(pdf_files[name])
    assert rows, "pdffonts listed no font"
    for row in rows:
        name_, embedded = row[0], row[-5]
        assert embedded == "yes", f"{name_} is not embedded"
        assert not STANDARD_14.match(name_.split("+")[-1]), f"{name_} is a standard-14 font"
    assert {row[0].split("+")[-1] for row in rows} >= {
        "DejaVuSansCondensed",
        "DejaVuSansCondensed-Bold",
    }


@pytest.mark.parametrize("name", ["result-en", "flagged-uk"])
def test_the_result_code_is_printed_in_the_embedded_monospaced_font(pdf_files, name):
    assert "DejaVuSansMono-Bold" in {row[0].split("+")[-1] for row in font_rows(pdf_files[name])}


@pytest.mark.parametrize("name", KINDS)
def test_the_viewer_shows_the_title_and_the_xmp_metadata_says_it_too(pdf_files, name):
    pdf = pdf_files[name]
    preferences = show_object(pdf, catalog_entry(pdf, "ViewerPreferences"))
    assert "/DisplayDocTitle true" in preferences
    xmp = show_object(pdf, catalog_entry(pdf, "Metadata"), "--raw-stream-data")
    info = subprocess.run(
        [tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    title = re.search(r"^Title:\s+(.+)$", info, re.MULTILINE)[1]
    assert f'<rdf:li xml:lang="x-default">{title}</rdf:li>' in xmp
    assert f"<rdf:li>{name.split('-')[1]}</rdf:li>" in xmp  # dc:language


@pytest.mark.parametrize("extra", [*range(9035, 9041), *range(99_037, 99_043)])
def test_padding_keeps_the_file_valid_when_the_offset_gains_digits(tmp_path, extra):
    """Padding sits before the cross-reference section and moves startxref past it; the length
    is exact around the lengths where the moved offset (963 unpadded) needs more digits."""
    body = small_pdf()
    length = len(body) + extra
    padded = pad_pdf(body, length)
    assert len(padded) == length
    assert padded.endswith(b"%%EOF\n") and padded.count(b"%%EOF") == 1
    path = tmp_path / "padded.pdf"
    path.write_bytes(padded)
    qpdf_check(path)
