"""BOOST_DEMO=1: okr loads the demo company; feedback, once its read model has it, writes
the company's feedback and chat, once (real MariaDB and NATS, okr and feedback in-process)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.support.stack import in_process, login_user
from tests.support.waiting import until

EMMA, JIWOO = "emma.lee@boost.example", "jiwoo.park@boost.example"


async def _get(fb: httpx.AsyncClient, headers: dict[str, str], path: str) -> Any:
    response = await fb.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_demo_company_arrives_with_its_feedback_and_chat_once(make_settings: Callable[..., Any]) -> None:
    settings = make_settings("fbdemo", now="2027-01-10T01:00:00+00:00", demo=True)
    async with in_process(settings) as stack:
        okr = stack.okr.client
        emma, _ = await login_user(okr, EMMA)
        jiwoo, _ = await login_user(okr, JIWOO)
        teams = {t["name"]: t["id"] for t in (await okr.get("/api/okr/teams", headers=emma)).json()}
        product = (await okr.get(f"/api/okr/objectives?cycle=2027-Q1&team_id={teams['Product']}", headers=emma)).json()[0]

        async with stack.running("feedback") as fb:
            async def written() -> bool:  # 503 until the read model knows Emma
                response = await fb.get("/api/feedback/feedback?cycle=2027-Q1", headers=emma)
                return response.status_code == 200 and len(response.json()) >= 7

            await until(written, 30)
            everything = await _get(fb, emma, "/api/feedback/feedback?cycle=2027-Q1")
            assert {f["kind"] for f in everything} == {"praise", "suggestion", "question"}
            assert sum(f["resolved"] for f in everything) == 1
            # Emma's "For me": 박지우's praise of her work.
            mine = await _get(fb, emma, "/api/feedback/feedback?cycle=2027-Q1&to=me")
            assert any("Thank you, Emma" in f["body"] for f in mine)
            # On the Product objective: feedback and its chat, oldest message first.
            on_product = await _get(fb, jiwoo, f"/api/feedback/feedback?objective_id={product['id']}")
            assert [f["kind"] for f in on_product] == ["praise"]
            chat = await _get(fb, jiwoo, f"/api/feedback/threads/objective:{product['id']}/messages")
            assert len(chat) == 4
            assert chat[0]["body"].startswith("Check-ins from Slack jumped")
            assert chat[-1]["body"].startswith("디자인 리뷰가")
            assert [m["created_at"] for m in chat] == sorted(m["created_at"] for m in chat)
            before = len(everything)

        # A restart (or a second replica) finds the Hub in use and writes nothing more.
        async with stack.running("feedback") as fb:
            container = fb.boost_app.state.container  # type: ignore[attr-defined]
            await until(lambda: _done(container.demo), 30)
            assert len(await _get(fb, emma, "/api/feedback/feedback?cycle=2027-Q1")) == before
            assert len(await _get(fb, jiwoo, f"/api/feedback/threads/objective:{product['id']}/messages")) == 4


async def _done(task: Any) -> bool:
    return task is not None and task.done()
