"""What a call-back request holds, checked: a phone number normalised with ``phonenumbers`` (a
mobile or landline number of the clinic's countries only), a name that is only a name, and a
best time to call offered from the clinic's opening hours. Pure; no Flask.

The times offered are the next parts of opening days that have not passed yet: morning,
afternoon and evening, each cut to the clinic's hours, so a person is never offered a time when
nobody is there to call.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_date

from screening.core.hours import Opening, opening_on
from screening.core.marks import N_

ANY_TIME = "any"
# Times offered: three opening days' worth for a clinic open morning to evening.
SLOTS_OFFERED = 9
MAX_PHONE_LENGTH = 40
MAX_NAME_LENGTH = 60

PARTS = (
    ("morning", time(0, 0), time(12, 0), N_("morning")),
    ("afternoon", time(12, 0), time(17, 0), N_("afternoon")),
    ("evening", time(17, 0), time.max, N_("evening")),
)
TODAY = N_("Today")
TOMORROW = N_("Tomorrow")
SLOT_LABEL = N_("%(day)s, %(part)s (%(start)s\u2013%(end)s)")


@dataclass(frozen=True)
class Slot:
    """A part of one opening day, in the clinic's time zone."""

    day: date
    part: str
    starts: time
    ends: time

    @property
    def value(self) -> str:
        return f"{self.day.isoformat()}-{self.part}"


def call_slots(
    openings: tuple[Opening, ...],
    moment: datetime,
    zone: ZoneInfo,
    count: int = SLOTS_OFFERED,
    closed: frozenset[date] = frozenset(),
) -> list[Slot]:
    """The next ``count`` parts of opening days that end after ``moment``, in order, skipping
    the ``closed`` days. Always ``count`` of them, so the form (and the padded result page
    holding it) keeps its length whatever the time of day."""
    local = moment.astimezone(zone)
    slots: list[Slot] = []
    day = local.date()
    while len(slots) < count:
        opening = opening_on(openings, day, closed)
        if opening is not None:
            slots.extend(
                slot
                for name, starts, ends, _label in PARTS
                if max(starts, opening.opens) < min(ends, opening.closes)
                and (slot := Slot(day, name, max(starts, opening.opens), min(ends, opening.closes)))
                and (day > local.date() or slot.ends > local.time())
            )
        day += timedelta(days=1)
    return slots[:count]


def _clock_text(moment: time) -> str:
    return "24:00" if moment == time.max else moment.strftime("%H:%M")


def slot_label(slot: Slot, today: date, language: str, translate: Callable[..., str]) -> str:
    """E.g. "Tomorrow, morning (10:00-12:00)" or "Monday 30 November, evening (17:00-19:00)"."""
    if slot.day == today:
        day = translate(TODAY)
    elif slot.day == today + timedelta(days=1):
        day = translate(TOMORROW)
    else:
        # Ukrainian and Russian write "Понеділок, 30 листопада"; English "Monday 30 November".
        pattern = "EEEE d MMMM" if language == "en" else "EEEE, d MMMM"
        day = format_date(slot.day, pattern, locale=language)
        day = day[:1].upper() + day[1:]  # Ukrainian and Russian day names are lower case
    part = translate(next(label for name, _s, _e, label in PARTS if name == slot.part))
    return translate(
        SLOT_LABEL, day=day, part=part, start=_clock_text(slot.starts), end=_clock_text(slot.ends)
    )


# The numbers a clinic calls back: a person's own line. Premium-rate, shared-cost, toll-free,
# personal, VoIP and pager numbers are refused: a call to some of them costs the clinic money
# (toll fraud), and none is where a person answers their own phone.
CALLABLE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


class PhoneRefused(ValueError):
    """The number typed is not one to call: ``not_a_number``, or ``not_callable`` (a valid
    number of another country, or of a type the clinic does not call)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalised_phone(text: str, region: str, countries: frozenset[str] | None = None) -> str:
    """The number in international format (+380 ...), if it is a mobile or landline number of
    one of ``countries`` (default: ``region`` only); else raise PhoneRefused. A number without
    a country code is read as one of ``region``."""
    if not text or len(text) > MAX_PHONE_LENGTH:
        raise PhoneRefused("not_a_number")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneRefused("not_a_number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneRefused("not_a_number")
    if (
        phonenumbers.region_code_for_number(number) not in (countries or {region})
        or phonenumbers.number_type(number) not in CALLABLE_TYPES
    ):
        raise PhoneRefused("not_callable")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# What a phishing text needs and no name has: a web or mail address (a scheme, "www.", "@", or a
# dot between letters with no space after it, as in evil.example/login), or three digits or more
# in a row, spaces and dashes between them or not (a phone number, an account, a price).
WEB_ADDRESS = re.compile(r"://|\bwww\.|@|[^\W_]\.[^\W\d_]{2,}(?![^\W_])", re.IGNORECASE)
DIGIT_RUN = re.compile(r"\d(?:[\s().+/-]*\d){2,}")


# Dots and slashes that NFKC leaves as they are but a mail client or browser may read as "." and
# "/" (U+3002 ideographic full stop, U+2215 division slash); NFKC itself folds the fullwidth,
# halfwidth and leader forms (U+FF0E, U+FF61 to U+3002, U+2024, the fullwidth "@" and digits).
LOOKALIKE_PUNCTUATION = str.maketrans(
    {"\u3002": ".", "\uff61": ".", "\ufe52": ".", "\u2215": "/", "\u2044": "/", "\u29f8": "/"}
)


def is_only_a_name(text: str) -> bool:
    """False when the name holds a web address or a run of digits, in ASCII or in look-alike
    characters."""
    folded = unicodedata.normalize("NFKC", text).translate(LOOKALIKE_PUNCTUATION)
    return not (WEB_ADDRESS.search(folded) or DIGIT_RUN.search(folded))


def plain_name(text: str) -> str:
    """How to address the person, as one short line: no control or format characters (so
    nothing can start a new line or header in the email), spaces collapsed."""
    kept = "".join(" " if unicodedata.category(char)[0] in {"C", "Z"} else char for char in text)
    return " ".join(kept.split())[:MAX_NAME_LENGTH]
