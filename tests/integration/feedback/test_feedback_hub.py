"""The Feedback Hub: kinds, addressing, who resolves, listing and "to me", the
per-objective summary; retrospectives (one per team and cycle, score 0.0–1.0)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Stack

FB = "/api/feedback/feedback"


@pytest.fixture(scope="module")
async def world(stack: Stack) -> dict[str, Any]:
    """An objective of Product owned by lead (2027-Q1), and one of Engineering owned by other."""
    product = await stack.okr.objective("lead", cycle="2027-Q1", title="Delight users",
                                        key_results=[{"title": "NPS", "start": 20, "target": 50}])
    eng = await stack.okr.objective("other", team="engineering", cycle="2027-Q1", title="Fast builds")
    await stack.settle()
    return {"product": product, "eng": eng}


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


async def give(stack: Stack, who: str, **body: Any) -> dict[str, Any]:
    r = await stack.call(who, "POST", FB, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_kinds_and_the_resolve_flow(stack: Stack, world: dict[str, Any]) -> None:
    ids = stack.ids
    obj = world["product"]
    kr = obj["key_results"][0]
    async with stack.capture() as seen:
        on_objective = await give(stack, "other", kind="suggestion", objective_id=obj["id"], body="Add a target date")
    assert on_objective["cycle"] == "2027-Q1" and on_objective["team_id"] == ids["product"]["id"]
    assert (on_objective["author_id"], on_objective["resolved"]) == (ids["other"]["id"], False)
    [event] = seen
    assert event["type"] == "feedback.created" and event["data"]["id"] == on_objective["id"]
    assert event["scope"] == {"cycle": "2027-Q1", "team_id": ids["product"]["id"], "objective_id": obj["id"],
                              "thread": None}
    # The objective's owner resolves it; a member of its team who is not addressed can't.
    url = f"{FB}/{on_objective['id']}"
    _problem(await stack.call("member", "PATCH", url, json={"resolved": True}), 403)
    _problem(await stack.call("admin", "PATCH", url, json={"resolved": True}), 403)
    async with stack.capture() as seen:
        r = await stack.call("lead", "PATCH", url, json={"resolved": True})
    assert r.status_code == 200 and r.json()["resolved"] is True
    assert [(e["type"], e["changes"]) for e in seen] == [("feedback.updated", ["resolved"])]
    assert (await stack.call("lead", "PATCH", url, json={"resolved": False})).json()["resolved"] is False
    # Feedback on a key result belongs to its objective.
    on_kr = await give(stack, "ceo", kind="question", key_result_id=kr["id"], body="Why 50?")
    assert (on_kr["objective_id"], on_kr["key_result_id"]) == (obj["id"], kr["id"])
    # To a person: that person resolves it.
    to_member = await give(stack, "other", kind="praise", to_user_id=ids["member"]["id"], body="Great demo")
    assert to_member["cycle"] == "2027-Q1"  # this quarter, in the org's calendar
    _problem(await stack.call("lead", "PATCH", f"{FB}/{to_member['id']}", json={"resolved": True}), 403)
    assert (await stack.call("member", "PATCH", f"{FB}/{to_member['id']}", json={"resolved": True})).status_code == 200
    # To a team: any member of it resolves it.
    to_team = await give(stack, "ceo", kind="suggestion", to_team_id=ids["product"]["id"], body="Pair more")
    _problem(await stack.call("other", "PATCH", f"{FB}/{to_team['id']}", json={"resolved": True}), 403)
    assert (await stack.call("member", "PATCH", f"{FB}/{to_team['id']}", json={"resolved": True})).status_code == 200
    # Only the author rewords it.
    _problem(await stack.call("member", "PATCH", f"{FB}/{to_team['id']}", json={"body": "Pair less"}), 403)
    r = await stack.call("ceo", "PATCH", f"{FB}/{to_team['id']}", json={"body": "Pair more, review less",
                                                                         "version": to_team["version"] + 1})
    assert r.status_code == 200 and r.json()["body"] == "Pair more, review less"
    assert (await stack.call("other", "GET", f"{FB}/{to_team['id']}")).json()["body"] == "Pair more, review less"


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "gossip", "to_user_id": 1, "body": "x"}, "kind"),
    ({"kind": "praise", "body": "to nobody"}, "to_user_id"),
    ({"kind": "praise", "to_user_id": 987654, "body": "x"}, "to_user_id"),
    ({"kind": "praise", "to_team_id": 987654, "body": "x"}, "to_team_id"),
    ({"kind": "praise", "objective_id": 987654, "body": "x"}, "objective_id"),
    ({"kind": "praise", "key_result_id": 987654, "body": "x"}, "key_result_id"),
    ({"kind": "praise", "to_user_id": 1, "body": ""}, "body"),
    ({"kind": "praise", "to_user_id": 1, "body": "   "}, "body"),
    ({"kind": "praise", "to_user_id": 1, "body": "x" * 4001}, "body"),
    ({"kind": "praise", "to_user_id": 1, "body": "x", "score": 0.5}, "score"),
    ({"kind": "praise", "to_user_id": 1, "body": "x", "cycle": "2027-Q9"}, "cycle"),
    ({"kind": "praise", "to_user_id": 0, "body": "x"}, "to_user_id"),
    ({"kind": "praise", "to_user_id": "me", "body": "x"}, "to_user_id"),
    ({"kind": "praise", "to_user_id": 1, "body": "x", "extra": 1}, "extra"),
])
async def test_bad_feedback_answers_422(stack: Stack, world: dict[str, Any], body: dict[str, Any], field: str) -> None:
    problem = _problem(await stack.call("member", "POST", FB, json=body), 422)
    assert field in [str(p) for p in problem["errors"][0]["loc"]], problem


async def test_feedback_on_an_objective_keeps_its_cycle(stack: Stack, world: dict[str, Any]) -> None:
    r = await stack.call("member", "POST", FB, json={"kind": "praise", "objective_id": world["product"]["id"],
                                                     "body": "x", "cycle": "2027-Q2"})
    assert _problem(r, 422)["errors"][0]["loc"][-1] == "cycle"
    kr = world["product"]["key_results"][0]
    r = await stack.call("member", "POST", FB, json={"kind": "praise", "objective_id": world["eng"]["id"],
                                                     "key_result_id": kr["id"], "body": "x"})
    assert _problem(r, 422)["errors"][0]["loc"][-1] == "objective_id"


async def test_listing_filters_and_what_is_addressed_to_me(stack: Stack, world: dict[str, Any]) -> None:
    ids = stack.ids
    mine = [
        await give(stack, "ceo", kind="question", to_user_id=ids["member"]["id"], body="to member"),
        await give(stack, "ceo", kind="praise", to_team_id=ids["product"]["id"], body="to member's team"),
    ]
    owned = await stack.okr.objective("member", cycle="2027-Q1", title="Member's own")
    await stack.settle()
    mine.append(await give(stack, "other", kind="suggestion", objective_id=owned["id"], body="on member's objective"))
    not_mine = [
        await give(stack, "member", kind="praise", to_user_id=ids["other"]["id"], body="from member"),
        await give(stack, "ceo", kind="question", objective_id=world["eng"]["id"], body="on eng"),
    ]
    to_me = (await stack.call("member", "GET", FB, params={"to": "me", "limit": 500})).json()
    got = [f["id"] for f in to_me]
    assert {f["id"] for f in mine} <= set(got)
    assert not {f["id"] for f in not_mine} & set(got)
    assert got == sorted(got, reverse=True)  # newest first
    by_objective = (await stack.call("ceo", "GET", FB, params={"objective_id": world["eng"]["id"]})).json()
    assert [f["id"] for f in by_objective] == [not_mine[1]["id"]]
    by_author = (await stack.call("ceo", "GET", FB, params={"author_id": ids["member"]["id"]})).json()
    assert not_mine[0]["id"] in [f["id"] for f in by_author]
    assert all(f["author_id"] == ids["member"]["id"] for f in by_author)
    by_kind = (await stack.call("ceo", "GET", FB, params={"kind": "question"})).json()
    assert by_kind and all(f["kind"] == "question" for f in by_kind)
    eng = (await stack.call("ceo", "GET", FB, params={"team_id": ids["engineering"]["id"]})).json()
    assert [f["id"] for f in eng] == [not_mine[1]["id"]]
    by_person = (await stack.call("ceo", "GET", FB, params={"to_user_id": ids["other"]["id"]})).json()
    assert [f["id"] for f in by_person] == [not_mine[0]["id"]]
    this_quarter = (await stack.call("ceo", "GET", FB, params={"cycle": "current"})).json()
    assert this_quarter and all(f["cycle"] == "2027-Q1" for f in this_quarter)
    assert (await stack.call("ceo", "GET", FB, params={"cycle": "2027-Q2"})).json() == []
    # Paging by id: newest first, `before` walks back.
    first = (await stack.call("ceo", "GET", FB, params={"limit": 2})).json()
    rest = (await stack.call("ceo", "GET", FB, params={"limit": 2, "before": first[-1]["id"]})).json()
    assert [f["id"] for f in rest] == sorted([f["id"] for f in rest], reverse=True)
    assert rest[0]["id"] < first[-1]["id"]
    for params in ({"to": "you"}, {"kind": "gossip"}, {"cycle": "Q1"}, {"limit": 0}, {"team_id": "x"}):
        _problem(await stack.call("ceo", "GET", FB, params=params), 422)


async def test_summary_counts_by_kind_and_unresolved(stack: Stack, world: dict[str, Any]) -> None:
    obj = await stack.okr.objective("lead", cycle="2027-Q1", title="Summarised")
    await stack.settle()
    kr = obj["key_results"][0]
    a = await give(stack, "other", kind="praise", objective_id=obj["id"], body="a")
    await give(stack, "other", kind="question", key_result_id=kr["id"], body="b")
    await give(stack, "ceo", kind="question", objective_id=obj["id"], body="c")
    await stack.call("lead", "PATCH", f"{FB}/{a['id']}", json={"resolved": True})
    r = await stack.call("member", "GET", f"{FB}/summary", params={"objective_id": obj["id"]})
    assert r.json() == {"objective_id": obj["id"], "total": 3, "unresolved": 2,
                        "by_kind": {"praise": 1, "suggestion": 0, "question": 2, "retro": 0}}
    assert (await stack.call("member", "GET", f"{FB}/summary", params={"objective_id": 987654})).json()["total"] == 0
    _problem(await stack.call("member", "GET", f"{FB}/summary"), 422)


async def test_one_retro_per_team_and_cycle_with_a_score_from_0_to_1(stack: Stack, world: dict[str, Any]) -> None:
    product = stack.ids["product"]["id"]
    retro = {"kind": "retro", "team_id": product, "cycle": "2027-Q1", "went_well": "Shipped",
             "to_improve": "Estimates"}
    for score in (-0.1, 1.01, 2, "NaN", "high"):
        _problem(await stack.call("member", "POST", FB, json={**retro, "score": score}), 422)
    _problem(await stack.call("other", "POST", FB, json={**retro, "score": 0.5}), 403)  # not in Product
    _problem(await stack.call("member", "POST", FB, json={**retro, "to_user_id": 1}), 422)
    _problem(await stack.call("member", "POST", FB, json={**retro, "cycle": None}), 422)
    _problem(await stack.call("member", "POST", FB, json={**retro, "team_id": None}), 422)
    async with stack.capture() as seen:
        created = await give(stack, "member", **retro, score=0.0)
    assert (created["kind"], created["team_id"], created["cycle"], created["score"]) == ("retro", product, "2027-Q1", 0.0)
    assert (created["went_well"], created["to_improve"]) == ("Shipped", "Estimates")
    assert seen[0]["scope"]["team_id"] == product and seen[0]["scope"]["cycle"] == "2027-Q1"
    again = await stack.call("lead", "POST", FB, json={**retro, "score": 1.0})
    assert _problem(again, 409)["current"]["id"] == created["id"]
    url = f"{FB}/{created['id']}"
    _problem(await stack.call("member", "PATCH", url, json={"score": 1.5}), 422)
    _problem(await stack.call("other", "PATCH", url, json={"score": 0.5}), 403)
    _problem(await stack.call("member", "PATCH", url, json={"resolved": True}), 422)
    r = await stack.call("lead", "PATCH", url, json={"score": 1.0, "to_improve": "Estimates, again",
                                                     "version": created["version"]})
    assert r.status_code == 200 and (r.json()["score"], r.json()["to_improve"]) == (1.0, "Estimates, again")
    # Another cycle, or another team, has its own.
    await give(stack, "lead", **{**retro, "cycle": "2027-Q2"}, score=0.65)
    await give(stack, "admin", **{**retro, "team_id": stack.ids["engineering"]["id"]})
    retros = (await stack.call("ceo", "GET", FB, params={"kind": "retro", "team_id": product})).json()
    assert sorted(f["cycle"] for f in retros) == ["2027-Q1", "2027-Q2"]


async def test_two_people_writing_the_retro_at_once_both_keep_their_text(stack: Stack, world: dict[str, Any]) -> None:
    """The seen example: one typed into "What went well", the other saved the form he had
    loaded before; her sentence must survive his save, and his must survive hers."""
    product = stack.ids["product"]["id"]
    made = await give(stack, "member", kind="retro", team_id=product, cycle="2026-Q4", went_well="Shipped v2.",
                      to_improve="", score=0.6)
    url, seen_version = f"{FB}/{made['id']}", made["version"]
    # She adds a sentence (from the version both loaded).
    r = await stack.call("member", "PATCH", url, json={
        "went_well": "Shipped v2. Hired two people.", "base": {"went_well": "Shipped v2."}, "version": seen_version})
    assert r.status_code == 200, r.text
    assert r.json()["version"] > seen_version
    # He saves what he typed into the same field, from the same old version, with his base: merged.
    async with stack.capture() as seen:
        r = await stack.call("lead", "PATCH", url, json={
            "went_well": "Shipped v2 on time.", "base": {"went_well": "Shipped v2."}, "version": seen_version})
    assert r.status_code == 200, r.text
    assert r.json()["went_well"] == "Shipped v2 on time. Hired two people."
    assert seen[0]["data"]["went_well"] == r.json()["went_well"] and seen[0]["version"] == r.json()["version"]
    # A form that sends a field without its base, over a newer value it never saw: refused, with the current text.
    stale = await stack.call("lead", "PATCH", url, json={"went_well": "Only mine", "version": seen_version})
    problem = _problem(stale, 409)
    assert problem["current"]["went_well"] == "Shipped v2 on time. Hired two people."
    # The grade has nothing to merge: a change from an old version loses to the newer one...
    now = r.json()["version"]
    assert (await stack.call("member", "PATCH", url, json={"score": 0.8, "version": now})).status_code == 200
    _problem(await stack.call("lead", "PATCH", url, json={"score": 0.3, "version": now}), 409)
    # ...but a field nobody else touched saves from an old version (per field, not per row).
    r = await stack.call("lead", "PATCH", url, json={"to_improve": "Estimates", "version": seen_version,
                                                     "base": {"to_improve": ""}})
    assert r.status_code == 200 and r.json()["score"] == 0.8 and r.json()["to_improve"] == "Estimates"
    # Without a version nothing someone wrote is overwritten.
    _problem(await stack.call("lead", "PATCH", url, json={"to_improve": "Blind"}), 422)
    # Replaying the same change (a lost answer, sent again) does not write it twice.
    body = {"to_improve": "Estimates. Fewer meetings.", "base": {"to_improve": "Estimates"}, "version": now + 1}
    first = (await stack.call("member", "PATCH", url, json=body)).json()
    again = (await stack.call("member", "PATCH", url, json=body)).json()
    assert first["to_improve"] == again["to_improve"] == "Estimates. Fewer meetings."


async def test_a_feedback_body_is_reworded_only_from_the_version_its_author_saw(stack: Stack,
                                                                                 world: dict[str, Any]) -> None:
    made = await give(stack, "other", kind="praise", to_team_id=stack.ids["product"]["id"], body="Great demo")
    url = f"{FB}/{made['id']}"
    r = await stack.call("other", "PATCH", url, json={"body": "Great demo!", "version": made["version"]})
    assert r.status_code == 200
    # A second tab, still on the first version, without its base: refused, not overwritten.
    assert _problem(await stack.call("other", "PATCH", url, json={"body": "Nice", "version": made["version"]}),
                    409)["current"]["body"] == "Great demo!"
    # Resolving needs no version: it changes nothing anyone wrote.
    assert (await stack.call("lead", "PATCH", url, json={"resolved": True})).status_code == 200
