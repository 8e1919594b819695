# Greenroom: `make demo` sets everything up and serves the portal on a demo
# organisation; `make test` runs the whole test suite (what .ci/run calls).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ORACLE := tests/oracle/node_modules/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/greenroom
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup demo test lint audit audit-if-reachable upgrade

# Installs come from the lock files only (every package pinned, every file checked
# against its hash), so CI, the demo and the image get the same versions.
$(STAMP): requirements-dev.txt requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# The lock is resolved against PyPI alone, whatever extra indexes or wheel folders
# this machine's pip configuration adds, so its hashes hold everywhere.
PYPI_ONLY := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null
COMPILE := $(PYPI_ONLY) $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links

# Newest versions pyproject.toml allows; the dev lock keeps the runtime lock's pins.
upgrade: setup
	$(COMPILE) --upgrade -o requirements.txt pyproject.toml
	$(COMPILE) --upgrade --extra dev -c requirements.txt -o requirements-dev.txt pyproject.toml

# Known vulnerabilities in the locked versions (PyPI's advisory data) fail the build.
audit: setup
	$(PYPI_ONLY) $(BIN)/pip-audit --strict --progress-spinner off --require-hashes \
		--disable-pip -r requirements-dev.txt

# `make test` audits too, wherever PyPI's per-release JSON API (pip-audit's source)
# answers; where it does not (our development machines reach only PyPI's mirror),
# it says so instead of failing on the network.
ADVISORY_PROBE := https://pypi.org/pypi/pip/24.0/json
audit-if-reachable: setup
	@if $(BIN)/python -c "import urllib.request as u; u.urlopen('$(ADVISORY_PROBE)', timeout=10)" 2>/dev/null; \
	then $(MAKE) --no-print-directory audit; \
	else echo "audit: PyPI's advisory API ($(ADVISORY_PROBE)) is unreachable here; locked versions not checked"; fi

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

test: setup $(ORACLE) audit-if-reachable
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) SECRET_KEY=tests-only-not-a-secret \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
