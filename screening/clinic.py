"""The clinic's contact facts, parsed once from configuration into a frozen Clinic.

Bad or missing values stop start-up with a message that names the configuration key, so a clinic
never goes live with a blank phone number on its safety message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{1,30}[0-9]$")
MAX_TEXT_LENGTH = 200


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
