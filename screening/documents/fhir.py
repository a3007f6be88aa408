"""FHIR R4 export: a collection Bundle with the QuestionnaireResponse and Observations. Pure.

Codes: the EPDS panel is LOINC 71354-5 (confirmed by two sources in the reference). The
reference marks the total-score code 99046-5 and every item-level and answer code (LA codes) as
unverified, so the total and the answers use local code systems below, named as ours, until a
clinic verifies the LOINC codes. Each answer is coded by its option (item number and the
option's words, e.g. ``10-sometimes``), never by a number that could read as its score, and
carries its score in the R4 ``ordinalValue`` extension.

The EPDS is a self-report: the person who answered is the QuestionnaireResponse's ``source``
and ``author`` and the Observations' ``performer``, as a Patient entry without identity (the
export holds none; the receiving record links it to its own patient). The clinic is named in a
note, as the service the screening was completed on. The QuestionnaireResponse's ``language``
is the items' language; the note on the panel says which interface language the patient read
the page in, when the result code records it. How it was administered (self-completed online,
paper form entered by staff, interview), when known, is a ``meta.tag`` of the
QuestionnaireResponse in a local code system (R4 has no element for it; a tag is any Coding and
changes nothing of the resource's meaning) and is said in the panel's note. The EPDS-3A
(items 3-5) is an Observation of its own with its research cut-off.

The question asked before the items (pregnant, gave birth in the past year, neither, prefer not
to say)
is not part of the EPDS, so it is never an item of the QuestionnaireResponse: each answer given
becomes Observations of its own, and no answer (or an older code) none.
- Pregnant: LOINC 82810-3 "Pregnancy status" with LOINC answer LA15173-0 "Pregnant", as HL7's
  International Patient Summary profiles it (Observation-pregnancy-status-uv-ips, value set
  pregnancy-status-uv-ips: LA15173-0 Pregnant, LA26683-5 Not pregnant, LA4489-6 Unknown); with
  weeks, LOINC 11884-4 "Gestational age Estimated" in UCUM ``wk``, as HL7's Vital Records
  library and the HL7 Europe gestational-age value set (expanded from LOINC 2.81) list it.
- Neither: 82810-3 with LA26683-5 "Not pregnant" (the same value set), and the local
  birth-in-past-year Observation with ``valueBoolean`` false.
- Gave birth in the past year, and its weeks: no code verified for a birth within a year (the
  SNOMED CT postpartum codes HL7's US case-reporting guides use mean the puerperium, about six
  weeks, and SNOMED CT needs a national licence), so these carry ``code.text`` only, with a local
  coding named as ours.
- Prefer not to say: the question's local code with ``dataAbsentReason`` asked-declined (HL7
  terminology, data-absent-reason: "The source was asked but declined to answer").
- A pregnancy that ended, or a baby who died, in the past year: no code verified either, so a
  local pregnancy-loss-or-infant-death-in-past-year Observation with ``valueBoolean`` true.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from screening.core.administration import MODE_LABELS, NOT_RECORDED, Administration, Mode
from screening.core.clinic import Clinic
from screening.core.clinician import TEXT_NOT_INSTALLED, band_text, items_in_words, language_name
from screening.core.context import NOT_GIVEN, Context, Status, describe
from screening.core.marks import english, english_plural
from screening.core.scoring import ScreeningResult, SubscaleResult

LOINC = "http://loinc.org"
EPDS_PANEL = {
    "system": LOINC,
    "code": "71354-5",
    "display": "Edinburgh Postnatal Depression Scale [EPDS]",
}
LOCAL_SYSTEM = "urn:screening:codesystem"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
PREGNANCY_STATUS = {"system": LOINC, "code": "82810-3", "display": "Pregnancy status"}
PREGNANT = {"system": LOINC, "code": "LA15173-0", "display": "Pregnant"}
NOT_PREGNANT = {"system": LOINC, "code": "LA26683-5", "display": "Not pregnant"}
GESTATIONAL_AGE = {"system": LOINC, "code": "11884-4", "display": "Gestational age Estimated"}
CONTEXT_SYSTEM = f"{LOCAL_SYSTEM}:context"
# How the screening was given (screening/core/administration.py) and the text it was read in.
MODE_SYSTEM = f"{LOCAL_SYSTEM}:administration-mode"
MODE_EXTENSION = "urn:screening:extension:administration-mode"
ITEMS_TEXT_EXTENSION = "urn:screening:extension:items-text"
CONTEXT_QUESTION = {
    "system": CONTEXT_SYSTEM,
    "code": "pregnant-or-birth-in-past-year",
    "display": "Pregnant now, or gave birth in the past year (asked before the EPDS)",
}
BIRTH_IN_PAST_YEAR = {
    "system": CONTEXT_SYSTEM,
    "code": "birth-in-past-year",
    "display": "Gave birth in the past year",
}
LOSS_IN_PAST_YEAR = {
    "system": CONTEXT_SYSTEM,
    "code": "pregnancy-loss-or-infant-death-in-past-year",
    "display": "Pregnancy ended, or baby died, in the past year",
}
WEEKS_SINCE_BIRTH = {
    "system": CONTEXT_SYSTEM,
    "code": "weeks-since-birth",
    "display": "Time since giving birth",
}
ASKED_DECLINED = {
    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
    "code": "asked-declined",
    "display": "Asked But Declined",
}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def answer_code(item_number: int, label: str) -> str:
    """An option's code, from its item and its words: ``10-hardly-ever``."""
    return f"{item_number}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}"


def _answer_item(result: ScreeningResult, index: int) -> dict[str, Any]:
    answer = result.answers[index]
    instrument = result.instrument
    return {
        "linkId": str(answer.item.number),
        "text": answer.item.text,
        "answer": [
            {
                "valueCoding": {
                    "extension": [{"url": ORDINAL_VALUE, "valueDecimal": answer.score}],
                    "system": f"{LOCAL_SYSTEM}:{instrument.id}-{instrument.version}-answers",
                    "code": answer_code(answer.item.number, answer.option.label),
                    "display": answer.option.label,
                }
            }
        ],
    }


def _observation(code: dict[str, str], authored: str, **fields: Any) -> dict[str, Any]:
    """A final survey Observation of ``code`` at ``authored``, with its value and the rest."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [code], "text": code["display"]},
        "effectiveDateTime": authored,
        **fields,
    }


def _by(patient: str) -> list[dict[str, str]]:
    """The performer of a self-report: the person who answered."""
    return [{"reference": patient}]


def _subscale(sub: SubscaleResult, authored: str, ids: dict[str, str]) -> dict[str, Any]:
    """A subscale (the EPDS-3A) as its own Observation, read against its research cut-off."""
    subscale = sub.subscale
    code = {
        "system": f"{LOCAL_SYSTEM}:scores",
        "code": subscale.id,
        "display": f"{subscale.label}, items {', '.join(map(str, subscale.items))}",
    }
    verdict = english(sub.verdict, threshold=subscale.threshold)
    return _observation(
        code,
        authored,
        performer=_by(ids["patient"]),
        valueInteger=sub.score,
        interpretation=[
            {
                "coding": [
                    {
                        "system": INTERPRETATION,
                        "code": "POS" if sub.flagged else "NEG",
                        "display": "Positive" if sub.flagged else "Negative",
                    }
                ],
                "text": verdict,
            }
        ],
        note=[{"text": f"Screening, not diagnosis. {subscale.source}"}],
        derivedFrom=[{"reference": ids["response"]}],
    )


def _safety_flag(
    result: ScreeningResult, authored: str, response_id: str, patient: str
) -> dict[str, Any]:
    """The safety item's flag as its own Observation, so that a receiving record never sees
    only a low total for a person who reported thoughts of self-harm."""
    instrument = result.instrument
    rule = instrument.safety_rule
    answer = result.safety_answer
    code = {
        "system": f"{LOCAL_SYSTEM}:scores",
        "code": f"{instrument.id}-item{rule.item}-flag",
        "display": f"{instrument.short_title} item {rule.item} (thoughts of self-harm) flag",
    }
    flagged = result.safety_flag
    return _observation(
        code,
        authored,
        performer=_by(patient),
        valueBoolean=flagged,
        interpretation=[
            {
                "coding": [
                    {
                        "system": INTERPRETATION,
                        "code": "POS" if flagged else "NEG",
                        "display": "Positive" if flagged else "Negative",
                    }
                ],
                "text": (
                    "Positive: assess risk today, whatever the total score."
                    if flagged
                    else "Negative"
                ),
            }
        ],
        note=[
            {
                "text": f"Item {rule.item} \u201c{answer.item.text}\u201d answered "
                f"\u201c{answer.option.label}\u201d (score {answer.score}). {rule.source}"
            }
        ],
        derivedFrom=[{"reference": response_id}],
    )


def _weeks(weeks: int) -> dict[str, Any]:
    return {"value": weeks, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}


def context_observations(context: Context, authored: str) -> list[dict[str, Any]]:
    """The answer to the question before the items as its own Observations (none when it was
    not answered); the module docstring says which codes and why."""
    said = describe(context, english, english_plural)
    note = [{"text": f"Self-reported before the EPDS: {said}. It does not change the score."}]
    match context:
        case Context(Status.PREGNANT, weeks):
            status = {"valueCodeableConcept": {"coding": [PREGNANT], "text": "Pregnant"}}
            observations = [_observation(PREGNANCY_STATUS, authored, **status)]
            if weeks is not None:
                age = {"valueQuantity": _weeks(weeks)}
                observations.append(_observation(GESTATIONAL_AGE, authored, **age))
        case Context(Status.POSTPARTUM, weeks):
            birth = {"valueBoolean": True}
            observations = [_observation(BIRTH_IN_PAST_YEAR, authored, **birth)]
            if weeks is not None:
                since = {"valueQuantity": _weeks(weeks)}
                observations.append(_observation(WEEKS_SINCE_BIRTH, authored, **since))
        case Context(Status.NEITHER):
            status = {"valueCodeableConcept": {"coding": [NOT_PREGNANT], "text": "Not pregnant"}}
            observations = [
                _observation(PREGNANCY_STATUS, authored, **status),
                _observation(BIRTH_IN_PAST_YEAR, authored, valueBoolean=False),
            ]
        case Context(Status.LOSS):
            observations = [_observation(LOSS_IN_PAST_YEAR, authored, valueBoolean=True)]
        case Context(Status.PREFER_NOT_TO_SAY):
            declined = {"dataAbsentReason": {"coding": [ASKED_DECLINED], "text": said}}
            observations = [_observation(CONTEXT_QUESTION, authored, **declined)]
        case _:
            return []
    return [observation | {"note": note} for observation in observations]


def _languages_text(instrument_language: str, administration: Administration) -> str:
    """Which text the items were in and which language the patient read the page in, in
    English, the items' text in the clinician side's words (``items_in_words``)."""
    recorded, read_in = administration.items, administration.read_in
    items = (
        items_in_words(recorded, english, "en")
        if recorded
        else language_name(instrument_language, "en")
    )
    if read_in is None:
        text = f"Items read in {items}; the result code does not record the interface language."
    else:
        text = f"Items read in {items}; interface in {language_name(read_in, 'en')}."
    if recorded is not None and recorded.installed is None:
        text = f"{text} {english(TEXT_NOT_INSTALLED)}"
    return text


def _items_text_extension(administration: Administration) -> list[dict[str, Any]]:
    """The translation the items were read in, named: its language and fingerprint, and for a
    text installed here its source, version and status (none for a code before version 5)."""
    recorded = administration.items
    if recorded is None:
        return []
    parts: list[dict[str, Any]] = [
        {"url": "language", "valueCode": recorded.language},
        {"url": "fingerprint", "valueString": recorded.fingerprint},
        {"url": "installed", "valueBoolean": recorded.installed is not None},
    ]
    provenance = recorded.installed.provenance if recorded.installed else None
    if provenance is not None:
        parts += [
            {"url": "source", "valueString": provenance.source.citation},
            {"url": "version", "valueString": provenance.source.version},
            {"url": "status", "valueString": provenance.status},
        ]
    return [{"url": ITEMS_TEXT_EXTENSION, "extension": parts}]


def _mode_extension(mode: Mode | None) -> list[dict[str, Any]]:
    """How the screening was given (none for a code before version 5, which does not say)."""
    if mode is None:
        return []
    coding = {"system": MODE_SYSTEM, "code": mode.value, "display": english(MODE_LABELS[mode])}
    return [{"url": MODE_EXTENSION, "valueCoding": coding}]


# Where and how the answers were given, for the panel's note ({clinic} is the clinic's name).
COMPLETED_ON = {
    None: "Self-reported on the screening page of {clinic}.",
    Mode.ONLINE: "Self-reported on the screening page of {clinic}.",
    Mode.PAPER: "Self-reported on the paper form of {clinic}, entered by its staff.",
    Mode.INTERVIEW: (
        "Answered in an interview at {clinic}: the items were read aloud by a clinician or "
        "interpreter."
    ),
}


def build_bundle(
    result: ScreeningResult,
    completed_at: datetime,
    clinic: Clinic,
    context: Context = NOT_GIVEN,
    administration: Administration = NOT_RECORDED,
) -> dict[str, Any]:
    """The screening as FHIR R4 JSON (a dict ready for json.dumps); ``administration`` is how it
    was given, as far as the result code records it: the interface language the patient read
    the page in, the items' text and the mode."""
    instrument = result.instrument
    names = ("response", "patient", "panel", "total", "flag")
    ids = {name: f"urn:uuid:{uuid.uuid4()}" for name in names}
    subscale_ids = [f"urn:uuid:{uuid.uuid4()}" for _ in result.subscales]
    authored = _instant(completed_at)
    patient = ids["patient"]
    total_code = {
        "system": f"{LOCAL_SYSTEM}:scores",
        "code": f"{instrument.id}-total",
        "display": f"{instrument.short_title} total score",
    }
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        # The language of the items as read; the translation itself is named in the extension.
        "language": administration.items.language if administration.items else instrument.language,
        # Not LOINC's form canonical (http://loinc.org/q/71354-5): that form has its own item
        # identifiers and LA answer codes, none verified here (README, "FHIR").
        "questionnaire": f"{LOCAL_SYSTEM}:questionnaire:{instrument.id}-{instrument.version}",
        "status": "completed",
        "authored": authored,
        "author": {"reference": patient},
        "source": {"reference": patient},
        "item": [
            *(_answer_item(result, index) for index in range(len(result.answers))),
            {
                "linkId": "total",
                "text": f"{instrument.short_title} total score",
                "answer": [{"valueInteger": result.total}],
            },
        ],
    }
    # FHIR allows no empty arrays: the extensions only when the code records something.
    extensions = [*_items_text_extension(administration), *_mode_extension(administration.mode)]
    if extensions:
        response["extension"] = extensions
    total = _observation(
        total_code,
        authored,
        performer=_by(patient),
        valueInteger=result.total,
        # Never the lowest band's name beside a positive safety item.
        interpretation=[{"text": band_text(result, english)}],
        note=[{"text": "Screening, not diagnosis."}],
        derivedFrom=[{"reference": ids["response"]}],
    )
    flag = _safety_flag(result, authored, ids["response"], patient)
    subscales = [_subscale(sub, authored, ids) for sub in result.subscales]
    completed_on = COMPLETED_ON[administration.mode].format(clinic=clinic.name)
    panel = _observation(
        EPDS_PANEL,
        authored,
        performer=_by(patient),
        hasMember=[
            {"reference": ids["total"]},
            {"reference": ids["flag"]},
            *({"reference": url} for url in subscale_ids),
        ],
        derivedFrom=[{"reference": ids["response"]}],
        note=[{"text": f"{completed_on} {_languages_text(instrument.language, administration)}"}],
    )
    panel["code"]["text"] = instrument.title
    context_entries = [
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": observation}
        for observation in context_observations(context, authored)
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(datetime.now(UTC)),
        "entry": [
            {"fullUrl": ids["response"], "resource": response},
            {"fullUrl": ids["panel"], "resource": panel},
            {"fullUrl": ids["total"], "resource": total},
            {"fullUrl": ids["flag"], "resource": flag},
            *(
                {"fullUrl": url, "resource": observation}
                for url, observation in zip(subscale_ids, subscales, strict=True)
            ),
            # The person who answered, without identity: the export holds none.
            {"fullUrl": patient, "resource": {"resourceType": "Patient"}},
            *context_entries,
        ],
    }
