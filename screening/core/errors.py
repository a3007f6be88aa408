"""Exceptions that stop start-up, in one leaf module every layer may import.

``ConfigError`` is raised by the settings' parsers (``screening/settings.py``), the clinic's
(``clinic.py``) and the mail settings' (``screening/delivery/mail.py``); it lives below all of
them so that none has to import another only for its exception.
``screening.core.clinic.ConfigError`` still names the same class.
"""

from __future__ import annotations


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names the key."""
