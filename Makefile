# The two commands: `make run` (demo app on SQLite) and `make test` (lint + every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# make run keeps its SQLite database and secret key in the checkout's instance/ folder.
export QA_APP_INSTANCE_PATH ?= $(CURDIR)/instance
# The demo's organisation, as customers see it, and its currency (make run only).
run: export QA_APP_ORGANISATION_NAME ?= Example Energy
run: export QA_APP_CURRENCY ?= EUR

.PHONY: run test lint bench docs screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/qa-app db upgrade
	$(BIN)/qa-app demo
	$(BIN)/qa-app serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

# Tests run on every core (pytest-xdist); the install tests stay together on one worker.
TEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/benchmarks -m benchmark -s

# The guide in docs/ as a website in site/; --strict fails on a broken link or a page left out.
docs: $(VENV)/.installed-dev
	$(BIN)/mkdocs build --strict --site-dir site

# Each role's main pages of the demo as PNGs for the guide (docs/images/screens/); needs chromium.
screenshots: $(VENV)/.installed-dev
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
