"""Marking text for the translation catalogues in modules that must not import Flask, and the
identity (English) translation for what they print without a catalogue."""

from __future__ import annotations


def N_(message: str) -> str:  # gettext's conventional name for "mark only"
    """Marks a message for extraction (pybabel -k N_); it is translated where it is shown."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural (pybabel -k NP_:1,2); ngettext translates it where shown."""
    return singular, plural


def english(message: str, **variables: object) -> str:
    """The identity translation, with gettext's %(name)s substitution."""
    return message % variables if variables else message


def english_plural(singular: str, plural: str, number: int, **variables: object) -> str:
    """The identity translation of a message with a plural, as ngettext picks and fills it
    (the number is also %(num)s)."""
    return english(singular if number == 1 else plural, **({"num": number} | variables))
