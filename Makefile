# Two commands matter: `make demo` and `make test`. Both create .venv and install the
# project into it on first use; the install is skipped while pyproject.toml is unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?= -n auto --junitxml=reports/junit.xml

.PHONY: demo test install system-deps lint typecheck bench clean

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing matrix with its dependencies (first run takes about a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,analytics]'
	@touch $(STAMP)

install: $(STAMP)

# `make demo SERVE=0` does everything but serve the dashboards (for automation).
demo: install
	@$(BIN)/matrix demo $(if $(filter 0,$(SERVE)),--no-serve,)

# The suite runs first (its JUnit file feeds the pre-production gate), then the shipped gates
# against a throwaway PostgreSQL store; both always run, and either failing fails the target.
test: install system-deps
	@status=0; \
	$(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	echo "==> quality gates (reports/gates/test-<time>/)"; \
	$(BIN)/python -m matrix.testing.postgres -- $(BIN)/matrix gate run --all --run-id test-$$(date -u +%Y%m%dT%H%M%SZ) || status=$$?; \
	exit $$status

# System packages the tests need, from Debian's registry when missing and we may (root with
# apt-get): PostgreSQL server binaries (initdb, pg_ctl) for the PostgreSQL tests, and Chromium
# with its driver for the browser tests. Otherwise say how; the tests then skip locally (CI fails).
system-deps:
	@missing=""; \
	if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing="postgresql"; fi; \
	if ! command -v chromium >/dev/null 2>&1; then missing="$$missing chromium chromium-driver"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> installing system packages:$$missing (apt-get, about 30 s)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: missing system packages:$$missing; install them (apt-get install$$missing) to run every test"; \
	  fi; \
	fi

lint: install
	@$(BIN)/ruff check matrix dashboards tests benchmarks
	@$(BIN)/ruff format --check matrix dashboards tests benchmarks

typecheck: install
	@$(BIN)/mypy

bench: install
	@$(BIN)/python benchmarks/bench_storage.py

clean:
	rm -rf $(VENV) var/*.duckdb var/*.duckdb.wal var/*.lock
