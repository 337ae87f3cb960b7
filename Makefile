# Parley's tasks. `make help` lists them; CI runs `make test` (see .ci/run).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export SSL_CERT_FILE ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: help install demo test lint typecheck pytest openapi bench clean emulator-coverage

help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV) ## create .venv with the locked dependencies
	$(UV) sync --locked --compile-bytecode --python $(PYTHON) --quiet

demo: install ## install, then run the demo (agents as code, end to end)
	$(BIN)/parley demo

lint: install ## ruff format check + ruff lint
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: install ## mypy strict on src/
	$(BIN)/mypy

pytest: install ## the test suite
	$(BIN)/pytest

test: lint typecheck pytest ## everything CI runs: lint, types, tests

openapi: install ## regenerate docs/openapi.json from the code
	$(BIN)/parley openapi --output docs/openapi.json

bench: install ## run the benchmarks (not part of the tests; several minutes)
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/plan_apply.py
	$(BIN)/python bench/provider_apply.py
	$(BIN)/python bench/emulator_ws.py
	$(BIN)/python bench/emulator_rest.py

clean: ## remove the virtual environments and caches
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache

emulator-coverage: install ## regenerate docs/emulator-coverage.md from the SDK and the spec
	$(BIN)/python -m parley.emulator.coverage > docs/emulator-coverage.md
