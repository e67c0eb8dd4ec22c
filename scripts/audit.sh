#!/usr/bin/env bash
# Known vulnerabilities in our dependencies (pip-audit, npm audit). Findings are
# reported, never fatal here: a new advisory must not turn an unchanged commit red.
# High and critical ones are fixed in their own commit when they appear.
set -uo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo .venv-tools/bin/uv)}  # as the Makefile finds it
echo "== pip-audit (Python dependencies)"
"$UV" export --frozen --no-dev --no-emit-workspace --no-hashes -q -o /tmp/boost-requirements.txt 2>/dev/null \
  && { timeout 180 .venv/bin/pip-audit -r /tmp/boost-requirements.txt --progress-spinner off --desc off > /tmp/boost-pip-audit.txt 2>&1;
        unaudited=$(grep -c "could not be audited" /tmp/boost-pip-audit.txt || true);
        grep -E "^Found|^No known|GHSA|PYSEC|CVE" /tmp/boost-pip-audit.txt | head -20;
        [ "$unaudited" -gt 0 ] && echo "pip-audit: $unaudited packages could not be audited (the advisory service is unreachable from here)"; } \
  || echo "pip-audit could not run"
if [ -f gateway/web/package-lock.json ]; then
  echo "== npm audit (web app, production dependencies)"
  (cd gateway/web && timeout 120 npm audit --omit=dev --audit-level=high 2>&1 | tail -15) || true
fi
exit 0
