# cloudfw developer commands. Each target creates .venv from pyproject.toml when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cloudfw-installed

.PHONY: help venv lint fmt test demo bench clean

help:
	@echo "make demo   full audit of local stand-ins (moto + recorded Azure/GCP/host fixtures)"
	@echo "make test   lint (ruff, mypy --strict, import contracts) + the test suite"
	@echo "make lint   ruff check + ruff format --check + mypy --strict + lint-imports"
	@echo "make bench  benchmarks (ratios against jq / Prowler; never part of make test)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cloudfw needs Python 3.11+")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check cloudfw tests benchmarks
	$(BIN)/ruff format --check cloudfw tests benchmarks
	$(BIN)/mypy --strict cloudfw
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format cloudfw tests benchmarks
	$(BIN)/ruff check --fix cloudfw tests benchmarks

test: lint
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/cloudfw demo

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) reports build dist *.egg-info
