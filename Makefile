# Parcours — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: help install demo serve migrate test lint typecheck unit e2e chromium bench messages clean

help:
	@echo "make demo   — install, migrate the embedded SQLite database, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   — install and run everything: ruff, mypy, import-linter, migrations check, pytest (incl. browser tests)"
	@echo "make bench  — run the benchmarks under bench/ (figures go to docs/benchmarks.md)"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3" "setuptools==80.9.0"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate messages
	$(PY) manage.py load_demo --if-empty
	@echo ""
	@echo "Parcours: http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@echo "Demo logins — password for all: parcours-demo"
	@echo "  IDEC (coordination nurse) : idec          Oncologist        : oncologue"
	@echo "  IDEC of the HAD (planner) : idec.had      (also: logisticien)"
	@echo "  HAD physician             : medecin.had   Liaison nurse     : ide.liaison"
	@echo "  HAD nurse                 : ide.had       Liberal nurse     : idel"
	@echo "  Pharmacist                : pharmacien    Logistician       : logisticien"
	@echo "  GP                        : generaliste   Admin coordinator : secretaire"
	@echo "  Management                : direction     Privacy officer   : dpo"
	@echo "  Administrator             : admin"
	@$(MAKE) --no-print-directory serve

# The web server and the background worker (planning runs, notifications) together; Ctrl-C stops both.
serve: install
	@$(PY) manage.py run_huey --workers 1 --worker-type process --quiet & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

# Compiled catalogs (.mo) are committed; recompile when gettext's msgfmt is available.
messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v0; fi

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/mypy parcours config bench
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/mypy --strict --exclude '/tests/' \
	  parcours/datakit.py parcours/optimiser parcours/pathways/engine.py parcours/patients/ins.py parcours/treatments parcours/screening parcours/monitoring parcours/education \
	  parcours/fasttrack/pathways.py parcours/fasttrack/completeness.py parcours/fasttrack/uploads.py

unit: install messages
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -m "not e2e and not guardless"

e2e: install messages chromium
	DJANGO_SETTINGS_MODULE=config.settings.test PARCOURS_AUDIT_DB_GUARD=false $(PY) -m pytest -m "e2e or guardless"

test: lint typecheck unit e2e

bench: install
	$(PY) bench/pathway_engine.py
	$(PY) bench/pages.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
