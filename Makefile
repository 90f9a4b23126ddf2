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
	@echo "==> 1/3 creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> 2/3 upgrading pip"
	$(BIN)/pip install --quiet --upgrade pip
	@echo "==> 3/3 installing NAKIP and its dependencies (a minute or two; pip shows each package)"
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "==> running nakip demo (its own folder ./nakip-demo; the EDC's ./nakip-data is never touched)"
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
	rm -rf $(VENV) nakip-demo .pytest_cache .ruff_cache build src/*.egg-info  # never nakip-data: real EDC data
