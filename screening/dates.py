"""Completion times: made in UTC, carried in the result form as ISO 8601, shown in clinic time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

# The PDF can be downloaded later from the result page; a time far in the future is not genuine.
CLOCK_SKEW = timedelta(minutes=5)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def parse_completed_at(text: str) -> datetime:
    """Parse the posted completion time; raise ValueError unless it is a plausible UTC moment."""
    if len(text) > 40:
        raise ValueError("too long")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    if moment > now_utc() + CLOCK_SKEW:
        raise ValueError("in the future")
    return moment.astimezone(UTC)


def for_people(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """E.g. '25 November 2026, 14:05' (or '25 листопада 2026, 14:05') in the clinic's zone."""
    return format_datetime(moment.astimezone(zone), "d MMMM y, HH:mm", locale=language)


def for_file_name(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d}"
