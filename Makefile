# `make test` and `make demo` set up .venv on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck unit clean

# The stamp is newer than pyproject.toml once the editable install matches it.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Bytecode at install, as a wheel's install has it: the environment may set
	# PYTHONDONTWRITEBYTECODE, and each run would compile homeward's sources again.
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

typecheck: $(STAMP)
	$(BIN)/mypy

# The tests run on every core (pytest-xdist): each makes its own temporary repositories, so
# they do not share state. `make unit JOBS=0` runs them in one process.
JOBS ?= auto
unit: $(STAMP)
	$(BIN)/pytest -n $(JOBS)

demo: $(STAMP)
	HOMEWARD=$(BIN)/homeward scripts/demo.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
