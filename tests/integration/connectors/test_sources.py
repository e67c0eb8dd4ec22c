"""Data sources are admin-only, their secrets are write-only (has_secret), and a source can
be tried before any key result uses it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .conftest import Stack

SECRET = "s3cr3t-Pa55word-never-shown"


def sqlite_db(tmp: Path, value: float = 42) -> str:
    path = tmp / "metrics.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS signups (n REAL, label TEXT)")
        db.execute("DELETE FROM signups")
        db.execute("INSERT INTO signups VALUES (?, 'a')", (value,))
    return f"sqlite:///{path}"


async def test_an_admin_adds_a_source_and_its_secret_is_never_returned(stack: Stack, tmp_path: Path) -> None:
    r = await stack.call("admin", "POST", "/api/connectors/sources", json={
        "name": "Metrics DB", "kind": "sql", "config": {"url": sqlite_db(tmp_path)}, "secret": SECRET})
    assert r.status_code == 201, r.text
    source: dict[str, Any] = r.json()
    assert source["has_secret"] is True and "secret" not in source and SECRET not in r.text
    listed = await stack.call("member", "GET", "/api/connectors/sources")
    assert listed.status_code == 200
    mine = next(s for s in listed.json() if s["id"] == source["id"])
    assert mine == {"id": source["id"], "name": "Metrics DB", "kind": "sql", "config": None, "has_secret": True}
    as_admin = await stack.call("admin", "GET", f"/api/connectors/sources/{source['id']}")
    assert as_admin.json()["config"]["url"].startswith("sqlite:///") and SECRET not in as_admin.text
    cleared = await stack.call("admin", "PATCH", f"/api/connectors/sources/{source['id']}", json={"secret": ""})
    assert cleared.json()["has_secret"] is False
    tried = await stack.call("admin", "POST", f"/api/connectors/sources/{source['id']}/test",
                             json={"query": "SELECT sum(n) FROM signups"})
    assert tried.json() == {"ok": True, "value": 42.0, "error": None}
    assert (await stack.call("admin", "DELETE", f"/api/connectors/sources/{source['id']}")).status_code == 204


async def test_a_member_may_not_create_change_or_read_a_source(stack: Stack) -> None:
    r = await stack.call("member", "POST", "/api/connectors/sources",
                         json={"name": "Mine", "kind": "webhook", "config": {}})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    made = await stack.call("admin", "POST", "/api/connectors/sources", json={"name": "Pushes", "kind": "webhook"})
    sid = made.json()["id"]
    assert (await stack.call("lead", "PATCH", f"/api/connectors/sources/{sid}", json={"name": "x"})).status_code == 403
    assert (await stack.call("lead", "DELETE", f"/api/connectors/sources/{sid}")).status_code == 403
    assert (await stack.call("member", "GET", f"/api/connectors/sources/{sid}")).status_code == 403


async def test_bad_source_config_is_a_422_not_a_500(stack: Stack) -> None:
    for body in ({"name": "x", "kind": "sql", "config": {"url": "nonsense"}},
                 {"name": "x", "kind": "sql", "config": {"url": "mysql+pymysql://u:pw@h/db"}},
                 {"name": "x", "kind": "prometheus", "config": {"url": "ftp://x"}},
                 {"name": "x", "kind": "teapot", "config": {}},
                 {"name": "", "kind": "webhook"}):
        r = await stack.call("admin", "POST", "/api/connectors/sources", json=body)
        assert r.status_code == 422, (body, r.text)


async def test_rotating_the_key_reseals_every_stored_secret(stack: Stack, tmp_path: Path) -> None:
    from connectors_service.models import Source
    from connectors_service.vault import Vault
    from cryptography.fernet import Fernet

    made = await stack.call("admin", "POST", "/api/connectors/sources", json={
        "name": "Rotated", "kind": "sql", "config": {"url": sqlite_db(tmp_path)}, "secret": SECRET})
    c = stack.container
    old_key = (Path(c.settings.data_dir) / "secrets.key").read_text().strip()
    new_key = Fernet.generate_key().decode()
    c.vault = Vault(f"{new_key},{old_key}")  # from here on: what this module's rows are sealed with
    assert c.vault.rotating and await c.reseal() >= 1
    async with c.runtime.maker() as session:
        stored = await session.get(Source, made.json()["id"])
    assert stored is not None and stored.secret is not None
    assert Vault(new_key).open(stored.secret) == SECRET
