"""No secret in the repository: private keys, Slack tokens, signing secrets."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "Slack token": re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
    "Slack app token": re.compile(r"\bxapp-\d-[0-9A-Za-z-]{10,}"),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
}
# Tests forge tokens on purpose; they say so with this marker on the same line.
ALLOW = "fake-for-tests"


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / p for p in out.decode().split("\0") if p]


def test_no_secrets_are_committed() -> None:
    found = []
    for path in tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000 or path.suffix in {".png", ".jpg", ".lock"}:
            continue
        try:
            text = path.read_text(errors="ignore")
        except OSError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if ALLOW in line:
                continue
            for name, pattern in PATTERNS.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {name}")
    assert not found, "secrets in the repository:\n" + "\n".join(found)
