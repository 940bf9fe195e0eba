# Two commands on a fresh machine: `make run` and `make test`. Paths may contain spaces.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv "$(VENV)" || python3 -m venv "$(VENV)"
	"$(BIN)/python" -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	"$(BIN)/python" -m pip install --quiet -e ".[test]"
	touch "$(VENV)/.installed"

run: $(VENV)/.installed
	DEBUG=1 "$(BIN)/python" manage.py migrate --no-input
	DEBUG=1 "$(BIN)/python" manage.py seed_demo
	@echo ""
	@echo "  Tracker is running at http://$(HOST):$(PORT)/"
	@echo "  Log in as demo / demo (admin), alice or bob (members), victor (viewer); password: demo"
	@echo "  Triage in the admin: http://$(HOST):$(PORT)/admin/"
	@echo ""
	DEBUG=1 "$(BIN)/python" manage.py runserver "$(HOST):$(PORT)"

test: $(VENV)/.installed
	"$(BIN)/python" -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	"$(BIN)/ruff" check .
	"$(BIN)/ruff" format --check .

bench: $(VENV)/.installed
	"$(BIN)/python" manage.py bench $(BENCH_ARGS)

screenshot: $(VENV)/.installed
	"$(BIN)/python" scripts/screenshot.py

clean:
	rm -rf "$(VENV)" staticfiles .pytest_cache .ruff_cache
