"""What a call-back request holds, checked: a phone number normalised with ``phonenumbers`` (a
mobile or landline number of the clinic's countries only), a name that is only a name, and a
best time to call offered from the clinic's opening hours. Pure; no Flask.

The times offered are the next parts of opening days that have not passed yet: morning,
afternoon and evening, each cut to the clinic's hours, so a person is never offered a time when
nobody is there to call.
"""

from __future__ import annotations

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


# The letters a name may hold: Latin (Basic Latin, Latin-1, Extended-A and -B, and Extended
# Additional for Vietnamese) and Cyrillic, one script in each word, and the accents names take
# (after NFKC, which composes what it can: one mark above, U+0300-U+0315, straight after a
# letter, as a stress mark on a Cyrillic vowel; a mark below, U+0316-U+0333, only where it
# composes, as in ș or ţ, since a dot or comma below a letter that has none reads as a full stop
# or a comma). Not every letter
# of every script: Unicode has letters drawn as punctuation (Lisu tone letters as a full stop,
# Canadian syllabics as a slash, modifier letters as a colon, click letters as "|" and "!"),
# letters drawn as digits (NAME_DIGIT_LIKE), and overlays (U+0338) that strike a character out;
# mixing scripts in one word is how a look-alike spelling is made (Unicode's confusables
# guidance, UTS #39). Names of other scripts can be given in Latin letters.
NAME_LETTER_RANGES = ((0x41, 0x24F, "latin"), (0x1E00, 0x1EFF, "latin"), (0x400, 0x4FF, "cyrillic"))
NAME_ACCENTS = range(0x300, 0x316)
MAX_ACCENTS_PER_LETTER = 1
# Latin tone letters and others drawn as 2, 3, 5 or 8, and Cyrillic palochka (as 1 or l) and
# Abkhazian dze (as 3): the letters a phone number can be spelt with in one script.
NAME_DIGIT_LIKE = frozenset("\u01a7\u01a8\u01b7\u01b8\u01b9\u01bc\u01bd\u021c\u021d\u0222\u0223")
NAME_DIGIT_LIKE |= frozenset("\u04c0\u04cf\u04e0\u04e1")
# What a name may hold besides those letters and accents: spaces, hyphens
# and apostrophes (Ukrainian names take any of the three: Mar'yana). A dot only directly after
# a letter and before a space or the end, as after an initial or in "St. John". Nothing else: no
# digit (a phone number split by commas, a price), no "@", ":", "/", brackets or middle dot
# (evil[.]com, evil·com), so the form cannot carry a phishing text such as "Call +1-900-...
# https://..." into the clinic's mailbox, in look-alike characters either.
NAME_PUNCTUATION = frozenset(" -\u2010'\u2018\u2019\u02bc")


def _folded_name(text: str) -> str:
    """The name as checked and as the email shows it: NFKC (fullwidth forms as plain ones),
    format characters dropped (a zero-width space inside "evil.com" hid its dot from a check
    and showed "evil. com"), control characters and every other space one space, spaces
    collapsed."""
    kept = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category != "Cf":
            kept.append(" " if category[0] in {"C", "Z"} else char)
    return " ".join("".join(kept).split())


def _script(char: str) -> str | None:
    """ "latin" or "cyrillic" for a letter or accent a name may hold; None for anything else."""
    point = ord(char)
    if point in NAME_ACCENTS:
        return "accent"
    if unicodedata.category(char) not in {"Lu", "Ll", "Lt"} or char in NAME_DIGIT_LIKE:
        return None
    for first, last, script in NAME_LETTER_RANGES:
        if first <= point <= last:
            return script
    return None


def _is_letter(char: str) -> bool:
    return _script(char) is not None


def is_only_a_name(text: str) -> bool:
    """Whether the text is only a name: Latin or Cyrillic letters (one script a word), their
    accents, NAME_PUNCTUATION, and dots after a letter that end a word."""
    name = _folded_name(text)
    for word in name.split(" "):
        if len({_script(char) for char in word} - {None, "accent"}) > 1:
            return False
    accents = 0
    for before, char in zip(" " + name, name, strict=False):
        if _script(char) != "accent":
            accents = 0
        elif (accents := accents + 1) > MAX_ACCENTS_PER_LETTER or _script(before) is None:
            return False
    for index, char in enumerate(name):
        if _is_letter(char) or char in NAME_PUNCTUATION:
            continue
        ends_a_word = index + 1 == len(name) or name[index + 1] == " "
        if not (char == "." and index > 0 and _is_letter(name[index - 1]) and ends_a_word):
            return False
    return True


def plain_name(text: str) -> str:
    """How to address the person, as one short line: the checked form (so nothing can start a
    new line or header in the email), cut to MAX_NAME_LENGTH."""
    return _folded_name(text)[:MAX_NAME_LENGTH]
