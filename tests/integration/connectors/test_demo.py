"""BOOST_DEMO=1: the demo company has two data-fed key results — "Weekly active teams" from
a SQLite database the demo writes, "Signed enterprise contracts" pushed by a webhook — each
with a data check-in that says where it came from, loaded once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.stack import in_process, login_user
from tests.support.waiting import until


async def test_the_demo_has_two_data_fed_key_results(make_settings: Callable[..., Any]) -> None:
    settings = make_settings("cndemo", now="2027-01-10T01:00:00+00:00", demo=True, connectors_tick_seconds=0.2)
    async with in_process(settings) as stack:
        okr = stack.okr.client
        admin, _ = await login_user(okr, "admin@boost.example")
        krs = {k["title"]: k for k in (await okr.get("/api/okr/key-results?cycle=current", headers=admin)).json()}
        async with stack.running("connectors") as conn:
            async def fed() -> bool:
                views = [(await okr.get(f"/api/okr/key-results/{krs[t]['id']}", headers=admin)).json()
                         for t in ("Weekly active teams", "Signed enterprise contracts")]
                return all(v["source"] is not None and v["source"]["last_run_at"] for v in views)

            await until(fed, 60)
            for title, kind in (("Weekly active teams", "sql"), ("Signed enterprise contracts", "webhook")):
                kr = (await okr.get(f"/api/okr/key-results/{krs[title]['id']}", headers=admin)).json()
                assert kr["source"]["kind"] == kind and kr["source"]["state"] == "ok" and not kr["stale"]
                history = (await okr.get(f"/api/okr/key-results/{kr['id']}/check-ins", headers=admin)).json()
                assert history[-1]["source"]["kind"] == kind
                assert kr["current"] == int(krs[title]["current"]) + (4 if kind == "sql" else 1)
            sources = (await conn.get("/api/connectors/sources", headers=admin)).json()
            assert sorted(s["kind"] for s in sources) == ["sql", "webhook"]
            # Loaded once: a second start adds nothing.
        async with stack.running("connectors") as again:
            await until(lambda: _done(again), 30)
            assert len((await again.get("/api/connectors/sources", headers=admin)).json()) == 2


async def _done(client: Any) -> bool:
    task = client.boost_app.state.container.demo
    return task is None or task.done()
