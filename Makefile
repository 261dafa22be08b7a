# Campaign Executor. `make dev` runs the whole stack; `make test` runs every test.
# Each target builds .venv first when it is missing or older than pyproject.toml or the lock
# files: requirements-dev.txt pins the whole dependency tree (with hashes) for development and
# tests, requirements.txt the production part the Dockerfile installs; `make lock` refreshes both.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# `make test` runs the PostgreSQL cases against this server; `make test TEST_POSTGRES_URL=`
# skips them (each skip is reported with its reason).
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

API_PORT ?= 8000
SIMULATOR_PORT ?= 8100
TEMPORAL_PORT ?= 7233
TEMPORAL_UI_PORT ?= 8233

.PHONY: install lock lock-upgrade dev test browser lint format migrate histories screenshots bench bench-cost bench-scale bench-role-overview bench-role-page bench-replies bench-ledger chaos temporal simulator worker api clean

LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock"

$(INSTALLED): pyproject.toml requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check --no-deps -e .
	@$(BIN)/pip check --disable-pip-version-check || { \
		echo "make: requirements-dev.txt does not satisfy pyproject.toml; run 'make lock'" >&2; exit 1; }
	touch $@

install: $(INSTALLED)

# Re-pins requirements.txt (production) and requirements-dev.txt (with the dev extras, on the
# same versions) after pyproject.toml changed, keeping every pin that still fits, for every
# platform and Python 3.11+ (uv, from PyPI). `make lock-upgrade` moves every pin to the newest
# release the ranges allow. Commit both files; the next target rebuilds .venv from them.
lock:
	@[ -x $(BIN)/uv ] || { [ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV); \
		$(BIN)/pip install --disable-pip-version-check uv; }
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_UPGRADE) -o requirements.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --constraint requirements.txt $(LOCK_FLAGS) \
		$(LOCK_UPGRADE) -o requirements-dev.txt

lock-upgrade:
	$(MAKE) lock LOCK_UPGRADE=--upgrade

# The whole stack in the foreground (Temporal, simulator, worker, API); Ctrl-C stops it.
dev: $(INSTALLED)
	$(BIN)/python -m devstack

test: $(INSTALLED) browser
	@rc=0; TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure" >&2; fi; \
	exit $$rc

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium).
browser:
	@if [ -x /usr/bin/chromium ]; then \
		true; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "make browser: /usr/bin/chromium is missing and installing it needs root;" \
			"run 'sudo apt-get install -y chromium' or browser tests will be skipped." >&2; \
	else \
		echo "make browser: installing Chromium from Debian's packages"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

lint: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Brings DATABASE_URL (config.py's SQLite file by default) to the newest schema.
migrate: $(INSTALLED)
	$(BIN)/python -m db.migrate

# Re-records tests/workflows/histories/ after a deliberate workflow change (see the tool).
histories: $(INSTALLED)
	$(BIN)/python -m tools.record_histories

# Renders the dashboard from a seeded demo to docs/wireframe/*.png (the wireframe in the docs).
screenshots: $(INSTALLED) browser
	$(BIN)/python -m tools.screenshots

# Benchmarks (not part of `make test`; docs/performance.md). `make bench` runs issue 13's suite:
# starts, worker CPU, reply → REPLIED, send lag and idle capacity, each beside a bare-Temporal
# floor in the same run, 3 repetitions (20–40 minutes on 2 cores, see bench/suite.py);
# `make bench BENCH_QUICK=1` is a smoke run (~6 minutes), `make bench BENCH_ARGS="--only
# starts,reply"` runs some parts. Writes bench/results/latest.json and prints the table
# (`BENCH_ARGS=--markdown` for the docs).
BENCH_ARGS ?=
bench: $(INSTALLED)
	BENCH_QUICK='$(BENCH_QUICK)' $(BIN)/python -m bench.suite $(BENCH_ARGS)

# History events and billable Temporal Cloud Actions of the brief's example in three scenarios,
# from real histories on the time-skipping server (~30 s).
bench-cost: $(INSTALLED)
	$(BIN)/python -m bench.cost

# Past one machine: 1, 2 and 3 workers and 2 API processes on one Temporal and PostgreSQL, a
# burst of sends due at once, a worker SIGKILLed mid-run, every message counted (~15 minutes).
bench-scale: $(INSTALLED)
	TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' BENCH_QUICK='$(BENCH_QUICK)' $(BIN)/python -m bench.scale $(BENCH_ARGS)

# The role overview at 1k and 20k candidates, SQLite and PostgreSQL side by side.
bench-role-overview: $(INSTALLED)
	TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' $(BIN)/python -m bench.role_overview

# The dashboard's role page at 10,000 candidates (full page and live update, p50/p95 server
# time), SQLite and PostgreSQL side by side. About two minutes.
bench-role-page: $(INSTALLED)
	TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' $(BIN)/python -m bench.role_page

# Replies without webhooks: detection delay against the watcher's interval, and the time a
# sweep takes per batch (extrapolated to 100,000 active campaigns). About a minute.
bench-replies: $(INSTALLED)
	$(BIN)/python -m bench.reply_detection --campaigns 200 --interval 5 --batch-size 100

# Benchmark of the send ledger: time per reservation, one account's burst, 1,000 accounts;
# SQLite and PostgreSQL side by side.
bench-ledger: $(INSTALLED)
	TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' $(BIN)/python -m bench.send_ledger

# Chaos run (about 4 minutes): 40 campaigns through platform faults with the worker SIGKILLed
# every 12 s; fails on any lost, duplicated or after-reply message.
chaos: $(INSTALLED)
	$(BIN)/python -m bench.chaos

# Each part alone, on the same defaults `make dev` uses (stop `make dev` first).
temporal: $(INSTALLED)
	mkdir -p .data
	$(BIN)/temporal server start-dev --db-filename .data/temporal.db --ip 127.0.0.1 \
		--port $(TEMPORAL_PORT) --ui-port $(TEMPORAL_UI_PORT) --log-level warn \
		--ui-disable-news-fetch --ui-codec-endpoint http://127.0.0.1:$(API_PORT)/codec $$($(BIN)/python -c 'from workflows.search_attributes import cli_flags; print(" ".join(cli_flags()))')

simulator: $(INSTALLED)
	SIMULATOR_WEBHOOK_URL="$${SIMULATOR_WEBHOOK_URL-http://127.0.0.1:$(API_PORT)}" \
		$(BIN)/python -m uvicorn simulator.app:app --host 127.0.0.1 --port $(SIMULATOR_PORT)

# The worker never migrates (replicas would race): `make worker` migrates first, once.
worker: $(INSTALLED) migrate
	$(BIN)/python worker.py

api: $(INSTALLED)
	$(BIN)/python -m uvicorn api.app:create_app --factory --host 127.0.0.1 --port $(API_PORT) \
		--log-config observability/logging.json

clean:
	@if [ -f .data/devstack.pid ] && kill -0 "$$(cat .data/devstack.pid)" 2>/dev/null; then \
		echo "make clean: \`make dev\` is running (pid $$(cat .data/devstack.pid)); stop it first." >&2; \
		exit 1; \
	fi
	rm -rf .data
