# Clashtor: the only commands a newcomer needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/common $(wildcard services/*)
EDITABLES := -e 'libs/common[embedded]' $(foreach p,$(wildcard services/*),-e $(p))
STAMP := $(VENV)/.installed
SYSTEM_STAMP := var/.system-packages

.PHONY: install system-packages up test test-fast lint fmt bench clean

$(BIN)/python:
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is required"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip uv

# Reinstall only when a pyproject or the dev requirements change.
$(STAMP): $(BIN)/python requirements-dev.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	$(BIN)/uv pip install --python $(BIN)/python -q -r requirements-dev.txt $(EDITABLES)
	@touch $@

# espeak-ng and sox make the test calls; ffmpeg is not needed (PyAV bundles it).
$(SYSTEM_STAMP):
	@mkdir -p var
	@if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng sox libsox-fmt-all >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng sox libsox-fmt-all >/dev/null; fi; \
	fi
	@touch $@

install: $(STAMP)
system-packages: $(SYSTEM_STAMP)

up: install
	$(BIN)/python -m clashtor_common.devstack

test: install system-packages lint
	$(BIN)/pytest -q -p no:cacheprovider --timeout=600 -n 2 --dist loadfile

test-fast: install
	$(BIN)/pytest -q -m "not e2e and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs/common/src --ignore-missing-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install system-packages
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
