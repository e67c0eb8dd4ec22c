# Boost's front door: `make run` and `make test` (README). Everything else is a helper.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo .venv-tools/bin/uv)
PY := .venv/bin/python

.PHONY: run test check setup setup-python setup-web setup-system lint typecheck bench clean

run: setup
	@$(PY) scripts/boost.py run

test: setup
	@bash scripts/test.sh

# The fast tier, for every change: lint, types, the web app's unit tests and every Python
# test that needs neither MariaDB nor NATS (pytest marker `unit`, given in conftest.py).
check: setup-python
	@.venv/bin/ruff check libs services scripts tests bench conftest.py
	@.venv/bin/mypy libs/*/src services/*/src
	@if [ -d gateway/web/node_modules ]; then cd gateway/web && npm test --silent; fi
	@.venv/bin/pytest -q -m unit

setup: setup-system setup-python setup-web

# nginx from the system (apt when we are root and it is missing).
setup-system:
	@bash scripts/setup-system.sh

setup-python: .venv/.synced
.venv/.synced: pyproject.toml uv.lock libs/*/pyproject.toml services/*/pyproject.toml
	@if ! command -v uv >/dev/null 2>&1 && [ ! -x .venv-tools/bin/uv ]; then \
		python3 -m venv .venv-tools && .venv-tools/bin/pip install -q uv; fi
	@$(UV) sync --frozen --quiet
	@touch $@

setup-web: gateway/web/dist/index.html
gateway/web/dist/index.html: $(shell find gateway/web/src gateway/web/index.html gateway/web/package.json gateway/web/package-lock.json gateway/web/vite.config.ts libs/contracts/src/boost_contracts/rules/rules.json -type f 2>/dev/null)
	@cd gateway/web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	@touch $@

lint:
	@.venv/bin/ruff check libs services scripts tests bench

typecheck:
	@.venv/bin/mypy libs/*/src services/*/src

bench: setup
	@$(PY) -m bench.run_all

clean:
	rm -rf var .venv .venv-tools gateway/web/dist gateway/web/node_modules
