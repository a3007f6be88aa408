"""Marking text for the translation catalogues in modules that must not import Flask."""

from __future__ import annotations


def N_(message: str) -> str:  # gettext's conventional name for "mark only"
    """Marks a message for extraction (pybabel -k N_); it is translated where it is shown."""
    return message
