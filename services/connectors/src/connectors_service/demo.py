"""The demo company's live data (BOOST_DEMO=1): two key results that feed themselves, so a
first `make run` shows data-fed key results working.

- "Weekly active teams" (Company) reads a SQLite database the demo writes under
  BOOST_DATA_DIR (`demo_product_analytics.db`: which customer teams were active when), with
  a real SELECT, every 5 minutes.
- "Signed enterprise contracts" (Sales) is fed by a webhook, as a CRM would: the loader
  pushes one value through the same path as `POST /api/connectors/hooks/{token}`.

okr loads the company; this waits until okr answers with those key results, then creates
the sources and bindings once (nothing happens if the demo's key results are missing, or
if a demo source already exists)."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from boost_platform.logging import get_logger

from .bindings import hooks
from .bindings import service as bindings
from .directory import ACTOR, Person
from .models import Source
from .schemas import BindingIn, SourceIn
from .sources import service as sources

if TYPE_CHECKING:
    from .bootstrap import Container

log = get_logger("connectors.demo")
WAIT = 180.0
SQL_SOURCE = "Demo product analytics (SQLite)"
HOOK_SOURCE = "Demo CRM (webhook)"
ACTIVE_TEAMS_QUERY = ("SELECT count(DISTINCT team_id) FROM team_activity "
                      "WHERE active_at >= datetime('now', '-7 days')")


def analytics_path(data_dir: Path) -> Path:
    return Path(data_dir).resolve() / "demo_product_analytics.db"


def write_analytics(path: Path, active_teams: int, seed: int = 7) -> None:
    """A small product-analytics table: `active_teams` teams active in the last week, others earlier."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS team_activity (team_id INTEGER, active_at TEXT)")
        db.execute("DELETE FROM team_activity")
        rows = []
        for team in range(1, active_teams + 1):
            for _ in range(rng.randint(1, 5)):
                rows.append((team, (now - timedelta(hours=rng.uniform(1, 160))).strftime("%Y-%m-%d %H:%M:%S")))
        for team in range(active_teams + 1, active_teams + 40):
            rows.append((team, (now - timedelta(days=rng.uniform(9, 60))).strftime("%Y-%m-%d %H:%M:%S")))
        db.executemany("INSERT INTO team_activity VALUES (?, ?)", rows)


async def load_when_ready(c: Container) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while loop.time() < deadline:
        try:
            krs = await c.runtime.bus.request(c.settings.names.query("okr", "key_results"),
                                              {"actor_id": ACTOR, "cycle": "current"}, timeout=5)
            admin = await c.runtime.bus.request(c.settings.names.query("okr", "user"),
                                                {"actor_id": ACTOR, "email": c.settings.admin_email_list[0]},
                                                timeout=5)
        except Exception:
            await asyncio.sleep(1)
            continue
        by_title = {kr["title"]: kr for kr in krs}
        if "Weekly active teams" not in by_title:
            await asyncio.sleep(1)  # okr's demo may still be loading
            continue
        try:
            await load(c, by_title, Person(user_id=int(admin["id"]), role="admin"))
        except Exception:
            log.exception("demo live data failed")
        return


async def load(c: Container, krs: dict[str, dict[str, Any]], admin: Person) -> None:
    async with c.runtime.maker() as session:
        if (await session.execute(sa.select(Source.id).where(Source.name.in_([SQL_SOURCE, HOOK_SOURCE])))).first():
            return
    now = datetime.now(UTC)
    active = krs["Weekly active teams"]
    path = await asyncio.to_thread(analytics_path, c.settings.data_dir)
    await asyncio.to_thread(write_analytics, path, int(active["current"]) + 4)
    async with c.runtime.maker() as session, session.begin():
        sql = await sources.create_source(session, c.kinds, c.vault, SourceIn(
            name=SQL_SOURCE, kind="sql", config={"url": f"sqlite:///{path}"}))
        hook = await sources.create_source(session, c.kinds, c.vault, SourceIn(name=HOOK_SOURCE, kind="webhook"))
        sql_id, hook_id = sql.id, hook.id
    token = None
    for title, body in (("Weekly active teams", BindingIn(source_id=sql_id, query=ACTIVE_TEAMS_QUERY, every_minutes=5)),
                        ("Signed enterprise contracts", BindingIn(source_id=hook_id, every_minutes=60))):
        kr = krs.get(title)
        if kr is None:
            continue
        ref = await c.directory.key_result(int(kr["id"]))
        async with c.runtime.outbox.transaction() as tx:
            b, _ = await bindings.put_binding(tx, c.kinds, c.vault, admin, ref, body, now)
            if b.hook_token:
                token = c.vault.open(b.hook_token)
    if token is not None:
        contracts = krs["Signed enterprise contracts"]
        await hooks.accept(c, token, float(int(contracts["current"]) + 1), note="Pushed by the demo CRM")
    log.info("demo live data loaded", sql_source=sql_id, webhook_source=hook_id)
