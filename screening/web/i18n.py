"""Interface languages: which one a request gets, and remembering a person's choice.

The order of preference: a language chosen just now (``lang`` in the query string, or posted by
the language switch), then the ``lang`` cookie from an earlier choice, then the browser's
Accept-Language, then English. The cookie holds only the language code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from screening.core.clinic import ConfigError
from screening.web.state import current_settings

LANGUAGES = {"en": "English", "uk": "Українська", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
SWITCH_ENDPOINT = "screening.switch_language"


def chosen_language() -> str | None:
    """A language asked for by this request itself, if any."""
    try:
        source = request.form if request.endpoint == SWITCH_ENDPOINT else request.args
        chosen = source.get("lang")
    except HTTPException:  # a body too large or malformed to read: its error page decides
        return None
    return chosen if chosen in LANGUAGES else None


def select_locale() -> str:
    remembered = request.cookies.get(COOKIE)
    return (
        chosen_language()
        or (remembered if remembered in LANGUAGES else None)
        or request.accept_languages.best_match(list(LANGUAGES))
        or DEFAULT_LANGUAGE
    )


def remember_language(response: Response) -> Response:
    chosen = chosen_language() if request.endpoint else None
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_settings().server.https,
        )
    return response


def compiled_catalogue(directory: Path, language: str) -> Path:
    return directory / language / "LC_MESSAGES" / "messages.mo"


@cache
def catalogue_words(directory: Path, language: str) -> str:
    """Every word a page or document can take from the catalogues in ``language``: the English
    of every entry and the language's own translations."""
    words: list[str] = []
    for each in LANGUAGES:
        file = compiled_catalogue(directory, each)
        if each == DEFAULT_LANGUAGE or not file.is_file():
            continue
        with file.open("rb") as catalogue:
            for message in read_mo(catalogue):
                texts = [message.id, message.string] if each == language else [message.id]
                words += [text for entry in texts for text in _texts(entry)]
    return "\n".join(words)


def _texts(entry: object) -> tuple[str, ...]:
    """A catalogue entry's id or string: one text, or a tuple of them for a plural."""
    return tuple(entry) if isinstance(entry, tuple | list) else (str(entry),) if entry else ()


def check_catalogues(directory: Path) -> None:
    """Stop start-up when a language's compiled catalogue is missing: without it Flask-Babel
    would serve English words on a page that says ``lang="uk"``."""
    missing = [
        language
        for language in LANGUAGES
        if language != DEFAULT_LANGUAGE and not compiled_catalogue(directory, language).is_file()
    ]
    if missing:
        raise ConfigError(
            f"The compiled translation catalogue is missing for {', '.join(missing)} "
            f"(messages.mo under {directory}). Compile them with "
            f"'pybabel compile -d {directory}' (make translations), then install again."
        )


def catalogue_source(directory: Path, language: str) -> Path:
    return directory / language / "LC_MESSAGES" / "messages.po"


@cache
def untranslated(source: Path, modified: float) -> tuple[str, ...]:
    """The messages of a catalogue's source with no translation (or a fuzzy one, or a plural
    with a form missing), read once per file version (``modified``: its mtime)."""
    with source.open("rb") as file:
        catalogue = read_po(file)
    missing = []
    for message in catalogue:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(forms):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return tuple(missing)


def check_translated(directory: Path) -> None:
    """Stop start-up when a language leaves any interface string untranslated: Flask-Babel
    would serve those in English on a page that says ``lang="pl"``, crisis tiers included (and
    pybabel compiles an untranslated plural as English, so the compiled file cannot tell)."""
    problems = []
    for language in LANGUAGES:
        source = catalogue_source(directory, language)
        if language == DEFAULT_LANGUAGE or not source.is_file():
            continue
        missing = untranslated(source, source.stat().st_mtime)
        if missing:
            shown = "; ".join(repr(text[:60]) for text in missing[:3])
            problems.append(f"{language}: {len(missing)} untranslated, e.g. {shown}")
    if problems:
        raise ConfigError(
            "Every interface string must be translated before a language is offered ("
            + " / ".join(problems)
            + f"). Translate them in {directory}/<language>/LC_MESSAGES/messages.po (no entry "
            "empty or marked fuzzy), then run 'make translations'."
        )


def register_languages(app: Flask, directory: Path) -> None:
    check_catalogues(directory)
    check_translated(directory)
    app.after_request(remember_language)
