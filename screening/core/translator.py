"""One value for the interface language a document is made in: gettext's and ngettext's
functions and the language's code, passed together instead of as three parameters. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from screening.core.context import Translate, TranslatePlural
from screening.core.marks import english, english_plural


@dataclass(frozen=True)
class Translator:
    """``gettext(message, **variables)``, ``ngettext(singular, plural, number, **variables)``,
    the language they translate into (a locale code such as "uk") and, when start-up worked
    them out, the characters beyond ASCII that a document in it can print (its PDF fonts'
    subsets then hold all of them, made once per process)."""

    gettext: Translate = english
    ngettext: TranslatePlural = english_plural
    language: str = "en"
    characters: str = ""


# What a document says without a catalogue: the English it was written in.
ENGLISH = Translator()
