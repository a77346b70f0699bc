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

WORKERS ?= 3
THREADS ?= 8

.PHONY: node24 run test test-fast test-postgres services serve loadtest bench setup venv system-deps migrate content lint format clean pygments-css editor

# The warm runner daemon (course/runner/warm/daemon.py) is started by `run` and `serve` in the
# same shell as the server: --exit-with $$$$ (that shell, which then execs the server) makes it
# exit with the server, and Ctrl-C reaches both. See the README's "Warm starts".
WARM_SOCKET ?= $${RUNNER_WARM_SOCKET:-var/runner/warm/warm.sock}
WARM_DAEMON = $(BIN)/python -m course.runner.warm.daemon --socket $(WARM_SOCKET) --exit-with $$$$
# The scheduler that runs saved functions on their schedules (course/functions/schedules), started
# and stopped the same way. On SQLite only one runs per database file (it waits for another).
SCHEDULER = $(MANAGE) run_scheduler --exit-with $$$$

run: setup ## Set up everything and serve the site with SQLite at http://$(HOST):$(PORT)
	@echo "Serving Cloud Compute Course at http://$(HOST):$(PORT)/"
	$(WARM_DAEMON) & DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(SCHEDULER) & DJANGO_DEBUG=$${DJANGO_DEBUG:-1} exec $(MANAGE) runserver $(HOST):$(PORT)

test: setup ## Set up everything and run every test (unit, sandbox, browser)
	DJANGO_DEBUG=0 $(BIN)/python -m pytest

# Everything but the browser, sandbox and server-process tests (and the benchmarks): under a minute.
test-fast: venv ## Unit and view tests only, for quick iteration
	DJANGO_DEBUG=0 $(BIN)/python -m pytest -q -p no:cacheprovider -m "not e2e and not sandbox and not server and not bench"

setup: system-deps node24 venv migrate content

# Node.js 24 for the runner's nodejs24 runtime (Lambda's nodejs24.x): Debian bookworm has only
# 18, so it comes from PyPI (course/runner/install_node.py: pinned by hash, read-only, under /usr
# where the sandbox sees it). Without root it says how, and the runner shows it as not installed.
node24: venv
	@if [ "$$(id -u)" = 0 ]; then $(BIN)/python -m course.runner.install_node; \
	elif [ ! -x /usr/local/lib/course-runtimes/node24/bin/node ]; then \
	  echo "Node.js 24 is not installed: sudo $(BIN)/python -m course.runner.install_node"; fi

services: ## Start throwaway PostgreSQL and Redis servers for the scale-out tests
	@bash tests/services/postgres.sh start >/dev/null
	@bash tests/services/redis.sh start >/dev/null

test-postgres: setup services ## The whole suite again on PostgreSQL, with Redis for cache and limits
	DJANGO_DEBUG=0 DATABASE_URL=$$(bash tests/services/postgres.sh start) \
	  REDIS_URL=$$(bash tests/services/redis.sh start) TEST_SERVICES=1 \
	  $(BIN)/python -m pytest -p no:cacheprovider

serve: system-deps node24 venv ## Production server: gunicorn, DEBUG off, static files collected
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve: DJANGO_SECRET_KEY is not set. Set it to a long random string, e.g. export DJANGO_SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"; exit 1; }
	@test -n "$$DJANGO_ALLOWED_HOSTS" || { echo "make serve: DJANGO_ALLOWED_HOSTS is not set. List the host names the site answers to, e.g. export DJANGO_ALLOWED_HOSTS=course.example.org"; exit 1; }
	DJANGO_DEBUG=0 $(MANAGE) migrate --noinput -v0
	DJANGO_DEBUG=0 $(MANAGE) createcachetable
	DJANGO_DEBUG=0 $(MANAGE) collectstatic --noinput -v0
	DJANGO_DEBUG=0 $(MANAGE) sync_content
	$(WARM_DAEMON) & DJANGO_DEBUG=0 $(SCHEDULER) & DJANGO_DEBUG=0 exec $(BIN)/gunicorn course.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) --threads $(THREADS) --worker-class course.server.worker.ThreadWorker --graceful-timeout 20 --access-logfile -

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
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) createcachetable

content: migrate ## Validate and load lessons and quizzes
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(MANAGE) sync_content

loadtest: venv ## Drive a running server (make serve) at HOST:PORT with wrk and quiz-taking learners
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; else echo "wrk is missing: sudo apt-get install wrk"; exit 1; fi; }
	$(BIN)/python -m tests.load.loadtest --url http://$(HOST):$(PORT)

bench: setup ## The runner's overhead, pages while 20 functions run, a 6 MB result, a class of 500; the schedule claim plan
	@# Every bench runs, even after one misses its goal; make bench fails at the end if any did.
	@failed=""; \
	for bench in "course.runner.bench --runs 30" "course.runner.warm.bench --runs 30" \
	  tests.load.bench_warm tests.load.bench_endpoints "pytest -q -s -p no:cacheprovider -m bench" \
	  tests.load.bench_runner_load tests.load.bench_big_results tests.load.bench_labs \
	  tests.load.bench_schedules; do \
	  echo "== python -m $$bench"; \
	  DJANGO_DEBUG=0 $(BIN)/python -m $$bench || failed="$$failed\n  python -m $$bench"; \
	done; \
	if [ -n "$$failed" ]; then printf "make bench: goals missed by:$$failed\n"; exit 1; fi

pygments-css: venv ## Regenerate static/css/pygments.css (code colours) from course/lessons/markdown.py
	DJANGO_DEBUG=1 $(MANAGE) pygments_css

editor: ## Rebuild static/vendor/codemirror/codemirror.min.js (CodeMirror 6) from its pinned npm packages
	sh static/vendor/codemirror/build.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts
