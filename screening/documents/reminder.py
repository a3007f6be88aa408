"""A reminder to repeat the screening, as an iCalendar file (RFC 5545: one VEVENT with a VALARM).
Pure; no Flask.

The file says only "Repeat the wellbeing questionnaire", the questionnaire's address and the
clinic's name and phone: no score, band or answer. Its date does say something: a result at or
above the lowest band's upper limit (or with the safety item positive) is reminded sooner
(``sooner_days``, two weeks by default, as for a 10-12 result: "repeat in 2 to 4 weeks") than a
result below it (``default_days``). The file is written here by hand: it is a dozen fixed lines,
and the one rule that matters, folding long UTF-8 lines without splitting a character, is below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from screening.core.scoring import ScreeningResult

# The reminder rings at this local time on its day (clinic's time zone).
REMINDER_TIME = time(10, 0)
LINE_OCTETS = 75


@dataclass(frozen=True)
class Reminder:
    summary: str
    description: str
    url: str
    starts: datetime
    uid: str
    stamp: datetime


def interval_days(result: ScreeningResult, default_days: int, sooner_days: int) -> int:
    """Days until the reminder: sooner for any result above the lowest band or with the safety
    item positive (those who should in any case talk to a clinician), else the default."""
    lowest = min(result.instrument.bands, key=lambda band: band.min)
    above_threshold = result.safety_flag or result.total > lowest.max
    return min(sooner_days, default_days) if above_threshold else default_days


def reminder_start(today: datetime, days: int, zone: ZoneInfo) -> datetime:
    """REMINDER_TIME in the clinic's zone, ``days`` days after ``today``'s date there, in UTC."""
    local_day = today.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(local_day, REMINDER_TIME, zone).astimezone(UTC)


def _escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space (RFC 5545 3.1), never
    splitting a UTF-8 character."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        octets = len(char.encode("utf-8"))
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1
        if size + octets > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += octets
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(reminder: Reminder) -> bytes:
    """The calendar file: one event of 15 minutes with an alarm when it starts."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//screening//wellbeing reminder//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:{reminder.uid}",
        f"DTSTAMP:{_utc(reminder.stamp)}",
        f"DTSTART:{_utc(reminder.starts)}",
        f"DTEND:{_utc(reminder.starts + timedelta(minutes=15))}",
        f"SUMMARY:{_escape(reminder.summary)}",
        f"DESCRIPTION:{_escape(reminder.description)}",
        f"URL:{reminder.url}",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_escape(reminder.summary)}",
        "TRIGGER;RELATED=START:PT0S",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines).encode("utf-8")
