# OneWindow — the two commands a newcomer needs:  `make demo`  and  `make test`.
# Everything they need (Python packages, npm assets, Debian's chromium) is installed here.

PY      := .venv/bin/python
BIN     := .venv/bin
STAMP_PY  := .venv/.installed
STAMP_NPM := node_modules/.installed

.PHONY: setup demo test lint bench bench-million

setup: $(STAMP_PY) $(STAMP_NPM)

$(STAMP_PY): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(STAMP_NPM): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Set up and run OneWindow with demo data on SQLite at http://127.0.0.1:5000
demo: setup
	$(BIN)/onewindow demo
	$(BIN)/onewindow serve --host 127.0.0.1 --port 5000

## Set up and pass the tests (lint, SQLite and PostgreSQL, real Chromium)
test: setup
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks (prints numbers; needs PostgreSQL for the PostgreSQL rows)
bench: setup
	$(PY) -m bench

## The PostgreSQL benchmark with reads over 1,000,000 generated cases
bench-million: setup
	$(PY) -m bench --postgresql-only --cases 1000000
