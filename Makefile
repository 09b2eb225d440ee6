# Each target bootstraps .venv when it is missing or pyproject.toml changed.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ARGS ?=

.PHONY: report test lab bench accuracy clean browser lint

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "auditlib needs Python 3.11 or newer; install it and run make again." >&2; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded]'
	@touch $(STAMP)

## make report: full audit report of the embedded ProductionOS demo (database + migration folder) into reports/
report: $(STAMP)
	$(BIN)/auditlib report --demo $(ARGS)
	$(BIN)/auditlib report --migrations auditlib/demo/migrations $(ARGS)

## make test: the test suite against the embedded PostgreSQL (and the other versions at hand), on TEST_WORKERS
## workers (each with its own server; a test file stays on one worker so its shared fixtures are built once)
TEST_WORKERS ?= 3
test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(ARGS)

## make lab: JupyterLab on the notebooks, with the demo database running
lab: $(STAMP)
	$(BIN)/auditlib demo start
	AUDITLIB_HISTORY=$(CURDIR)/reports/history.db $(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

## make bench: speed and memory figures, side by side with the peers (pgrls), into reports/bench.json
PEERS := $(VENV)/peers
PEERS_STAMP := $(PEERS)/.installed-stamp
bench: $(STAMP) $(PEERS_STAMP)
	AUDITLIB_PEERS_BIN=$(CURDIR)/$(PEERS)/bin $(BIN)/python -m auditlib.bench $(ARGS)

# The bench extra goes into its own environment: its pins (pgrls wants pglast < 8) must not change auditlib's.
$(PEERS_STAMP): pyproject.toml $(STAMP)
	@test -x $(PEERS)/bin/python || $(BIN)/python -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet $$($(BIN)/python -c 'import tomllib; \
		print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))')
	@touch $(PEERS_STAMP)

## make accuracy: precision and recall of the checks on the fixture corpus (tests/corpus), into reports/accuracy.json
## (ARGS="--fixtures pagila_like,prisma_blog" scores a few)
accuracy: $(STAMP)
	$(BIN)/python -m auditlib.accuracy $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check auditlib tests

## browser tests need Debian's chromium: install it when absent and we are root, else the tests skip with a reason
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's chromium for the browser tests..."; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
				|| echo "Could not install chromium: browser tests will be skipped."; \
		else \
			echo "chromium is not installed and we are not root: browser tests will be skipped."; \
		fi; \
	fi

clean:
	-@test -x $(BIN)/auditlib && $(BIN)/auditlib demo stop || true
	rm -rf $(VENV) reports/*.html reports/*.ipynb reports/*.json .pytest_cache build *.egg-info
