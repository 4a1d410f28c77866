# ATO — two commands: `make run` (set up and serve) and `make test` (set up and test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app ato
HOST ?= 127.0.0.1
PORT ?= 5000
export ATO_ENV ?= development

.PHONY: run test install db seed browser wrk lint bench relevance clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) ato seed reference
	$(FLASK) ato seed examples
	$(FLASK) ato seed reports
	$(FLASK) ato search rebuild

run: seed
	@echo "ATO est servi sur http://$(HOST):$(PORT)/"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Debian's Chromium and its driver drive the end-to-end tests; never a downloaded browser.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "Installation de chromium et chromium-driver (apt)…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# The suite runs on every core (pytest-xdist): each worker has its own database and
# instance folder. PYTEST_ARGS="-n 0 -k …" runs a part of it in one process.
PYTEST_ARGS ?= -n auto

test: install browser
	ATO_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

# The load generator of the speed benchmark (Debian's wrk).
wrk:
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

bench: install wrk
	$(BIN)/python -m benchmarks.search --procs 2

relevance: install
	$(BIN)/python -m benchmarks.relevance

lint: install
	$(BIN)/ruff check ato tests benchmarks wsgi.py

clean:
	rm -rf $(VENV) instance .pytest_cache
