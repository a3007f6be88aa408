"""Catalogues that keep up with the code and are compiled on every install path: every string
in the code is in every catalogue, committed .mo files match their .po sources, inside a built
wheel, and a clear stop at start-up when one is missing anyway."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

from screening.core.clinic import ConfigError
from screening.web.i18n import (
    LANGUAGES,
    catalogue_source,
    check_catalogues,
    check_translated,
    compiled_catalogue,
    untranslated,
)
from tools.servers import PROJECT_ROOT

CATALOGUES = PROJECT_ROOT / "screening" / "translations"
TRANSLATED = [language for language in LANGUAGES if language != "en"]


def messages(catalogue) -> dict[object, object]:
    """id -> translation; a message with a plural as (singular, plural) -> its forms, which the
    .po reader gives as tuples and the .mo reader as lists."""
    return {
        as_key(message.id): as_key(message.string)
        for message in catalogue
        if message.id and message.string
    }


@pytest.fixture(scope="module")
def strings_in_the_code(tmp_path_factory) -> set[str]:
    """Every string the code marks for translation, as `make messages` extracts it (once for
    every language: the extraction reads every template and module)."""
    pot = tmp_path_factory.mktemp("extracted") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "N_", "-k", "NP_:1,2", "-o", str(pot), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as file:
        return {message.id for message in read_po(file) if message.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_every_string_in_the_code(strings_in_the_code, language):
    """A string added to a template or module without `make messages` fails here."""
    with catalogue_source(CATALOGUES, language).open("rb") as file:
        in_catalogue = {message.id for message in read_po(file) if message.id}
    assert strings_in_the_code - in_catalogue == set(), (
        "run 'make messages' (extracts these into messages.pot and every .po), translate them, "
        "then 'make translations'"
    )


def as_key(text: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return text if isinstance(text, str) else tuple(text)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_compiled_catalogue_matches_its_source(language):
    """pip install . and -e . use the committed .mo files: they must say what the .po says."""
    source = catalogue_source(CATALOGUES, language)
    # First what compiling cannot fix: pybabel writes an untranslated plural as English.
    missing = untranslated(source, source.stat().st_mtime)
    assert not missing, f"translate these in {source} (make translations cannot): {missing}"
    with source.open("rb") as po, compiled_catalogue(CATALOGUES, language).open("rb") as mo:
        expected, compiled = messages(read_po(po)), messages(read_mo(mo))
    assert compiled == expected, "run 'make translations' and commit the .mo files"


def test_a_language_with_an_untranslated_string_stops_start_up(tmp_path):
    """A half-translated language would serve English under lang="uk", crisis tiers included."""
    shutil.copytree(CATALOGUES, tmp_path / "translations")
    source = catalogue_source(tmp_path / "translations", "uk")
    with source.open("rb") as file:
        catalogue = read_po(file)
    crisis = next(m for m in catalogue if m.id == "Please talk to someone now")
    crisis.string = ""
    plural = next(m for m in catalogue if m.pluralizable)
    plural.string = ("", "", "")
    with source.open("wb") as file:
        write_po(file, catalogue)
    with pytest.raises(ConfigError, match=r"uk: 2 untranslated.*Please talk to someone now"):
        check_translated(tmp_path / "translations")
    check_translated(CATALOGUES)  # the committed catalogues are whole


def test_a_missing_compiled_catalogue_stops_start_up_with_a_clear_message(tmp_path):
    shutil.copytree(CATALOGUES, tmp_path / "translations")
    compiled_catalogue(tmp_path / "translations", "ru").unlink()
    with pytest.raises(ConfigError, match=r"missing for ru .*pybabel compile"):
        check_catalogues(tmp_path / "translations")


def test_a_built_wheel_carries_every_compiled_catalogue(built_wheel):
    names = zipfile.ZipFile(built_wheel).namelist()
    for language in TRANSLATED:
        assert f"screening/translations/{language}/LC_MESSAGES/messages.mo" in names
