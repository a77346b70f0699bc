# Cloud Compute Course — the README's two commands: `make run` and `make test`.
# Everything a fresh Debian machine with python3 needs is installed from here.

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py
# Debian packages the project uses: the sandbox, the browser for browser tests, Node.js for
# the runner's nodejs runtime, PostgreSQL/Redis for the scale-out tests.
SYSTEM_TOOLS := bwrap:bubblewrap chromium:chromium chromedriver:chromium-driver node:nodejs

.PHONY: run test setup venv system-deps migrate content lint format clean bench

run: setup ## Set up everything and serve the site with SQLite at http://$(HOST):$(PORT)
	@echo "Serving Cloud Compute Course at http://$(HOST):$(PORT)/"
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) runserver $(HOST):$(PORT)

test: setup ## Set up everything and run every test (unit, sandbox, browser)
	DJANGO_DEBUG=0 $(BIN)/python -m pytest

setup: system-deps venv migrate content

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Installs the missing Debian packages when run as root; otherwise explains how.
system-deps:
	@missing=""; \
	for pair in $(SYSTEM_TOOLS); do \
	  tool=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$tool >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "  Install them with: sudo apt-get install$$missing"; \
	    echo "  (the function runner needs bubblewrap; browser tests need chromium)."; \
	    if [ "$$CI" = "true" ]; then echo "CI=true: refusing to continue without them."; exit 1; fi; \
	  fi; \
	fi

migrate: venv
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) migrate --noinput -v0

content: migrate ## Validate and load lessons and quizzes
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) sync_content

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts
