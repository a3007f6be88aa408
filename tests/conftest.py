"""Shared fixtures: the EPDS instrument, an app with test settings and its client. Plain helpers
are in helpers.py; the browser fixtures are in browser/conftest.py, for the browser tests only.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from screening import create_app
from screening.core.instrument import Instrument
from screening.core.instrument_file import load_instrument
from tests.helpers import TEST_APP_SETTINGS
from tools.testkit import STAFF_PASSWORD_HASH

CATALOGUES = Path(__file__).resolve().parent.parent / "screening" / "translations"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once when a catalogue is not compiled or changed since: every i18n test and many
    view tests would otherwise fail far from the cause."""
    stale = [
        po.parent.parent.name
        for po in sorted(CATALOGUES.glob("*/LC_MESSAGES/messages.po"))
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        pytest.exit(
            f"Catalogues not compiled or older than their .po ({', '.join(stale)}): "
            "run 'make translations'.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


@pytest.fixture(autouse=True)
def staff_password_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production apps and servers started from the environment (and gunicorn, which inherits
    it) need a staff password; test_staff.py removes it to see start-up refuse."""
    monkeypatch.setenv("SCREENING_STAFF_PASSWORD_HASH", STAFF_PASSWORD_HASH)


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the checkout, once per session."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(folder), "."],
        cwd=CATALOGUES.parents[1],
        check=True,
        timeout=300,
    )
    (wheel,) = folder.glob("screening-*.whl")
    return wheel


@pytest.fixture(scope="session")
def saved_budgets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the response budgets of the session's gunicorn servers and stacks
    (CACHE_DIRECTORY, as systemd gives a deployment): each master after the first with the same
    code and settings reads them back, as a restarted instance does, instead of measuring for
    seconds (about 9 s of CPU) before it listens."""
    return tmp_path_factory.mktemp("budgets")


@pytest.fixture(scope="session")
def epds() -> Instrument:
    return load_instrument()


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Flask]:
    """Builds apps served over plain HTTP, with CSRF off so view tests can post plain forms, an
    instance folder of their own (tmp_path / "instance") and any further settings given.

    Each response budget is measured when a response first needs it: the suite builds apps of
    some 40 sets of settings, and measuring all of them at start was most of its time. Tests of
    start-up itself use make_started_app, which measures everything as gunicorn's master does.
    test_csrf.py and test_security.py turn CSRF and HTTPS back on where they test them.
    """
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "instance"))

    def make(**settings: object) -> Flask:
        return create_app(TEST_APP_SETTINGS | settings, budgets_on_first_use=True)

    return make


@pytest.fixture
def make_started_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Flask]:
    """make_app, with every response budget measured at start-up, as in production."""
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path / "instance"))

    def make(**settings: object) -> Flask:
        return create_app(TEST_APP_SETTINGS | settings)

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
