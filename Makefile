# Two commands matter: `make demo` and `make test`. Both create .venv and install the
# project into it on first use; the install is skipped while pyproject.toml is unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?= -n auto

.PHONY: demo test install lint typecheck bench clean

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing matrix with its dependencies (first run takes about a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	@$(BIN)/matrix demo

test: install
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	@$(BIN)/ruff check matrix tests benchmarks
	@$(BIN)/ruff format --check matrix tests benchmarks

typecheck: install
	@$(BIN)/mypy

bench: install
	@$(BIN)/python benchmarks/bench_storage.py

clean:
	rm -rf $(VENV) var/*.duckdb var/*.duckdb.wal var/*.lock
