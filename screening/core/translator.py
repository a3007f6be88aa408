"""One value for the interface language a document is made in: gettext's and ngettext's
functions and the language's code, passed together instead of as three parameters. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from screening.core.context import Translate, TranslatePlural
from screening.core.marks import english, english_plural


@dataclass(frozen=True)
class Translator:
    """``gettext(message, **variables)``, ``ngettext(singular, plural, number, **variables)`` and
    the language they translate into (a locale code such as "uk")."""

    gettext: Translate = english
    ngettext: TranslatePlural = english_plural
    language: str = "en"


# What a document says without a catalogue: the English it was written in.
ENGLISH = Translator()
