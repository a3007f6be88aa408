# Every target creates the virtual environment and installs what it needs, so a fresh clone works.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $(STAMP)

## run: serve the app on http://127.0.0.1:5000 with built-in defaults (development key in instance/)
run: $(STAMP)
	SCREENING_DEVELOPMENT=1 $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

## test: run the whole suite (unit, views, PDF, gunicorn and browser tests) and the lint checks
test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache build
