# Crosscheck's everyday commands. `make run` and `make test` work on a fresh
# clone with nothing but Python 3.12+ installed: the first call builds .venv.

.DEFAULT_GOAL := help
.PHONY: help install run worker test lint format clean

VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install: pip runs again only when pyproject.toml
# is newer, so repeated `make test` starts at once.
STAMP := $(VENV)/.installed

PORT ?= 8000
PYTEST_ARGS ?=

# The Python that builds .venv: the first of python3.13 and python3.12 on PATH,
# then pyenv's own installs, newest first. Each candidate is run rather than
# trusted, because a pyenv shim exists for every installed version but fails
# unless that version is active; the interpreter's real path is kept, not the
# shim. Set PYTHON=/path/to/python to choose. Recursive (=) so the search runs
# only when .venv has to be created, never for `make test` on a built tree.
PYTHON ?= $(shell \
	for p in python3.13 python3.12 \
		$$(ls -d $(HOME)/.pyenv/versions/3.13*/bin/python 2>/dev/null | sort -rV) \
		$$(ls -d $(HOME)/.pyenv/versions/3.12*/bin/python 2>/dev/null | sort -rV); do \
		"$$p" -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' \
			2>/dev/null && break; \
	done)

help:
	@echo "make run     install, migrate, load the demo case, serve on http://127.0.0.1:$(PORT)/"
	@echo "             with the background worker (spreadsheet imports) beside the server"
	@echo "make worker  the background worker alone (manage.py db_worker)"
	@echo "make test    install, run the test suite (PYTEST_ARGS=... passes options to pytest)"
	@echo "make lint    ruff format --check and ruff check"
	@echo "make format  ruff check --fix and ruff format"
	@echo "make clean   remove .venv, var/ (the SQLite database), staticfiles/, test-artifacts/"

# One shell line, so that $(PYTHON), and the search behind it, is expanded once.
$(BIN)/python:
	@py="$(PYTHON)"; \
	if [ -z "$$py" ] || ! "$$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo 'Crosscheck needs Python 3.12 or newer: install python3.12 or python3.13 (e.g. `pyenv install 3.13`)' >&2; \
		exit 1; \
	fi; \
	echo "$$py -m venv $(VENV)"; \
	"$$py" -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

install: $(STAMP)

# The demo case is loaded only into an empty database (--if-empty): a second
# `make run` changes nothing a person did since (tests/test_demo_case.py).
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py import_case --if-empty cases/cuba-2015-01.json
# One demo user per role, printed with its password (refused when DEBUG=0).
	@echo
	$(BIN)/python manage.py create_demo_users
	@echo
	@echo "Crosscheck: http://127.0.0.1:$(PORT)/"
	@echo
# The daily digest of notifications is queued once (idempotent: watching.tasks).
# The background worker (spreadsheet checks and imports, claims.tasks, e-mails) runs
# beside the server and stops with it: the trap ends it however the server
# ends (Ctrl+C, an error). Without the autoreloader, whose parent would leave
# its child behind; restart `make run` after changing claims/tasks.py.
	@$(BIN)/python manage.py send_digests --schedule
	@$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: $(STAMP)
	$(BIN)/python manage.py db_worker --no-reload

# SQLite in var/ unless DATABASE_URL is set: settings.py reads it.
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# var/ holds the development SQLite database: clean starts from no data.
clean:
	rm -rf $(VENV) var staticfiles test-artifacts
