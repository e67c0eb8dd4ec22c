"""No secret in the repository: private keys, Slack tokens, signing secrets."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    # A header followed by key material (templates hold a placeholder instead).
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\s*[A-Za-z0-9+/=]{40,}"),
    # Real Slack tokens start with the workspace's numeric ids.
    "Slack token": re.compile(r"\bxox[abposr]-\d{6,}-[0-9A-Za-z-]{6,}"),
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
        for name, pattern in PATTERNS.items():
            for match in pattern.finditer(text):
                line_start = text.rfind("\n", 0, match.start()) + 1
                line = text[line_start:text.find("\n", match.start())]
                if ALLOW not in line:
                    found.append(f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {name}")
    assert not found, "secrets in the repository:\n" + "\n".join(found)
