"""Writes each service's OpenAPI document as `{service}.json`, built from the service's own
app (its `create_app`, which connects to nothing until started): no database, NATS or
gateway needed. `npm run gen:api` (gateway/web/dev/gen-api.mjs) turns them into the web
app's types.

Usage: openapi.py OUT_DIR [service ...]   (default: the services the web app calls)"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

# The services whose REST API the web app calls (realtime speaks Socket.IO to it).
WEB_SERVICES = ("okr", "feedback", "scheduler", "notifier", "connectors")


def document(service: str) -> dict[str, object]:
    main = importlib.import_module(f"{service}_service.main")
    doc: dict[str, object] = main.create_app().openapi()
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("services", nargs="*", default=WEB_SERVICES)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for service in args.services:
        path = args.out / f"{service}.json"
        path.write_text(json.dumps(document(service), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()
