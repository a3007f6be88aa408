"""FHIR R4 export: a collection Bundle with the QuestionnaireResponse and Observations. Pure.

Codes: the EPDS panel is LOINC 71354-5 (confirmed by two sources in the reference). The
reference marks the total-score code 99046-5 and every item-level and answer code (LA codes) as
unverified, so the total and the answers use local code systems below, named as ours, until a
clinic verifies the LOINC codes. Each answer carries its score in the R4 ``ordinalValue``
extension.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from screening.clinic import Clinic
from screening.scoring import ScreeningResult

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


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
                    "code": f"{answer.item.number}.{answer.option_index}",
                    "display": answer.option.label,
                }
            }
        ],
    }


def _safety_flag(result: ScreeningResult, authored: str, response_id: str) -> dict[str, Any]:
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
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [code], "text": code["display"]},
        "effectiveDateTime": authored,
        "valueBoolean": flagged,
        "interpretation": [
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
        "note": [
            {
                "text": f"Item {rule.item} \u201c{answer.item.text}\u201d answered "
                f"\u201c{answer.option.label}\u201d (score {answer.score}). {rule.source}"
            }
        ],
        "derivedFrom": [{"reference": response_id}],
    }


def build_bundle(result: ScreeningResult, completed_at: datetime, clinic: Clinic) -> dict[str, Any]:
    """The screening as FHIR R4 JSON (a dict ready for json.dumps)."""
    instrument = result.instrument
    ids = {name: f"urn:uuid:{uuid.uuid4()}" for name in ("response", "panel", "total", "flag")}
    authored = _instant(completed_at)
    total_code = {
        "system": f"{LOCAL_SYSTEM}:scores",
        "code": f"{instrument.id}-total",
        "display": f"{instrument.short_title} total score",
    }
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{LOCAL_SYSTEM}:questionnaire:{instrument.id}-{instrument.version}",
        "status": "completed",
        "authored": authored,
        "item": [
            *(_answer_item(result, index) for index in range(len(result.answers))),
            {
                "linkId": "total",
                "text": f"{instrument.short_title} total score",
                "answer": [{"valueInteger": result.total}],
            },
        ],
    }
    total = {
        "resourceType": "Observation",
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [total_code], "text": total_code["display"]},
        "effectiveDateTime": authored,
        "valueInteger": result.total,
        "interpretation": [{"text": result.band.label}],
        "note": [{"text": "Screening, not diagnosis."}],
        "derivedFrom": [{"reference": ids["response"]}],
    }
    flag = _safety_flag(result, authored, ids["response"])
    panel = {
        "resourceType": "Observation",
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [EPDS_PANEL], "text": instrument.title},
        "effectiveDateTime": authored,
        "performer": [{"display": clinic.name}],
        "hasMember": [{"reference": ids["total"]}, {"reference": ids["flag"]}],
        "derivedFrom": [{"reference": ids["response"]}],
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(datetime.now(UTC)),
        "entry": [
            {"fullUrl": ids["response"], "resource": response},
            {"fullUrl": ids["panel"], "resource": panel},
            {"fullUrl": ids["total"], "resource": total},
            {"fullUrl": ids["flag"], "resource": flag},
        ],
    }
