# Rollwright: `make run` brings the product up on this machine, `make test` runs the whole suite.
# Every target can be rerun; the install step reruns only when pyproject.toml changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
MANAGE := $(PYTHON) manage.py
STAMP := $(VENV)/.installed

.PHONY: help venv install run test test-quick lint format bench chromium clean

help:
	@echo "make run      install, migrate, seed the demo fleet and serve http://127.0.0.1:8000 and https://127.0.0.1:8443"
	@echo "make test     install, then ruff, mypy and the whole pytest suite"
	@echo "make test-quick  the same without the tests marked slow (minutes each)"
	@echo "make lint     ruff format --check, ruff check, mypy"
	@echo "make format   ruff format, ruff check --fix"
	@echo "make bench    run every bench/*.py and print its figures"
	@echo "make clean    remove var/ and .venv"

venv install: $(STAMP)

$(PYTHON):
	@python=$$(command -v python3.11 || true); \
	if [ -z "$$python" ] && python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
		python=$$(command -v python3); \
	fi; \
	if [ -z "$$python" ]; then \
		echo "Rollwright needs Python 3.11 or newer (python3.11, or a python3 that is 3.11+)." >&2; \
		exit 1; \
	fi; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV) || { \
		rm -rf $(VENV); \
		echo "Could not create $(VENV) (on Debian or Ubuntu: apt-get install python3.11-venv)." >&2; \
		exit 1; \
	}

$(STAMP): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --disable-pip-version-check --quiet -e '.[test]'
	@touch $@

# make run: the web server (HTTP on PORT, HTTPS on HTTPS_PORT with var/tls/'s certificate), a Celery worker and beat under supervisord in the foreground (a
# process that exits is restarted, and the console says so); Ctrl-C stops them all, and the
# redis-server that ensure_redis may have started for this run.
run: export DEBUG := 1
run: export ROLLWRIGHT_TIME_SCALE ?= 60
run: export WORKERS ?= 1
run: export WEB_PROCESSES ?= 1
run: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) create_demo_operator
	$(MANAGE) ensure_redis
	$(MANAGE) ensure_tls_cert --host "$${HOST:-127.0.0.1}"
	@rm -rf var/metrics  # G3: the last run's per-process metric files (prometheus-client)
	@echo "Rollwright at http://$${HOST:-127.0.0.1}:$${PORT:-8000}/ and https://$${HOST:-127.0.0.1}:$${HTTPS_PORT:-8443}/ (time scale $$ROLLWRIGHT_TIME_SCALE; $$WEB_PROCESSES web, $$WORKERS worker processes; Ctrl-C stops it)"
	@trap '$(MANAGE) ensure_redis --stop' EXIT; \
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST="$${HOST:-127.0.0.1}" PORT="$${PORT:-8000}" \
	HTTPS_PORT="$${HTTPS_PORT:-8443}" ROLLWRIGHT_TLS_DIR="$(CURDIR)/var/tls" \
	ROLLWRIGHT_RUN_DIR="$(CURDIR)/var" $(BIN)/supervisord -c supervisord.conf

test: $(STAMP) chromium lint
	@echo "Database: $${DATABASE_URL:-SQLite under var/ (the default)}"
	$(BIN)/pytest

# Everything but the tests marked slow (the 5-minute Redis outage): for a developer's loop.
test-quick: $(STAMP) chromium lint
	$(BIN)/pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy orchestrator rollout

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@shopt -s nullglob; set -- bench/*.py; \
	if [ $$# -eq 0 ]; then echo "No benchmarks in bench/ yet."; fi; \
	for script in "$$@"; do \
		grep -q '__main__' "$$script" || continue; \
		echo "== $$script"; $(PYTHON) "$$script"; \
	done

# The browser tests drive Debian's chromium (never a browser downloaded by playwright).
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "warning: no /usr/bin/chromium and no apt-get: install Chromium for tests/e2e." >&2; \
		exit 0; \
	fi; \
	sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo="sudo"; fi; \
	echo "Installing Debian's chromium for tests/e2e"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

clean:
	@if [ -f var/redis/redis.pid ] && [ -x $(PYTHON) ]; then \
		DEBUG=1 $(MANAGE) ensure_redis --stop || true; \
	fi
	rm -rf var $(VENV)
