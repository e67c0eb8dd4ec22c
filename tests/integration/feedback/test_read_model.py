"""The read model of okr: built incrementally from okr's events through the inbox, it
equals one rebuilt from scratch from okr's queries; a redelivered event changes
nothing, nor does a late one with an older version (objectives, key results, people
and teams alike); and a first start after okr's stream lost its beginning rebuilds
from the queries."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.support.stack import NOW, in_process

from .conftest import Stack


async def dump(container: Any) -> dict[str, Any]:
    from feedback_service.readmodel.service import dump as dump_read_model

    async with container.runtime.maker() as session:
        return await dump_read_model(session)


async def inbox_rows(container: Any) -> int:
    from feedback_service.models import inbox

    async with container.runtime.maker() as session:
        return int((await session.execute(sa.select(sa.func.count()).select_from(inbox))).scalar_one())


async def busy_org(stack: Stack) -> dict[str, Any]:
    """Every kind of change okr makes to what the read model keeps."""
    okr, ids = stack.okr, stack.ids
    a = await okr.objective("member", cycle="2027-Q1", title="Alpha", key_results=[
        {"title": "A1", "start": 0, "target": 10}, {"title": "A2", "start": 0, "target": 5}])
    b = await okr.objective("lead", cycle="2027-Q2", title="Beta")
    r = await okr.call("member", "PATCH", f"/api/okr/objectives/{a['id']}", json={"version": a["version"], "title": "Alpha!"})
    assert r.status_code == 200, r.text
    r = await okr.call("member", "POST", f"/api/okr/objectives/{a['id']}/key-results", json={"title": "A3", "target": 3})
    assert r.status_code == 201, r.text
    added = r.json()
    r = await okr.call("member", "DELETE", f"/api/okr/key-results/{a['key_results'][1]['id']}")
    assert r.status_code == 204, r.text
    r = await okr.call("lead", "POST", f"/api/okr/key-results/{a['key_results'][0]['id']}/check-ins", json={"value": 4})
    assert r.status_code == 201, r.text
    assert (await okr.call("lead", "DELETE", f"/api/okr/objectives/{b['id']}")).status_code == 204
    assert (await okr.call("member", "POST", f"/api/okr/objectives/{a['id']}/submit")).status_code == 200
    new = (await okr.call("admin", "POST", "/api/okr/users", json={"email": "new@x.example", "name": "Nia New"})).json()
    r = await okr.call("admin", "PUT", f"/api/okr/teams/{ids['engineering']['id']}/members/{new['id']}", json={"role": "lead"})
    assert r.status_code == 200, r.text
    r = await okr.call("admin", "PATCH", f"/api/okr/users/{ids['other']['id']}", json={"role": "admin"})
    assert r.status_code == 200, r.text
    r = await okr.call("admin", "PATCH", f"/api/okr/teams/{ids['engineering']['id']}", json={"name": "Platform"})
    assert r.status_code == 200, r.text
    await stack.settle()
    return {"a": a, "b": b, "added": added, "new": new}


async def test_rebuilt_from_scratch_equals_the_incrementally_built_one(stack: Stack) -> None:
    made = await busy_org(stack)
    incremental = await dump(stack.container)
    # It reflects what okr did...
    objectives = {o[0]: o for o in incremental["objectives"]}
    a, b = made["a"], made["b"]
    assert objectives[a["id"]][4:7] == ("Alpha!", "submitted", False)
    assert objectives[b["id"]][6] is True  # deleted
    krs = {k[0] for k in incremental["key_results"]}
    assert {a["key_results"][0]["id"], made["added"]["id"]} <= krs
    assert a["key_results"][1]["id"] not in krs  # deleted
    assert b["key_results"][0]["id"] in krs  # written along with its objective
    assert (stack.ids["engineering"]["id"], made["new"]["id"], "lead") in incremental["memberships"]
    other = next(u for u in incremental["users"] if u[0] == stack.ids["other"]["id"])
    assert other[3] == "admin" and other[5] > 1  # the role change bumped okr's version
    assert next(t for t in incremental["teams"] if t[0] == stack.ids["engineering"]["id"])[1] == "Platform"
    # ...and a rebuild from okr's queries alone ends where the events did.
    await stack.container.read_model.rebuild(from_scratch=True)
    assert await dump(stack.container) == incremental
    # The permissions that come from it follow: other is an admin now.
    msg = (await stack.post("member", f"objective:{a['id']}", "moderate me")).json()
    assert (await stack.call("other", "DELETE", f"/api/feedback/messages/{msg['id']}")).status_code == 200


async def test_a_redelivered_event_changes_nothing(stack: Stack) -> None:
    from feedback_service.readmodel.service import CONSUMER

    obj = await stack.okr.objective("member", cycle="2027-Q1", title="Once")
    r = await stack.okr.call("member", "PATCH", f"/api/okr/objectives/{obj['id']}",
                             json={"version": obj["version"], "title": "Twice"})
    assert r.status_code == 200
    await stack.settle()
    before, handled = await dump(stack.container), await inbox_rows(stack.container)
    bus, names = stack.container.runtime.bus, stack.container.settings.names
    stream = names.stream("okr")
    created = await bus.js.get_last_msg(stream, names.event("okr", "objective.created"))
    updated = await bus.js.get_last_msg(stream, names.event("okr", "objective.updated"))
    assert json.loads(updated.data)["data"]["title"] == "Twice"
    # The very same events again, past JetStream's de-duplication (a new Nats-Msg-Id), as
    # after a replay or a redelivery outside the duplicate window: the inbox stops them.
    for raw in (created, updated):
        await bus.publish_raw(raw.subject, raw.data, msg_id=f"again-{json.loads(raw.data)['id']}")
    await stack.settle()
    assert await dump(stack.container) == before
    assert await inbox_rows(stack.container) == handled
    # Handled by hand (as a second replica would after a crash before the ack): same.
    from boost_contracts.envelope import Envelope

    await stack.container.read_model.handle(Envelope.from_json(created.data))
    assert await dump(stack.container) == before
    # A late event with a new id but an older version loses to the newer state.
    stale = json.loads(created.data)
    stale["id"] = "01STALE0000000000000000000"
    stale["data"]["title"] = "Stale"
    await bus.publish_raw(updated.subject, json.dumps(stale).encode(), msg_id=stale["id"])
    await stack.settle()
    assert await dump(stack.container) == before
    assert await inbox_rows(stack.container) == handled + 1
    info = await bus.js.consumer_info(stream, names.durable(CONSUMER))
    assert info.num_redelivered == 0  # nothing failed on the way


async def test_events_handled_together_keep_the_newest_of_each_whatever_their_order(stack: Stack) -> None:
    """Under a stream of events the consumer hands the read model several at once, in one
    transaction: an older version later in the batch does not undo a newer one before it."""
    from boost_contracts.envelope import Envelope
    from feedback_service.models import RmObjective

    obj = await stack.okr.objective("member", cycle="2027-Q1", title="Order")
    for title in ("Order 2", "Order 3"):
        r = await stack.okr.call("member", "PATCH", f"/api/okr/objectives/{obj['id']}",
                                 json={"version": obj["version"], "title": title})
        assert r.status_code == 200, r.text
        obj = r.json()
    await stack.settle()
    bus, names = stack.container.runtime.bus, stack.container.settings.names
    last = json.loads((await bus.js.get_last_msg(names.stream("okr"), names.event("okr", "objective.updated"))).data)
    version = last["data"]["version"]
    assert last["data"]["title"] == "Order 3"
    maker = stack.container.runtime.maker
    async with maker() as session, session.begin():  # the read model as it was two edits ago
        await session.execute(sa.update(RmObjective).where(RmObjective.id == obj["id"]).values(
            title="Order", version=version - 2))

    def again(n: int, title: str) -> Envelope:  # okr's event of version `version + n`, delivered again
        return Envelope.model_validate({**last, "id": f"01BATCH{version + n:019d}", "version": version + n,
                                        "data": {**last["data"], "title": title, "version": version + n}})

    handled = await inbox_rows(stack.container)
    await stack.container.read_model.handle_many([again(0, "Order 3"), again(-1, "Order 2")])
    async with maker() as session:
        row = await session.get(RmObjective, obj["id"])
    assert row is not None and (row.title, row.version) == ("Order 3", version)
    assert await inbox_rows(stack.container) == handled + 2


async def test_check_ins_cost_the_read_model_nothing_and_later_edits_still_land(stack: Stack) -> None:
    """A check-in moves a key result's number, which the read model does not keep: its
    `key_result.updated` (and `check_in.created`) cost no transaction, and a rename after
    it still lands though the row's version has fallen behind okr's."""
    okr = stack.okr
    obj = await okr.objective("member", cycle="2027-Q1", title="Counted", key_results=[{"title": "K", "target": 9}])
    kr = obj["key_results"][0]
    await stack.settle()
    handled = await inbox_rows(stack.container)
    for value in (1, 2, 3):
        r = await okr.call("member", "POST", f"/api/okr/key-results/{kr['id']}/check-ins", json={"value": value})
        assert r.status_code == 201, r.text
    await stack.settle()
    assert await inbox_rows(stack.container) == handled
    current = (await okr.call("member", "GET", f"/api/okr/key-results/{kr['id']}")).json()
    r = await okr.call("member", "PATCH", f"/api/okr/key-results/{kr['id']}",
                       json={"version": current["version"], "title": "K renamed"})
    assert r.status_code == 200, r.text
    await stack.settle()
    assert await inbox_rows(stack.container) == handled + 1
    rows = {k[0]: k for k in (await dump(stack.container))["key_results"]}
    assert rows[kr["id"]][3] == "K renamed"


async def test_a_description_typed_costs_the_read_model_nothing_and_a_rename_after_it_lands(stack: Stack) -> None:
    """The read model keeps an objective's title, not its description: typing the
    description costs it no write, and a rename after those saves still lands."""
    okr = stack.okr
    obj = await okr.objective("member", cycle="2027-Q1", title="Described")
    await stack.settle()
    handled = await inbox_rows(stack.container)
    version = obj["version"]
    for text in ("W", "Why", "Why it matters"):
        r = await okr.call("member", "PATCH", f"/api/okr/objectives/{obj['id']}",
                           json={"version": version, "description": text})
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    await stack.settle()
    assert await inbox_rows(stack.container) == handled
    r = await okr.call("member", "PATCH", f"/api/okr/objectives/{obj['id']}",
                       json={"version": version, "title": "Described, renamed"})
    assert r.status_code == 200, r.text
    await stack.settle()
    assert await inbox_rows(stack.container) == handled + 1
    rows = {o[0]: o for o in (await dump(stack.container))["objectives"]}
    assert "Described, renamed" in rows[obj["id"]]


async def test_a_late_user_or_team_event_does_not_undo_a_newer_one(stack: Stack) -> None:
    """People and teams are ordered by okr's version like objectives: an older state that
    arrives late (a new id, so the inbox lets it through) loses, whatever its clock says;
    so does an event written before users and teams had a version (it parses as version 1)."""
    from feedback_service.readmodel.service import CONSUMER

    okr, ids = stack.okr, stack.ids
    user = (await okr.call("admin", "POST", "/api/okr/users", json={"email": "late@x.example", "name": "Lea"})).json()
    team = ids["engineering"]["id"]
    r = await okr.call("admin", "PUT", f"/api/okr/teams/{team}/members/{user['id']}", json={"role": "member"})
    assert r.status_code == 200, r.text
    older_team = r.json()
    r = await okr.call("admin", "PATCH", f"/api/okr/users/{user['id']}", json={"name": "Lea Late", "role": "admin"})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = await okr.call("admin", "PUT", f"/api/okr/teams/{team}/members/{user['id']}", json={"role": "lead"})
    assert r.status_code == 200 and r.json()["version"] == older_team["version"] + 1
    await stack.settle()
    before, handled = await dump(stack.container), await inbox_rows(stack.container)
    assert (user["id"], "late@x.example", "Lea Late", "admin", True, 2) in before["users"]
    assert (team, user["id"], "lead") in before["memberships"]

    bus, names = stack.container.runtime.bus, stack.container.settings.names
    stream = names.stream("okr")
    created = json.loads((await bus.js.get_last_msg(stream, names.event("okr", "user.created"))).data)
    assert created["subject_id"] == user["id"] and created["version"] == 1
    team_event = json.loads((await bus.js.get_last_msg(stream, names.event("okr", "team.updated"))).data)
    assert team_event["subject_id"] == team
    late_user = {**created, "id": "01LATEUSER0000000000000000", "type": "user.updated",
                 "occurred_at": "2099-01-01T00:00:00+00:00"}  # later by the clock, older by version
    late_team = {**team_event, "id": "01LATETEAM0000000000000000", "version": older_team["version"],
                 "data": {**team_event["data"], "version": older_team["version"], "members": [
                     m for m in team_event["data"]["members"] if m["user_id"] != user["id"]]}}
    legacy_user = {**created, "id": "01LEGACYUSER00000000000000", "type": "user.updated", "version": None,
                   "data": {k: v for k, v in created["data"].items() if k != "version"}}
    for event in (late_user, late_team, legacy_user):
        subject = names.event("okr", event["type"])
        await bus.publish_raw(subject, json.dumps(event).encode(), msg_id=event["id"])
    await stack.settle()
    assert await dump(stack.container) == before
    assert await inbox_rows(stack.container) == handled + 3  # all three were handled (and lost)...
    info = await bus.js.consumer_info(stream, names.durable(CONSUMER))
    assert info.num_redelivered == 0  # ...none refused

    # The rule holds for a rebuild as well: okr's snapshot lands on the same state.
    await stack.container.read_model.rebuild(from_scratch=True)
    assert await dump(stack.container) == before


async def test_a_late_org_event_does_not_undo_a_newer_one(stack: Stack) -> None:
    """The org is ordered by okr's version too: a late, older org event loses, whatever its clock says."""
    from feedback_service.models import RmOrg

    okr = stack.okr
    original = (await okr.call("admin", "GET", "/api/okr/org")).json()
    moved = (await okr.call("admin", "PATCH", "/api/okr/org", json={"timezone": "Europe/Berlin"})).json()
    back = (await okr.call("admin", "PATCH", "/api/okr/org", json={"timezone": original["timezone"]})).json()
    assert (moved["version"], back["version"]) == (original["version"] + 1, original["version"] + 2)
    await stack.settle()
    bus, names = stack.container.runtime.bus, stack.container.settings.names
    last = json.loads((await bus.js.get_last_msg(names.stream("okr"), names.event("okr", "org.updated"))).data)
    assert last["version"] == back["version"] and last["data"]["version"] == back["version"]
    late = {**last, "id": "01LATEORG00000000000000000", "version": moved["version"],
            "occurred_at": "2099-01-01T00:00:00+00:00", "data": {**last["data"], "timezone": "Europe/Berlin",
                                                                 "version": moved["version"]}}
    await bus.publish_raw(names.event("okr", "org.updated"), json.dumps(late).encode(), msg_id=late["id"])
    await stack.settle()
    async with stack.container.runtime.maker() as session:
        row = await session.get(RmOrg, 1)
    assert row is not None and (row.timezone, row.version) == (original["timezone"], back["version"])


async def test_first_start_after_the_stream_lost_its_start_rebuilds_from_okr(make_settings: Any) -> None:
    settings = make_settings("fbrebuild", now=NOW)
    async with in_process(settings, seeded=True, stack_class=Stack) as stack:
        okr = stack.okr
        obj = await okr.objective("member", cycle="2027-Q1", title="Before the purge")
        okr_container = okr.container
        await stack.published("okr")
        # okr's events older than the stream keeps are gone (here: purged).
        await okr_container.runtime.bus.js.purge_stream(settings.names.stream("okr"))
        await stack.start("feedback")
        container = stack.container
        await stack.settle()
        model = await dump(container)
        assert obj["id"] in [o[0] for o in model["objectives"]]
        assert obj["key_results"][0]["id"] in [k[0] for k in model["key_results"]]
        assert {u[1] for u in model["users"]} >= {"member@x.example", "lead@x.example", "admin@boost.example"}
        # And it follows okr from there on.
        later = await okr.objective("lead", cycle="2027-Q1", title="After the purge")
        await stack.settle()
        assert later["id"] in [o[0] for o in (await dump(container))["objectives"]]
        r = await stack.post("member", f"objective:{later['id']}", "hi")
        assert r.status_code == 201, r.text
