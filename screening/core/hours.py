"""Opening hours as data: parse "Mon-Fri 10:00-19:00; Sat 10:00-14:00" and the days the clinic is
closed ("2026-12-25, 2026-12-31..2027-01-02"), and say whether the clinic is open at a given
moment, and if not, when it opens next. Pure; no Flask.

A person in crisis at 22:00 on a Saturday needs to know that the clinic's phone will not answer
now, so the schedule is structured data, not only display text. The display text is derived from
the same schedule (see ``screening.core.clinic.hours_in``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from screening.core.marks import N_

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY = "(?:" + "|".join(WEEKDAYS) + ")"
_TIME = r"\d{1,2}:\d{2}"
_DASH = r"\s*[\u2013-]\s*"
_SPAN = re.compile(rf"({_DAY})(?:{_DASH}({_DAY}))?\s+({_TIME}){_DASH}({_TIME})")
SCHEDULE = re.compile(rf"{_SPAN.pattern}(?:\s*[,;]\s*{_SPAN.pattern})*")
TIME_WORD = re.compile(_TIME)


# A closure longer than this is not a holiday but a mistake (or the clinic is not open at all).
MAX_CLOSURE_DAYS = 62
# How far ahead the next opening is looked for: a week past the longest closure.
SEARCH_DAYS = MAX_CLOSURE_DAYS + 8


class ScheduleError(ValueError):
    """The opening hours are not a schedule this module can read."""


def parse_closed_dates(text: str) -> frozenset[date]:
    """The days a list such as "2026-12-25, 2026-12-31..2027-01-02" names (ISO dates, and ranges
    with both ends included); empty text is no closure. Refuse anything else."""
    days: set[date] = set()
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        first_text, _, last_text = (end.strip() for end in part.partition(".."))
        try:
            first = date.fromisoformat(first_text)
            last = date.fromisoformat(last_text) if last_text else first
        except ValueError as error:
            raise ScheduleError(
                f"{part!r} is not a date such as 2026-12-25 or a range such as "
                "2026-12-31..2027-01-02"
            ) from error
        if last < first:
            raise ScheduleError(f"{part!r} ends before it starts")
        days.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    _refuse_long_runs(days)
    return frozenset(days)


def _refuse_long_runs(days: set[date]) -> None:
    """Ranges that touch can close the clinic for longer than one may: refuse that too, so the
    next opening is always found within SEARCH_DAYS."""
    ordered = sorted(days)
    run_start = ordered[0] if ordered else date.min
    for previous, day in zip([run_start, *ordered], ordered, strict=False):
        if day - previous > timedelta(days=1):
            run_start = day
        if (day - run_start).days >= MAX_CLOSURE_DAYS:
            raise ScheduleError(
                f"the closed days from {run_start} run together for more than "
                f"{MAX_CLOSURE_DAYS} days"
            )


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
    # Closed only: the date of that opening (a closure can put it more than a week ahead).
    day: date | None = None


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


def opening_on(
    openings: tuple[Opening, ...], day: date, closed: frozenset[date] = frozenset()
) -> Opening | None:
    """The day's opening, or None when the schedule has none that weekday or the day is closed."""
    if day in closed:
        return None
    return next((opening for opening in openings if opening.weekday == day.weekday()), None)


def status_at(
    openings: tuple[Opening, ...],
    moment: datetime,
    zone: ZoneInfo,
    closed: frozenset[date] = frozenset(),
) -> OpeningStatus:
    """Whether the clinic is open at ``moment`` (any aware datetime), in its own time zone, on
    its schedule less the ``closed`` days."""
    local = moment.astimezone(zone)
    today = opening_on(openings, local.date(), closed)
    now = local.time()
    if today and today.opens <= now < today.closes:
        return OpeningStatus(is_open=True, at=today.closes)
    for days_ahead in range(SEARCH_DAYS):
        day = local.date() + timedelta(days=days_ahead)
        opening = opening_on(openings, day, closed)
        if opening and (days_ahead > 0 or now < opening.opens):
            return OpeningStatus(False, opening.opens, days_ahead, day.weekday(), day)
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
# After a closure of a week or more a weekday alone would name the wrong week.
OPENS_ON_DATE = N_("The clinic is closed now. It opens on %(date)s at %(time)s.")


def describe(status: OpeningStatus, translate: Callable[..., str], language: str = "en") -> str:
    """The status as one sentence in the language of ``translate`` (gettext's signature) and
    ``language`` (for a date more than a week ahead)."""
    when = "24:00" if status.at == time.max else status.at.strftime("%H:%M")
    if status.is_open:
        message = OPEN_UNTIL
    elif status.days_ahead == 0:
        message = OPENS_TODAY
    elif status.days_ahead == 1:
        message = OPENS_TOMORROW
    elif status.days_ahead >= 7 and status.day is not None:
        on = format_date(status.day, "d MMMM", locale=language)
        return translate(OPENS_ON_DATE, date=on, time=when)
    else:
        message = OPENS_ON[status.weekday]
    return translate(message, time=when)
