# U4SSC Intake: `make run` serves the portal, `make test` runs the whole suite.
# Every target is idempotent: run it as often as you like.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test lock system-deps translations db worker lint migration bench bench-scale bench-slow-line audit demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools

# Dependencies come from the lock files (exact versions, checked by hash); `make lock`
# writes them again from pyproject.toml after a dependency changes.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements-test.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps -e '.[test]'
	touch $(VENV)/.installed $@

LOCK_OPTIONS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	--no-emit-find-links

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile $(LOCK_OPTIONS) --output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra test --output-file requirements-test.lock \
		pyproject.toml

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

system-deps:
	@bash .ci/system-deps.sh || echo "warning: could not install Debian packages (fonts, chromium); PDFs and browser tests may be incomplete"

translations: install
	$(BIN)/flask i18n compile

db: install
	mkdir -p instance
	$(BIN)/flask db upgrade

# E-mailed and printed links follow the port (unless PUBLIC_BASE_URL says otherwise).
RUN_BASE_URL = PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}"

run: system-deps install translations db
	$(RUN_BASE_URL) $(BIN)/flask demo load --if-empty
	$(RUN_BASE_URL) $(BIN)/flask run --host $(HOST) --port $(PORT)

worker: install translations
	$(BIN)/flask rq worker

lint: install-test
	$(BIN)/ruff check .

# One pytest process per core (pytest-xdist); each has its own PostgreSQL database, SQLite
# file, redis-server and Chromium, so they never share state. PYTEST_WORKERS=0 runs in one.
PYTEST_WORKERS ?= auto
test: system-deps install-test translations
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Writes a new revision from the difference between the models and the migrations so far.
# Run after changing a model; review the result (data moves are written by hand).
migration: install
	rm -f /tmp/u4ssc-migration.db
	DATABASE_URL=sqlite:////tmp/u4ssc-migration.db $(BIN)/flask db upgrade
	DATABASE_URL=sqlite:////tmp/u4ssc-migration.db $(BIN)/flask db migrate -m "$(or $(MSG),schema change)"
	rm -f /tmp/u4ssc-migration.db

# Loads the portal and a bare-Flask baseline under gunicorn with wrk; prints the ratios
# and keeps the table in bench/RESULTS.md.
bench: system-deps install-test translations
	$(BIN)/python -m bench.run --write-results $(BENCH_ARGS)
	$(BIN)/python -m bench.run --write-results $(BENCH_ARGS) \
		--database-url $${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		--only "wizard step save,assistant turn (JSON API)"
	$(MAKE) bench-scale

# Every list, export and comparison page at 1 000 and 10 000 cities on PostgreSQL (fresh
# databases bench_scale_<N> on the server of BENCH_POSTGRES_URL); takes about 15 minutes.
bench-scale: install-test translations
	$(BIN)/python -m bench.scale --json bench/scale-results.json $(BENCH_SCALE_ARGS) \
		--database-url $${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}

# A phone on a 400 kbps / 400 ms line in Chromium: bytes per page, first paint, round trips
# of a warm step and a draft save (BENCH_ARGS="--before <commit>" compares with an older one).
bench-slow-line: system-deps install-test translations
	$(BIN)/python -m bench.slow_line --write-results $(BENCH_ARGS)

# Checks every installed package against the Python Packaging Advisory Database (needs
# access to PyPI's JSON API or OSV).
audit: install-test
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --skip-editable

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
