"""The clinic's contact facts, parsed once from configuration into a frozen Clinic per language.

Bad or missing values stop start-up with a message that names the configuration key, so a clinic
never goes live with a blank phone number on its safety message. The name and opening hours can
be given per interface language (CLINIC_NAME_UK, CLINIC_HOURS_RU, ...); without that, hours
written as "Mon-Fri 10:00-19:00" (hyphens or en dashes) are shown in each language's day names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_day_names

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{1,30}[0-9]$")
MAX_TEXT_LENGTH = 200

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY = "(?:" + "|".join(WEEKDAYS) + ")"
_DAYS_AND_TIMES = (
    rf"{_DAY}(?:\s*[\u2013-]\s*{_DAY})?\s+\d{{1,2}}:\d{{2}}\s*[\u2013-]\s*\d{{1,2}}:\d{{2}}"
)
SCHEDULE = re.compile(rf"{_DAYS_AND_TIMES}(?:\s*[,;]\s*{_DAYS_AND_TIMES})*")
DAY_WORD = re.compile(rf"\b{_DAY}\b")


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class Clinic:
    name: str
    hours: str
    phone: str
    emergency_number: str
    timezone: ZoneInfo
    address: str = ""

    @property
    def phone_uri(self) -> str:
        return phone_uri(self.phone)

    @property
    def emergency_uri(self) -> str:
        return phone_uri(self.emergency_number)


def phone_uri(number: str) -> str:
    """A ``tel:`` link target: the digits, keeping a leading plus."""
    return "tel:" + ("+" if number.startswith("+") else "") + re.sub(r"\D", "", number)


def _text(config: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = config.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ConfigError(
                f"{key} is not set: give the clinic's value in instance/config.py "
                f"or the environment variable SCREENING_{key}"
            )
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be text, got {type(value).__name__}")
    value = " ".join(value.split())
    if len(value) > MAX_TEXT_LENGTH:
        raise ConfigError(f"{key} is longer than {MAX_TEXT_LENGTH} characters")
    return value


def _phone(config: Mapping[str, Any], key: str) -> str:
    value = _text(config, key)
    if not PHONE_PATTERN.match(value):
        raise ConfigError(
            f"{key} is not a phone number: {value!r} (digits, spaces, '-', '(', ')', "
            "and an optional leading '+')"
        )
    return value


def _timezone(config: Mapping[str, Any], key: str) -> ZoneInfo:
    value = _text(config, key)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"{key} is not a known time zone: {value!r}") from error


def hours_in(language: str, hours: str) -> str:
    """Opening hours with English day abbreviations put into the language's own (from CLDR).

    Only hours written as a schedule ("Mon-Fri 10:00-19:00; Sat 10:00-14:00") are changed: any
    other text is the clinic's own wording and is kept as written.
    """
    if not SCHEDULE.fullmatch(hours):
        return hours
    names = get_day_names("abbreviated", locale=language)
    return DAY_WORD.sub(lambda day: names[WEEKDAYS.index(day.group())], hours)


def clinics_by_language(
    config: Mapping[str, Any], clinic: Clinic, languages: Iterable[str]
) -> dict[str, Clinic]:
    """The clinic as each interface language shows it: CLINIC_NAME_<LANG> and CLINIC_HOURS_<LANG>
    when set, otherwise the common name and the hours in that language's day names."""
    return {
        language: replace(
            clinic,
            name=_text(config, f"CLINIC_NAME_{language.upper()}", required=False) or clinic.name,
            hours=_text(config, f"CLINIC_HOURS_{language.upper()}", required=False)
            or hours_in(language, clinic.hours),
        )
        for language in languages
    }


def clinic_from_config(config: Mapping[str, Any]) -> Clinic:
    """Parse the CLINIC_* keys; raise ConfigError naming the first bad key."""
    return Clinic(
        name=_text(config, "CLINIC_NAME"),
        hours=_text(config, "CLINIC_HOURS"),
        phone=_phone(config, "CLINIC_PHONE"),
        emergency_number=_phone(config, "CLINIC_EMERGENCY_NUMBER"),
        timezone=_timezone(config, "CLINIC_TIMEZONE"),
        address=_text(config, "CLINIC_ADDRESS", required=False),
    )
