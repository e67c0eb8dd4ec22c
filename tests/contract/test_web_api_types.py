"""The web app's API types (gateway/web/src/api/schema/*.ts) are generated from the services'
OpenAPI documents and committed; a service whose routes, request bodies or response models
changed without `npm run gen:api` fails here, before the app silently reads a stale shape."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, skip_or_fail

WEB = ROOT / "gateway" / "web"
COMMITTED = WEB / "src" / "api" / "schema"


def test_generated_api_types_are_up_to_date(tmp_path: Path) -> None:
    if not shutil.which("node") or not (WEB / "node_modules" / "openapi-typescript").exists():
        skip_or_fail("node and the web app's node_modules are needed (make setup-web)")
    result = subprocess.run(["node", "dev/gen-api.mjs", "--out", str(tmp_path)], cwd=WEB, capture_output=True,
                            text=True, timeout=180, env={**os.environ, "BOOST_PYTHON": sys.executable})
    assert result.returncode == 0, result.stderr[-3000:]
    fresh = sorted(p.name for p in tmp_path.glob("*.ts"))
    assert fresh == sorted(p.name for p in COMMITTED.glob("*.ts")), "a service's types are missing or left over"
    stale = []
    for name in fresh:
        want, have = (tmp_path / name).read_text(), (COMMITTED / name).read_text()
        if want != have:
            diff = difflib.unified_diff(have.splitlines(), want.splitlines(), f"committed/{name}", f"generated/{name}",
                                        lineterm="", n=1)
            stale.append("\n".join(list(diff)[:40]))
    assert not stale, "src/api/schema is out of date with the services; run `npm run gen:api` in gateway/web:\n" + \
        "\n\n".join(stale)

