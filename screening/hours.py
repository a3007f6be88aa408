"""Opening hours as data: parse "Mon-Fri 10:00-19:00; Sat 10:00-14:00" and say whether the clinic
is open at a given moment, and if not, when it opens next. Pure; no Flask.

A person in crisis at 22:00 on a Saturday needs to know that the clinic's phone will not answer
now, so the schedule is structured data, not only display text. The display text is derived from
the same schedule (see ``screening.clinic.hours_in``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from screening.marks import N_

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY = "(?:" + "|".join(WEEKDAYS) + ")"
_TIME = r"\d{1,2}:\d{2}"
_DASH = r"\s*[\u2013-]\s*"
_SPAN = re.compile(rf"({_DAY})(?:{_DASH}({_DAY}))?\s+({_TIME}){_DASH}({_TIME})")
SCHEDULE = re.compile(rf"{_SPAN.pattern}(?:\s*[,;]\s*{_SPAN.pattern})*")
TIME_WORD = re.compile(_TIME)


class ScheduleError(ValueError):
    """The opening hours are not a schedule this module can read."""


@dataclass(frozen=True)
class Opening:
    """One day's opening: weekday (0 = Monday) and the times the clinic opens and closes."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class OpeningStatus:
    """Open now (and until when), or closed now (and when it next opens)."""

    is_open: bool
    # Open: the closing time today. Closed: the next opening time.
    at: time
    # Closed only: days from today to the next opening (0 today, 1 tomorrow, ...), and its weekday.
    days_ahead: int = 0
    weekday: int = 0


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    try:
        return time(hours, minutes)
    except ValueError as error:
        raise ScheduleError(f"{text!r} is not a time of day") from error


def parse_schedule(text: str) -> tuple[Opening, ...]:
    """The openings a schedule describes, one per weekday; refuse text that is not a schedule."""
    if not SCHEDULE.fullmatch(text.strip()):
        raise ScheduleError(
            f"{text!r} is not a schedule such as 'Mon\u2013Fri 10:00\u201319:00; "
            "Sat 10:00\u201314:00' (English day abbreviations, 24-hour times)"
        )
    openings: dict[int, Opening] = {}
    for first, last, opens, closes in _SPAN.findall(text):
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise ScheduleError(f"{first}\u2013{last} runs backwards; list the days Mon to Sun")
        opening_time, closing_time = _clock(opens), _clock(closes)
        if closing_time <= opening_time:
            raise ScheduleError(f"{opens}\u2013{closes} closes before it opens")
        for weekday in range(start, end + 1):
            if weekday in openings:
                raise ScheduleError(f"{WEEKDAYS[weekday]} is given twice")
            openings[weekday] = Opening(weekday, opening_time, closing_time)
    return tuple(openings[day] for day in sorted(openings))


def status_at(openings: tuple[Opening, ...], moment: datetime, zone: ZoneInfo) -> OpeningStatus:
    """Whether the clinic is open at ``moment`` (any aware datetime), in its own time zone."""
    local = moment.astimezone(zone)
    by_day = {opening.weekday: opening for opening in openings}
    today = by_day.get(local.weekday())
    now = local.time()
    if today and today.opens <= now < today.closes:
        return OpeningStatus(is_open=True, at=today.closes)
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).weekday()
        opening = by_day.get(day)
        if opening and (days_ahead > 0 or now < opening.opens):
            return OpeningStatus(False, opening.opens, days_ahead, day)
    raise ScheduleError("the schedule has no opening at all")


OPEN_UNTIL = N_("The clinic is open now, until %(time)s.")
OPENS_TODAY = N_("The clinic is closed now. It opens today at %(time)s.")
OPENS_TOMORROW = N_("The clinic is closed now. It opens tomorrow at %(time)s.")
# One sentence per weekday: Ukrainian and Russian put the day in the accusative case.
OPENS_ON = (
    N_("The clinic is closed now. It opens on Monday at %(time)s."),
    N_("The clinic is closed now. It opens on Tuesday at %(time)s."),
    N_("The clinic is closed now. It opens on Wednesday at %(time)s."),
    N_("The clinic is closed now. It opens on Thursday at %(time)s."),
    N_("The clinic is closed now. It opens on Friday at %(time)s."),
    N_("The clinic is closed now. It opens on Saturday at %(time)s."),
    N_("The clinic is closed now. It opens on Sunday at %(time)s."),
)


def describe(status: OpeningStatus, translate: Callable[..., str]) -> str:
    """The status as one sentence in the language of ``translate`` (gettext's signature)."""
    when = "24:00" if status.at == time.max else status.at.strftime("%H:%M")
    if status.is_open:
        message = OPEN_UNTIL
    elif status.days_ahead == 0:
        message = OPENS_TODAY
    elif status.days_ahead == 1:
        message = OPENS_TOMORROW
    else:
        message = OPENS_ON[status.weekday]
    return translate(message, time=when)
