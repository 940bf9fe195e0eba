# Two commands on a fresh machine: `make run` and `make test`. Paths may contain spaces: every
# path below is relative or quoted.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format ci bench screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv "$(VENV)" || python3 -m venv "$(VENV)"
	"$(BIN)/python" -m pip install --quiet --upgrade pip

# Reinstalled when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	"$(BIN)/python" -m pip install --quiet -e ".[test]"
	touch "$(VENV)/.installed"

## make run: migrate, load the demo data (idempotent), serve on http://$(HOST):$(PORT)/ and run a
## task worker (e-mails, notifications) beside it; Ctrl-C stops both
run: $(VENV)/.installed
	DEBUG=1 "$(BIN)/python" manage.py migrate --no-input
	DEBUG=1 "$(BIN)/python" manage.py seed_demo
	@echo ""
	@echo "  Tracker is running at http://$(HOST):$(PORT)/"
	@echo "  Log in as demo / demo (admin), alice or bob (members), victor (viewer); password: demo"
	@echo "  Triage in the admin: http://$(HOST):$(PORT)/admin/"
	@echo ""
	@echo "  A task worker runs beside the server: e-mails are printed here."
	@echo ""
	@DEBUG=1 "$(BIN)/python" manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 "$(BIN)/python" manage.py runserver "$(HOST):$(PORT)"

## make test: every test, browser tests included; SQLite unless DATABASE_URL says PostgreSQL.
## Extra pytest arguments: make test PYTEST_ARGS="tests/boards -x"
test: $(VENV)/.installed
	@"$(BIN)/python" -m pytest $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure." >&2; fi; \
	exit $$code

lint: $(VENV)/.installed
	"$(BIN)/ruff" check .
	"$(BIN)/ruff" format --check .

format: $(VENV)/.installed
	"$(BIN)/ruff" check --fix .
	"$(BIN)/ruff" format .

## make ci: what CI runs (tests on SQLite and PostgreSQL, lint, migrations, deploy checks)
ci:
	./.ci/run

## make bench: the performance table, on a throw-away database next to DATABASE_URL's
## (BENCH_ARGS="--quick", "--only board,move", "--keep", "--help"); also bench/results.json
bench: $(VENV)/.installed
	"$(BIN)/python" -m bench $(BENCH_ARGS)

## make screenshot: refresh docs/screenshots/ from the demo data in headless Chromium
screenshot: $(VENV)/.installed
	"$(BIN)/python" scripts/screenshot.py

clean:
	rm -rf "$(VENV)" staticfiles .pytest_cache .ruff_cache
