"""Why a result code cannot be restored, in words for the person typing it. Pure; no Flask.

One error type for every refusal, from a typing mistake to a code past its maximum age, so a
caller catches one thing and shows its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from screening.core.marks import N_, NP_


class ResultCodeError(ValueError):
    """A code that cannot be restored. ``reason`` says why in words for the person typing it,
    with %(name)s placeholders filled from ``params``; with ``plural``, a message whose words
    follow ``params["count"]`` (Ukrainian and Russian have three forms)."""

    def __init__(self, reason: str, plural: str | None = None, **params: object) -> None:
        self.reason = reason
        self.plural = plural
        self.params = params
        english = plural if plural is not None and params.get("count") != 1 else reason
        super().__init__(english % params if params else english)

    def in_words(self, translate: Callable[..., str], translate_plural: Callable[..., str]) -> str:
        return reason_in_words(self.reason, self.plural, self.params, translate, translate_plural)


def reason_in_words(
    reason: str,
    plural: str | None,
    params: Mapping[str, object],
    translate: Callable[..., str],
    translate_plural: Callable[..., str],
) -> str:
    """A refusal's reason translated, in the plural form its count calls for if it has one."""
    if plural is None:
        return translate(reason, **params)
    return translate_plural(reason, plural, params["count"], **params)


WRONG_LENGTH = NP_(
    "After \u201c%(prefix)s-\u201d a result code has %(count)s letter or digit.",
    "After \u201c%(prefix)s-\u201d a result code has %(count)s letters and digits.",
)
ALTERED = N_(
    "This code was not issued by this service, or it has been changed. "
    "Please check it with the patient."
)
OTHER_VERSION = N_("This code is for a different questionnaire or version.")
NOT_VALID_ANSWERS = N_("This code does not hold a valid set of answers.")
EMPTY = N_("Please type or scan the result code.")
TYPING_MISTAKE = N_(
    "This code has a typing mistake. Please compare it with the code on the "
    "patient's screen or PDF, letter by letter."
)
NOT_VALID_TIME = N_("This code does not hold a valid completion time.")
V1_NO_LONGER_ACCEPTED = N_(
    "Codes of this older format (16 symbols) are no longer accepted: they did not "
    "protect the answers well enough. Please ask the patient to complete the "
    "screening again."
)
TOO_OLD = N_(
    "This result code is more than %(days)s days old, and this service does not open "
    "codes that old. Please ask the patient to complete the screening again."
)
