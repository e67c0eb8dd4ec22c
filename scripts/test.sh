#!/usr/bin/env bash
# `make test`: lint, types, the Python suite (unit, integration on real MariaDB and NATS,
# contract, end-to-end in Chromium), the web app's unit tests, and offline checks of
# the deployment files. Each part prints its own summary; the first failure fails all.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1

echo "== lint (ruff)"
.venv/bin/ruff check libs services scripts tests bench conftest.py

echo "== types (mypy)"
.venv/bin/mypy libs/*/src services/*/src

if [ -f gateway/web/package.json ]; then
  echo "== web unit tests (vitest)"
  (cd gateway/web && npm test --silent)
fi

echo "== dependency audit (reported, not fatal)"
bash scripts/audit.sh

echo "== python tests (unit, integration, contract, chaos, e2e)"
.venv/bin/pytest -q "$@"

