"""The clinic's contact facts, parsed once from configuration into a frozen Clinic per language.

Bad or missing values stop start-up with a message that names the configuration key, so a clinic
never goes live with a blank phone number on its safety message. Opening hours are a schedule
("Mon-Fri 10:00-19:00; Sat 10:00-14:00", hyphens or en dashes) stated once: the clinic's
open-now status is computed from it and from the days the clinic is closed (CLINIC_CLOSED_DATES),
and each language shows it in its own day names. The name, address, hours text and crisis line's
name can be given per interface language (CLINIC_NAME_UK, CLINIC_ADDRESS_RU, CLINIC_HOURS_RU,
...); a per-language hours text must name the same times as the schedule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_day_names

from screening.core.errors import ConfigError
from screening.core.hours import (
    SCHEDULE,
    TIME_WORD,
    WEEKDAYS,
    Opening,
    OpeningStatus,
    ScheduleError,
    parse_closed_dates,
    parse_schedule,
    status_at,
)
from screening.core.marks import N_

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{1,30}[0-9]$")
MAX_TEXT_LENGTH = 200
DAY_WORD = re.compile(r"\b(?:" + "|".join(WEEKDAYS) + r")\b")
# The default crisis line's name, translated where it is shown; a clinic's own name is kept.
LIFELINE_UKRAINE = N_("Lifeline Ukraine")


@dataclass(frozen=True)
class Clinic:
    name: str
    hours: str
    phone: str
    # Called when someone might act on thoughts of self-harm now: ambulance and the 112 line.
    emergency_numbers: tuple[str, ...]
    # Answers now, day and night, whether or not the clinic is open.
    crisis_line: str
    crisis_line_name: str
    timezone: ZoneInfo
    openings: tuple[Opening, ...]
    address: str = ""
    # The clinic's written permission from the RCPsych to reproduce the EPDS online.
    permission: str = ""
    # Whether the clinic's clinicians prescribe medication such as antidepressants.
    prescribes: bool = True
    # Days the clinic is closed although its schedule says open (public holidays, say).
    closed: frozenset[date] = field(default_factory=frozenset)

    def status_at(self, moment: datetime) -> OpeningStatus:
        """Open now or not, and when it next opens: the schedule less the closed days."""
        return status_at(self.openings, moment, self.timezone, self.closed)

    @property
    def phone_uri(self) -> str:
        return phone_uri(self.phone)

    @property
    def crisis_line_uri(self) -> str:
        return phone_uri(self.crisis_line)


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


def _phones(config: Mapping[str, Any], key: str) -> tuple[str, ...]:
    numbers = tuple(number.strip() for number in _text(config, key).split(","))
    for number in numbers:
        if not PHONE_PATTERN.match(number):
            raise ConfigError(
                f"{key} must list phone numbers separated by commas, such as '103, 112'; "
                f"{number!r} is not one"
            )
    return numbers


def _closed_dates(config: Mapping[str, Any], key: str) -> frozenset[date]:
    value = config.get(key) or ""
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be text such as '2026-12-25, 2026-12-31..2027-01-02'")
    try:
        return parse_closed_dates(value)
    except ScheduleError as error:
        raise ConfigError(f"{key}: {error}") from error


def _schedule(config: Mapping[str, Any], key: str) -> tuple[Opening, ...]:
    try:
        return parse_schedule(_text(config, key))
    except ScheduleError as error:
        raise ConfigError(f"{key}: {error}") from error


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def flag(config: Mapping[str, Any], key: str) -> bool:
    """An on/off setting, given as a bool or (from the environment) as a word."""
    value = config.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ConfigError(f"{key} must be on or off (1/0, true/false), got {value!r}")


def hours_in(language: str, hours: str) -> str:
    """Opening hours with English day abbreviations put into the language's own (from CLDR).

    Only hours written as a schedule ("Mon-Fri 10:00-19:00; Sat 10:00-14:00") are changed: any
    other text is the clinic's own wording and is kept as written.
    """
    if not SCHEDULE.fullmatch(hours):
        return hours
    names = get_day_names("abbreviated", locale=language)
    return DAY_WORD.sub(lambda day: names[WEEKDAYS.index(day.group())], hours)


def _hours_text(config: Mapping[str, Any], key: str, clinic: Clinic) -> str:
    """A per-language hours text, checked against the schedule: the same opening and closing
    times, so that the words a patient reads never disagree with the open-now status."""
    text = _text(config, key, required=False)
    if text:
        stated = {_normalised_time(word) for word in TIME_WORD.findall(text)}
        scheduled = {_normalised_time(word) for word in TIME_WORD.findall(clinic.hours)}
        if stated != scheduled:
            raise ConfigError(
                f"{key} names the times {sorted(stated)}, but CLINIC_HOURS says "
                f"{sorted(scheduled)}: state the same hours in both"
            )
    return text


def _normalised_time(word: str) -> str:
    hours, minutes = word.split(":")
    return f"{int(hours):02d}:{minutes}"


def clinics_by_language(
    config: Mapping[str, Any], clinic: Clinic, languages: Iterable[str]
) -> dict[str, Clinic]:
    """The clinic as each interface language shows it: CLINIC_NAME_<LANG>, CLINIC_ADDRESS_<LANG>
    and CLINIC_HOURS_<LANG> when set, otherwise the common name and address and the hours in that
    language's day names."""
    return {
        language: replace(
            clinic,
            name=_text(config, f"CLINIC_NAME_{language.upper()}", required=False) or clinic.name,
            address=_text(config, f"CLINIC_ADDRESS_{language.upper()}", required=False)
            or clinic.address,
            hours=_hours_text(config, f"CLINIC_HOURS_{language.upper()}", clinic)
            or hours_in(language, clinic.hours),
            crisis_line_name=_text(
                config, f"CLINIC_CRISIS_LINE_NAME_{language.upper()}", required=False
            )
            or clinic.crisis_line_name,
        )
        for language in languages
    }


def clinic_from_config(config: Mapping[str, Any]) -> Clinic:
    """Parse the CLINIC_* keys; raise ConfigError naming the first bad key."""
    if "CLINIC_EMERGENCY_NUMBER" in config:
        raise ConfigError(
            "CLINIC_EMERGENCY_NUMBER is now CLINIC_EMERGENCY_NUMBERS, a list such as '103, 112'"
        )
    return Clinic(
        name=_text(config, "CLINIC_NAME"),
        hours=_text(config, "CLINIC_HOURS"),
        phone=_phone(config, "CLINIC_PHONE"),
        emergency_numbers=_phones(config, "CLINIC_EMERGENCY_NUMBERS"),
        crisis_line=_phone(config, "CLINIC_CRISIS_LINE"),
        crisis_line_name=_text(config, "CLINIC_CRISIS_LINE_NAME"),
        timezone=_timezone(config, "CLINIC_TIMEZONE"),
        openings=_schedule(config, "CLINIC_HOURS"),
        address=_text(config, "CLINIC_ADDRESS", required=False),
        permission=_text(config, "EPDS_PERMISSION", required=False),
        prescribes=flag(config, "CLINIC_PRESCRIBES"),
        closed=_closed_dates(config, "CLINIC_CLOSED_DATES"),
    )
