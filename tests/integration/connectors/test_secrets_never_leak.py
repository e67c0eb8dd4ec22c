"""A source's secret never appears in any API answer, event, log line or error: every
answer of a session that uses secrets (good and bad), every event on the bus in this
namespace, and everything the services wrote to their logs are searched for it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .conftest import Stack
from .fakes import fake_apis

SECRET = "Xq7-very-secret-token-4f1c9e2a"


async def test_the_secret_appears_nowhere(stack: Stack, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    bus = stack.container.runtime.bus
    seen_events: list[bytes] = []

    async def on_any(msg: Any) -> None:
        seen_events.append(msg.data)

    sub = await bus.nc.subscribe(bus.names.subject(">"), cb=on_any)
    answers: list[str] = []

    async def call(who: str, method: str, path: str, **kw: Any) -> Any:
        r = await stack.call(who, method, path, **kw)
        answers.append(r.text)
        return r

    db = tmp_path / "s.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (n REAL)")
        conn.execute("INSERT INTO t VALUES (4)")
    with fake_apis() as apis:
        made = []
        for body in (
            {"name": "SQL with secret", "kind": "sql", "config": {"url": f"sqlite:///{db}"}, "secret": SECRET},
            {"name": "GitHub wrong token", "kind": "github", "config": {"url": f"http://127.0.0.1:{apis.port}/github"},
             "secret": SECRET},
            {"name": "JSON with token", "kind": "http_json", "config": {"url": f"http://127.0.0.1:{apis.port}/nope"},
             "secret": SECRET},
            {"name": "MariaDB bad password", "kind": "sql",
             "config": {"url": "mysql+pymysql://nobody@127.0.0.1:3306/nothing"}, "secret": SECRET},
        ):
            r = await call("admin", "POST", "/api/connectors/sources", json=body)
            assert r.status_code == 201, r.text
            made.append(r.json()["id"])
        for sid in made:
            await call("admin", "GET", f"/api/connectors/sources/{sid}")
            await call("admin", "POST", f"/api/connectors/sources/{sid}/test", json={"query": "SELECT n FROM t"})
            await call("admin", "POST", f"/api/connectors/sources/{sid}/test", json={"query": f"SELECT '{SECRET}'"})
            await call("admin", "PATCH", f"/api/connectors/sources/{sid}", json={"name": "renamed"})
        await call("admin", "GET", "/api/connectors/sources")
        await call("member", "GET", "/api/connectors/sources")
        for sid, query in zip(made, ["SELECT n FROM t", "is:pr", "data.count", "SELECT 1"], strict=True):
            kr = await stack.new_kr(owner="member")
            await call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                       json={"source_id": sid, "query": query})
            await stack.source_bound(kr["id"])
            await call("member", "POST", f"/api/connectors/key-results/{kr['id']}/binding/run")
            await call("member", "GET", f"/api/connectors/key-results/{kr['id']}/binding")
            answers.append(json.dumps(await stack.kr(kr["id"])))
            answers.append(json.dumps(await stack.check_ins(kr["id"])))
        await call("admin", "GET", "/api/connectors/openapi.json")
        await call("admin", "GET", "/api/connectors/metrics")

    await stack.published("connectors")
    await bus.nc.flush()
    await sub.unsubscribe()
    out, err = capfd.readouterr()
    failing = [e for e in seen_events if b"binding.failing" in e or b'"failing"' in e]
    assert failing, "the failing sources were announced"
    assert "source failing" in out + err, "failures were logged (so the logs were searched)"
    assert all(SECRET not in a for a in answers)
    assert all(SECRET.encode() not in e for e in seen_events)
    assert SECRET not in out and SECRET not in err
    # And at rest it is ciphertext.
    import sqlalchemy as sa
    from connectors_service.models import Source

    async with stack.container.runtime.maker() as session:
        stored = (await session.execute(sa.select(Source.secret).where(Source.id.in_(made)))).scalars().all()
    assert stored and all(s and SECRET not in s for s in stored)
