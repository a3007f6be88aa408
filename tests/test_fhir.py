"""FHIR export: the bundle validates against the fhir.resources models and says what it should."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from screening.core.administration import Administration
from screening.core.clinic import clinic_from_config
from screening.core.context import NOT_ASKED, NOT_GIVEN, Context, Status
from screening.core.scoring import score
from screening.documents.fhir import build_bundle
from screening.web.config import DEFAULTS
from tests.helpers import indexes_for_scores, result_code_form
from tools.testkit import answers_form, hidden_fields

ANSWERS = {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 2, 7: 3, 8: 0, 9: 1, 10: 2}
MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def bundle(epds) -> dict:
    return build_bundle(score(epds, ANSWERS), MOMENT, clinic_from_config(DEFAULTS))


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_bundle_validates_against_the_fhir_models(bundle):
    # fhir.resources ships R4B and R5 models; QuestionnaireResponse, Observation and Bundle are
    # the same in R4 and R4B.
    parsed = Bundle.model_validate(bundle)
    assert [entry.resource.get_resource_type() for entry in parsed.entry] == [
        "QuestionnaireResponse",
        "Observation",
        "Observation",
        "Observation",
        "Observation",
        "Patient",
    ]


@pytest.mark.parametrize(
    "break_it",
    [
        lambda response: response.update(authored="yesterday"),
        lambda response: response["item"][0]["answer"][0].update(valueInteger="three"),
        lambda response: response.update(answers=[]),
    ],
    ids=["bad date", "bad value type", "unknown element"],
)
def test_the_validation_is_real(bundle, break_it):
    break_it(bundle["entry"][0]["resource"])
    with pytest.raises(ValidationError):
        Bundle.model_validate(bundle)


def test_questionnaire_response_items_carry_answer_and_score(bundle, epds):
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed"
    assert response["authored"] == "2026-11-20T09:30:00Z"
    items = {item["linkId"]: item for item in response["item"]}
    result = score(epds, ANSWERS)
    for answer in result.answers:
        coding = items[str(answer.item.number)]["answer"][0]["valueCoding"]
        assert coding["display"] == answer.option.label
        (ordinal,) = coding["extension"]
        assert ordinal["url"] == "http://hl7.org/fhir/StructureDefinition/ordinalValue"
        assert ordinal["valueDecimal"] == answer.score
    assert items["total"]["answer"] == [{"valueInteger": result.total}]


def test_observations_use_the_confirmed_loinc_panel_and_a_local_total_code(bundle, epds):
    panel, total, _flag, _anxiety = resources(bundle, "Observation")
    assert panel["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "71354-5",
        "display": "Edinburgh Postnatal Depression Scale [EPDS]",
    }
    assert total["code"]["coding"][0]["system"].startswith("urn:screening:")
    assert "99046-5" not in json.dumps(bundle)  # unverified in the reference: not used
    assert total["valueInteger"] == score(epds, ANSWERS).total
    assert panel["hasMember"] == [
        {"reference": bundle["entry"][2]["fullUrl"]},
        {"reference": bundle["entry"][3]["fullUrl"]},
        {"reference": bundle["entry"][4]["fullUrl"]},
    ]


@pytest.mark.parametrize(("item_10", "flagged"), [(2, True), (3, False)])
def test_the_safety_flag_is_its_own_observation(epds, item_10, flagged):
    answers = ANSWERS | {10: item_10}
    bundle = build_bundle(score(epds, answers), MOMENT, clinic_from_config(DEFAULTS))
    Bundle.model_validate(bundle)
    flag = resources(bundle, "Observation")[2]
    assert flag["code"]["coding"][0]["code"] == "epds-item10-flag"
    assert flag["valueBoolean"] is flagged
    (interpretation,) = flag["interpretation"]
    assert interpretation["coding"][0]["code"] == ("POS" if flagged else "NEG")
    option = epds.item(10).options[item_10].label
    assert f"answered \u201c{option}\u201d" in flag["note"][0]["text"]
    assert flag["derivedFrom"] == [{"reference": bundle["entry"][0]["fullUrl"]}]


def test_download_from_the_clinicians_view_only(client, app):
    page = client.post("/", data=answers_form(ANSWERS)).get_data(as_text=True)
    assert "Download FHIR (JSON)" not in page  # the patient's page
    code = re.search(r'id="result-code">([^<]+)<', page)[1]
    restored = client.post("/intake", data={"code": code}).get_data(as_text=True)
    assert "Download FHIR (JSON)" in restored
    response = client.post("/result.fhir.json", data=hidden_fields(restored))
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store, no-transform"
    assert response.headers["Content-Disposition"].endswith('.fhir.json"')
    Bundle.model_validate(response.get_json())


def test_tampered_fhir_post_gets_400(app, client):
    code = result_code_form(app, ANSWERS)["result_code"]
    data = {"result_code": code[:5] + ("0" if code[5] != "0" else "1") + code[6:]}
    assert client.post("/result.fhir.json", data=data).status_code == 400


def test_the_fhir_export_names_the_clinic_as_the_page_does(make_app):
    app = make_app(CLINIC_NAME_UK="Клініка Тест")
    client = app.test_client()
    fields = result_code_form(app, ANSWERS)
    for language, name in (("uk", "Клініка Тест"), ("en", DEFAULTS["CLINIC_NAME"])):
        bundle = client.post(f"/result.fhir.json?lang={language}", data=fields).get_json()
        panel = resources(bundle, "Observation")[0]
        assert f"Self-reported on the screening page of {name}." in panel["note"][0]["text"]


# The question before the items: Observations of their own, never QuestionnaireResponse items.

CONTEXT_OBSERVATIONS = [
    (NOT_GIVEN, []),
    (NOT_ASKED, []),
    (Context(Status.PREGNANT), [("http://loinc.org", "82810-3")]),
    (
        Context(Status.PREGNANT, 42),
        [("http://loinc.org", "82810-3"), ("http://loinc.org", "11884-4")],
    ),
    (Context(Status.POSTPARTUM), [("urn:screening:codesystem:context", "birth-in-past-year")]),
    (
        Context(Status.POSTPARTUM, 0),
        [
            ("urn:screening:codesystem:context", "birth-in-past-year"),
            ("urn:screening:codesystem:context", "weeks-since-birth"),
        ],
    ),
    (
        Context(Status.PREFER_NOT_TO_SAY),
        [("urn:screening:codesystem:context", "pregnant-or-birth-in-past-year")],
    ),
    (
        Context(Status.NEITHER),
        [
            ("http://loinc.org", "82810-3"),
            ("urn:screening:codesystem:context", "birth-in-past-year"),
        ],
    ),
]


def test_neither_is_not_pregnant_and_no_birth_in_the_past_year(epds):
    context = Context(Status.NEITHER)
    bundle = build_bundle(score(epds, ANSWERS), MOMENT, clinic_from_config(DEFAULTS), context)
    *_, status, birth = resources(bundle, "Observation")
    assert status["valueCodeableConcept"]["coding"][0]["code"] == "LA26683-5"  # Not pregnant
    assert birth["valueBoolean"] is False


@pytest.mark.parametrize(("context", "codes"), CONTEXT_OBSERVATIONS)
def test_the_context_is_its_own_observations_and_validates(epds, context, codes):
    bundle = build_bundle(score(epds, ANSWERS), MOMENT, clinic_from_config(DEFAULTS), context)
    Bundle.model_validate(bundle)
    observations = resources(bundle, "Observation")
    panel, total, _flag, _anxiety, *added = observations
    assert [(o["code"]["coding"][0]["system"], o["code"]["coding"][0]["code"]) for o in added] == (
        codes
    )
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert [item["linkId"] for item in response["item"]] == [*map(str, range(1, 11)), "total"]
    assert panel["hasMember"] == [
        {"reference": bundle["entry"][2]["fullUrl"]},
        {"reference": bundle["entry"][3]["fullUrl"]},
        {"reference": bundle["entry"][4]["fullUrl"]},
    ]  # the EPDS panel holds the EPDS only
    assert total["valueInteger"] == score(epds, ANSWERS).total
    for observation in added:
        assert observation["effectiveDateTime"] == "2026-11-20T09:30:00Z"
        assert observation["note"][0]["text"].startswith("Self-reported before the EPDS: ")


def test_pregnancy_uses_the_ips_pregnancy_status_and_gestational_age_in_weeks(epds):
    context = Context(Status.PREGNANT, 24)
    bundle = build_bundle(score(epds, ANSWERS), MOMENT, clinic_from_config(DEFAULTS), context)
    *_, status, age = resources(bundle, "Observation")
    assert status["valueCodeableConcept"]["coding"] == [
        {"system": "http://loinc.org", "code": "LA15173-0", "display": "Pregnant"}
    ]
    assert age["code"]["coding"][0]["display"] == "Gestational age Estimated"
    assert age["valueQuantity"] == {
        "value": 24,
        "unit": "wk",
        "system": "http://unitsofmeasure.org",
        "code": "wk",
    }
    assert "pregnant, 24 weeks" in age["note"][0]["text"]


def test_weeks_since_birth_carry_a_local_code_and_say_so_in_text(epds):
    context = Context(Status.POSTPARTUM, 6)
    bundle = build_bundle(score(epds, ANSWERS), MOMENT, clinic_from_config(DEFAULTS), context)
    *_, birth, weeks = resources(bundle, "Observation")
    assert birth["valueBoolean"] is True
    assert weeks["code"]["text"] == "Time since giving birth"
    assert weeks["valueQuantity"]["value"] == 6 and weeks["valueQuantity"]["code"] == "wk"
    assert "http://snomed.info/sct" not in json.dumps(bundle)  # unverified here: not used


def test_prefer_not_to_say_is_a_declined_answer_without_a_value(epds):
    context = Context(Status.PREFER_NOT_TO_SAY)
    bundle = build_bundle(score(epds, ANSWERS), MOMENT, clinic_from_config(DEFAULTS), context)
    *_, declined = resources(bundle, "Observation")
    assert not [key for key in declined if key.startswith("value")]
    assert declined["dataAbsentReason"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
            "code": "asked-declined",
            "display": "Asked But Declined",
        }
    ]


def test_a_positive_item_10_never_stands_beside_the_lowest_band_in_the_total(epds):
    answers = indexes_for_scores(epds, dict.fromkeys(range(1, 11), 0) | {10: 1})
    bundle = build_bundle(score(epds, answers), MOMENT, clinic_from_config(DEFAULTS))
    total = resources(bundle, "Observation")[1]
    (interpretation,) = total["interpretation"]
    assert "below the usual screening threshold" not in interpretation["text"].lower()
    assert "item 10 is positive: assess today" in interpretation["text"]


def test_the_patient_reports_and_the_clinic_performs_nothing(bundle):
    Bundle.model_validate(bundle)
    (patient,) = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert response["source"] == response["author"] == {"reference": patient["fullUrl"]}
    for observation in resources(bundle, "Observation"):
        assert observation["performer"] == [{"reference": patient["fullUrl"]}]


def test_answers_are_coded_by_option_and_scored_by_their_ordinal_value(epds):
    """Item 10's "Hardly ever" is option 2 and scores 1: its code must not read as a score."""
    answers = ANSWERS | {10: 2}
    bundle = build_bundle(score(epds, answers), MOMENT, clinic_from_config(DEFAULTS))
    (response,) = resources(bundle, "QuestionnaireResponse")
    item_10 = next(item for item in response["item"] if item["linkId"] == "10")
    coding = item_10["answer"][0]["valueCoding"]
    assert coding["code"] == "10-hardly-ever"
    assert coding["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 1}
    ]
    codes = [item["answer"][0]["valueCoding"]["code"] for item in response["item"][:-1]]
    assert len(set(codes)) == len(codes) and not any(re.fullmatch(r"[\d.]+", c) for c in codes)


def test_the_bundle_carries_the_languages_and_the_epds_3a(epds):
    anxious = ANSWERS | indexes_for_scores(epds, {3: 3, 4: 3, 5: 0})
    bundle = build_bundle(
        score(epds, anxious),
        MOMENT,
        clinic_from_config(DEFAULTS),
        administration=Administration("uk"),
    )
    Bundle.model_validate(bundle)
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert response["language"] == "en"
    panel, _total, _flag, anxiety = resources(bundle, "Observation")
    assert "Items read in English; interface in Ukrainian." in panel["note"][0]["text"]
    assert anxiety["code"]["coding"][0]["code"] == "epds-3a"
    assert anxiety["valueInteger"] == 6
    assert anxiety["interpretation"][0]["coding"][0]["code"] == "POS"
    assert "research cut-off of 5" in anxiety["interpretation"][0]["text"]
