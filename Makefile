# Two commands do everything: `make run` (embedded demo) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
# Tests run on PostgreSQL and, where Celery is exercised, a real Redis broker.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/customs_portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
# Two workers on these 2-core machines; a file's tests stay on one worker (the broker-fault tests of a file
# share their own Redis database).
TEST_WORKERS ?= 2

.PHONY: run test lint format messages system-deps clean

$(VENV)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

# Front-end packages (chart.js) from the npm registry, served as static files.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# Embedded mode: SQLite file, eager Celery, e-mail to the console.
run: $(VENV)/.installed node_modules/.installed
	$(PY) manage.py compilemessages --ignore=$(VENV) -v 0
	$(PY) manage.py migrate --noinput -v 0
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py seed_demo --if-empty
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Debian packages the suite needs: chromium for the browser tests (Playwright never downloads a
# browser here), gettext to compile translations, docker-compose to validate docker-compose.yml.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v msgfmt >/dev/null || ! command -v docker-compose >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext docker-compose >/dev/null; fi

test: $(VENV)/.installed-dev node_modules/.installed system-deps
	$(PY) manage.py compilemessages --ignore=$(VENV) -v 0
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_REDIS_URL=$${TEST_REDIS_URL:-$(TEST_REDIS_URL)} \
		DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the Vietnamese catalogue after changing user-facing strings, then translate
# locale/vi/LC_MESSAGES/django.po (docs/i18n.md). Msgids are English, so there is no en catalogue.
# tests/test_translations.py runs the same command (MAKEMESSAGES_IGNORES) to check it is up to date.
MAKEMESSAGES_IGNORES := --ignore=$(VENV) --ignore=staticfiles --ignore=tests --ignore=bench --ignore=docs
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l vi $(MAKEMESSAGES_IGNORES) --no-obsolete
	$(PY) manage.py compilemessages --ignore=$(VENV)

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles
