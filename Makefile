# Greenroom: `make demo` sets everything up and serves the portal on a demo
# organisation; `make test` runs the whole test suite (what .ci/run calls).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ORACLE := tests/oracle/node_modules/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/greenroom
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup demo test lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Backstage's own validators, the oracle for tests/catalog/test_descriptor_oracle.py.
$(ORACLE): tests/oracle/package-lock.json
	npm ci --prefix tests/oracle --no-audit --no-fund --loglevel=error
	touch $(ORACLE)

# The demo serves with DEBUG=1 (off by default); portal/debug.py shows the debug
# page to this machine only.
demo: setup
	GREENROOM_ALLOW_LOCAL_REPOS=1 $(BIN)/python manage.py migrate --noinput
	GREENROOM_ALLOW_LOCAL_REPOS=1 $(BIN)/python manage.py demo
	GREENROOM_ALLOW_LOCAL_REPOS=1 $(BIN)/python manage.py score
	DEBUG=1 GREENROOM_ALLOW_LOCAL_REPOS=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

test: setup $(ORACLE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) SECRET_KEY=tests-only-not-a-secret \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
