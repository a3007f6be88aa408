"""The install path the README documents for production (pip install of the package, not
editable): a wheel built from the checkout, installed into a fresh virtual environment outside
it, run from another folder, serves the questionnaire, a result, its PDF and FHIR export, an
intake restore, a series PDF and a static file, and gunicorn serves it too (issue 23: it once
had no templates). pip fetches the pinned dependencies from PyPI (or its cache)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tools.servers import PROJECT_ROOT, gunicorn_server
from tools.testkit import STAFF_PASSWORD_HASH

pytestmark = pytest.mark.server
INSTALL_TIMEOUT_SECONDS = 600
# What wheel_smoke.py imports besides the installed package: the test helpers and the testkit.
HELPERS = (
    "tests/__init__.py",
    "tests/helpers.py",
    "tests/wheel_smoke.py",
    "tools/__init__.py",
    "tools/testkit.py",
)


@pytest.fixture(scope="module")
def installed(built_wheel: Path, tmp_path_factory) -> Path:
    """A fresh virtual environment (no system site-packages) with the wheel and its pinned
    dependencies; its Python."""
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    installing = subprocess.run(
        [
            str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--constraint", str(PROJECT_ROOT / "constraints.txt"), f"{built_wheel}[redis]",
        ],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )  # fmt: skip
    assert installing.returncode == 0, f"pip could not install the wheel:\n{installing.stderr}"
    return python


def test_the_wheel_carries_every_file_the_app_reads(built_wheel):
    names = set(zipfile.ZipFile(built_wheel).namelist())
    packaged = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for folder in (
            "web/templates",
            "web/static",
            "documents/fonts",
            "core/instruments",
            "core/schemas",
            "translations",
        )
        for path in (PROJECT_ROOT / "screening" / folder).rglob("*")
        if path.is_file() and path.suffix != ".pot"
    ]
    assert packaged and not [name for name in packaged if name not in names]


def test_the_installed_wheel_serves_every_kind_of_page_from_elsewhere(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    for helper in HELPERS:
        (elsewhere / helper).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / helper, elsewhere / helper)
    env = {
        "PATH": os.environ["PATH"],
        "SCREENING_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    # -E -s: no PYTHONPATH, no user site; the folder itself is on the path for the copied
    # helpers, and nothing there is called screening.
    run = subprocess.run(
        [str(installed), "-E", "-s", "-m", "tests.wheel_smoke"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert Path(report["screening"]).is_relative_to(installed.parent.parent)
    assert not Path(report["screening"]).is_relative_to(PROJECT_ROOT)
    expected = {
        "questionnaire": "text/html",
        "result": "text/html",
        "pdf": "application/pdf",
        "fhir": "application/fhir+json",
        "intake restore": "text/html",
        "series pdf": "application/pdf",
        "static": "text/css",
        "about": "text/html",
    }
    for name, mimetype in expected.items():
        status, served_type, length = report["responses"][name]
        assert (status, served_type) == (200, mimetype), name
        assert length > 0, name
    assert report["responses"]["not found"][0] == 404
    assert report["restored total"] and report["pdf starts"] == "%PDF-"


def test_the_installed_wheel_keeps_its_instance_folder_outside_site_packages(installed, tmp_path):
    """Without SCREENING_INSTANCE_PATH an installed app keeps its instance folder (settings,
    licensed translations, the size budgets) in the environment's var/, where an upgrade of the
    package does not delete it, never inside site-packages."""
    env = {
        "PATH": os.environ["PATH"],
        "SCREENING_SECRET_KEY": "wheel-install-test-secret-key-0123456789abcdef",
        "SCREENING_EPDS_PERMISSION": "test permission",
        "SCREENING_STAFF_PASSWORD_HASH": STAFF_PASSWORD_HASH,
    }
    run = subprocess.run(
        [
            str(installed),
            "-E",
            "-s",
            "-c",
            "import screening; print(screening.create_app().instance_path)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    environment = installed.parent.parent
    instance = Path(run.stdout.strip().splitlines()[-1])
    assert instance == environment / "var" / "screening-instance"
    assert "site-packages" not in instance.parts


def test_gunicorn_from_the_installed_wheel_serves_a_page_and_a_static_file(installed, tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "SCREENING_INSTANCE_PATH": str(tmp_path / "instance"),
        "SCREENING_SECRET_KEY": "wheel-install-test-secret-key-0123456789abcdef",
        "SCREENING_EPDS_PERMISSION": "test permission",
        "SCREENING_STAFF_PASSWORD_HASH": STAFF_PASSWORD_HASH,
    }
    with gunicorn_server(
        env, python=str(installed), app="screening:create_app()", cwd=tmp_path, inherit_env=False
    ) as server:
        with urllib.request.urlopen(f"{server.url}/?lang=uk", timeout=10) as response:
            assert response.status == 200 and "<form" in response.read().decode()
        with urllib.request.urlopen(f"{server.url}/static/style.css", timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/css")
