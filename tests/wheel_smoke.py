"""Run by tests/test_wheel_install.py with the Python of a fresh virtual environment, in a folder
outside the checkout that holds copies of this file and the test helpers: the installed wheel
alone must serve every kind of page. Prints one JSON object: where screening was imported from
and what each request answered.
"""

from __future__ import annotations

import json
import re
import sys

import screening
from screening import create_app
from tests.helpers import TEST_APP_SETTINGS
from tools.testkit import answers_form, hidden_fields


def main() -> None:
    client = create_app(TEST_APP_SETTINGS).test_client()
    seen: dict[str, list[object]] = {}

    def note(name: str, response: object) -> None:
        seen[name] = [response.status_code, response.mimetype, len(response.data)]

    note("questionnaire", client.get("/?lang=uk"))
    result = client.post("/?lang=uk", data=answers_form(dict.fromkeys(range(1, 11), 1)))
    note("result", result)
    page = result.get_data(as_text=True)
    fields = hidden_fields(page)
    note("pdf", client.post("/result.pdf?lang=uk", data=fields))
    note("fhir", client.post("/result.fhir.json", data=fields))
    code = re.search(r'id="result-code">([^<]+)<', page)[1]
    restored = client.post("/intake", data={"code": code})
    note("intake restore", restored)
    note("series pdf", client.post("/intake/series.pdf", data={"code": f"{code}\n{code}"}))
    note("static", client.get("/static/style.css"))
    note("about", client.get("/about"))
    note("not found", client.get("/no-such-page"))
    print(
        json.dumps(
            {
                "screening": screening.__file__,
                "python": sys.prefix,
                "responses": seen,
                "restored total": 'id="total-score"' in restored.get_data(as_text=True),
                "pdf starts": client.post("/result.pdf", data=fields).data[:5].decode(),
            }
        )
    )


if __name__ == "__main__":
    main()
