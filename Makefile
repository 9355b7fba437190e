# U4SSC Intake: `make run` serves the portal, `make test` runs the whole suite.
# Every target is idempotent: run it as often as you like.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test system-deps translations db worker lint migration bench bench-scale audit demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

system-deps:
	@bash .ci/system-deps.sh || echo "warning: could not install Debian packages (fonts, chromium); PDFs and browser tests may be incomplete"

translations: install
	$(BIN)/flask i18n compile

db: install
	mkdir -p instance
	$(BIN)/flask db upgrade

run: system-deps install translations db
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask run --host $(HOST) --port $(PORT)

worker: install translations
	$(BIN)/flask rq worker

lint: install-test
	$(BIN)/ruff check .

test: system-deps install-test translations
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

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

# Checks every installed package against the Python Packaging Advisory Database (needs
# access to PyPI's JSON API or OSV).
audit: install-test
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --skip-editable

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
