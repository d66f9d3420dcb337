# Zairyu: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The project's catalogues, and Django's month and weekday names in Tagalog (locale_calendar:
# Django ships no Tagalog catalogue).
PO := $(wildcard locale/*/LC_MESSAGES/django.po locale_calendar/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint format bench messages browser-deps clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    - install, migrate, load demo data, start web + worker + beat on http://127.0.0.1:8000 (PORT=8100 for another port)"
	@echo "make test   - install test tools and run the whole suite (PostgreSQL/Redis if DATABASE_URL/CELERY_BROKER_URL are set)"
	@echo "make lint   - ruff (style, complexity) and import-linter (the layering contracts)"
	@echo "make bench  - run the benchmarks in bench/ and print their figures"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-install when pyproject.toml changes; the stamp files record what was installed.
$(VENV)/.deps-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.deps-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.deps-run

# Translations: compile each catalogue with GNU gettext's msgfmt (installed when missing).
%/LC_MESSAGES/django.mo: %/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	msgfmt --check -o $@ $<

messages: $(MO)

# Browser tests need Debian's chromium and a Japanese font. Install them as root; otherwise the
# browser tests skip with a message (and fail under CI=true).
browser-deps:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi ipaex; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing chromium and fonts-ipaexfont-gothic for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipaexfont-gothic >/dev/null; \
	else echo "chromium or the Japanese font is missing and you are not root: browser tests will be skipped"; fi

# make run PORT=8100: the site, and the links in its mails and PDFs, on another port.
PORT ?= 8000

run: $(VENV)/.deps-run messages
	mkdir -p var/log
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(BIN)/python manage.py setup_demo > var/log/setup_demo.log
	@echo "Demo data ready (var/log/setup_demo.log); starting web, worker and beat."
	PORT=$(PORT) $(BIN)/python manage.py serve --addr 127.0.0.1:$(PORT)

test: $(VENV)/.deps-test messages browser-deps
	mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.deps-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.deps-test
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(VENV)/.deps-test messages
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	mkdir -p var
	$(BIN)/python bench/run.py

clean:
	rm -rf var $(VENV) .pytest_cache .ruff_cache
