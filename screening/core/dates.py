"""Completion times: made in UTC by the server (never taken from a client), shown in clinic time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def for_people(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """E.g. '25 November 2026, 14:05' (or '25 листопада 2026, 14:05') in the clinic's zone."""
    return format_datetime(moment.astimezone(zone), "d MMMM y, HH:mm", locale=language)


def for_file_name(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d}"


def short_date(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """E.g. '25 Nov 2026', the month abbreviated in the language's own words: a chart's axis."""
    return format_date(moment.astimezone(zone), "d MMM y", locale=language)
