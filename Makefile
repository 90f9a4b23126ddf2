# NAKIP — two commands on a fresh clone: `make demo` (the main job) and `make test` (everything).
# Both create .venv and install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean help

help:
	@echo "make demo   - install, then run the virtual NAKIP-AML trial end to end (nakip demo, SQLite)"
	@echo "make test   - install, then lint and run the whole test suite (SQLite, PostgreSQL, browser)"
	@echo "make bench  - run the benchmarks in bench/ (ratios against a peer measured in the same run)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nakip demo

test: $(STAMP)
	bash scripts/run-tests.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) nakip-data .pytest_cache .ruff_cache build src/*.egg-info
