"""When a key result's source starts failing, its owner hears it once per failing spell
(the notifier's `source_failing`, in their language, linking to the key result); a spell
that ends and starts again is a new message."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.waiting import until

from .conftest import Stack


async def test_the_owner_is_told_once_per_failing_spell(stack: Stack, tmp_path: Path) -> None:
    from notifier_service.models import Delivery
    from notifier_service.settings import NotifierSettings

    knobs = NotifierSettings(_env_file=None, poll_seconds=0.05, directory_sync_daily=False)  # type: ignore[call-arg]
    async with stack.running("notifier", knobs):
        nc: Any = stack.container_of("notifier")
        db = tmp_path / "n.db"
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE t (n REAL)")
            conn.execute("INSERT INTO t VALUES (1)")
        src = (await stack.call("admin", "POST", "/api/connectors/sources", json={
            "name": "Warehouse", "kind": "sql", "config": {"url": f"sqlite:///{db}"}})).json()
        kr = await stack.new_kr(owner="member", title="Orders shipped")
        await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                         json={"source_id": src["id"], "query": "SELECT sum(n) FROM t"})
        await stack.source_bound(kr["id"])

        async def rows() -> list[Any]:
            async with nc.runtime.maker() as session:
                return list((await session.execute(sa.select(Delivery).where(Delivery.kind == "source_failing")
                                                   .order_by(Delivery.id))).scalars())

        db.unlink()
        for _ in range(3):
            await stack.call("member", "POST", f"/api/connectors/key-results/{kr['id']}/binding/run")

        async def one() -> bool:
            return len(await rows()) == 1
        await until(one, 15)
        row = (await rows())[0]
        assert row.user_id == stack.ids["member"]["id"] and row.status == "recorded"
        assert row.link == f"/objectives/{kr['objective_id']}?kr={kr['id']}"
        assert "Warehouse" in row.text and "Orders shipped" in row.text

        with sqlite3.connect(db) as conn:  # recovers …
            conn.execute("CREATE TABLE t (n REAL)")
            conn.execute("INSERT INTO t VALUES (2)")
        await stack.call("member", "POST", f"/api/connectors/key-results/{kr['id']}/binding/run")
        db.unlink()  # … and fails again: a new spell, a new message
        await stack.call("member", "POST", f"/api/connectors/key-results/{kr['id']}/binding/run")

        async def two() -> bool:
            return len(await rows()) == 2
        await until(two, 15)
