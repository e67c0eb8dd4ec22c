"""okr on the bus: the commands and queries it answers (contract §5), each authorised
exactly like its REST twin."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from boost_contracts.messages import (
    ApproveCommand,
    CheckInCommand,
    EditCommand,
    ReminderTargetsQuery,
    RequestChangesCommand,
    UpsertUsersCommand,
)
from boost_platform.people import GUEST
from boost_platform.problems import Problem
from sqlalchemy.exc import IntegrityError

from . import connected
from .access import Actor, actor_from_bus, approvers_for
from .approvals import service as approvals
from .check_ins import service as check_ins
from .directory.service import upsert_users
from .key_results import service as key_results
from .models import CheckIn, EditReceipt, KeyResult, Membership, Objective, RevokedSession, Team, User
from .objectives import live, store
from .objectives import service as objectives
from .objectives.edits import EditResult
from .org.service import calendar, calendar_of, get_org, org_json
from .serialize import Looked, last_looked_at, team_json, user_json
from .uow import Work, work

if TYPE_CHECKING:
    from boost_bus import BatchTx

    from .bootstrap import Container

RECEIPT_TTL = timedelta(hours=24)


@functools.cache
def _insert_receipt() -> sa.Insert:
    return sa.insert(EditReceipt.__table__)


async def register_bus(c: Container) -> None:
    bus = c.runtime.bus
    names = c.settings.names
    await bus.ensure_streams()
    h = Handlers(c)
    for name in ("edit", "check_in", "approve", "request_changes", "upsert_users"):
        await bus.serve(names.cmd("okr", name), getattr(h, f"cmd_{name}"), queue="okr")
    for name in ("org", "user", "objective", "key_results", "reminder_targets", "jwks", "users", "teams", "objectives",
                 "dashboard"):
        await bus.serve(names.query("okr", name), getattr(h, f"query_{name}"), queue="okr")
    await connected.follow_bindings(c)


class Handlers:
    def __init__(self, c: Container) -> None:
        self.c = c

    @property
    def tx(self) -> Any:
        return self.c.runtime.outbox.transaction

    async def _reader(self, actor_id: Any, grant: str = "read") -> Actor:
        async with self.c.runtime.maker() as session:
            actor = await actor_from_bus(session, actor_id if actor_id is not None else "service:unknown")
        actor.require_grant(grant)
        return actor

    # ------------------------------------------------------------------ commands
    async def cmd_edit(self, body: dict[str, Any]) -> dict[str, Any]:
        """An edit, answered once per op_id. A replayed op_id (a client reconnecting) gets
        the original answer: the receipt's primary key is the guard, so the usual, first
        delivery costs no lookup. A replay of an applied edit either conflicts (the field's
        version moved on) or would apply again and then fails on the receipt's key; both
        roll back and answer from the receipt."""
        cmd = EditCommand.model_validate(body)
        try:
            reply = await self._typed_edit(cmd) if live.takes(cmd) else None
            if reply is None:
                async with work(self.c, cmd.actor_id) as w:
                    reply = self._answered(w.tx, cmd, await self._edit(w, cmd))
            return reply
        except IntegrityError:
            stored = await self._receipt(cmd.op_id)
            if stored is not None:
                return stored
            raise
        except Problem as exc:
            stored = await self._receipt(cmd.op_id)
            if stored is not None:
                return stored
            reply = {"ok": False, "error": exc.detail or exc.title, "status": exc.status}
            if exc.current is not None:
                reply["current"] = exc.current
            if cmd.op_id and exc.status == 409:
                async with self.tx() as tx:
                    if await tx.session.get(EditReceipt, cmd.op_id) is None:
                        tx.session.add(EditReceipt(op_id=cmd.op_id, reply=reply, created_at=datetime.now(UTC)))
            return reply

    async def _typed_edit(self, cmd: EditCommand) -> dict[str, Any] | None:
        """Typing in a text field: two batches, no ORM session (`live`). None when the edit
        needs the full path after all (rolled back by then)."""
        assert isinstance(cmd.actor_id, int)
        cal = await calendar_of(self.c.runtime.maker, self.c.runtime.clock)
        try:
            async with self.c.runtime.outbox.batch_transaction() as tx:
                return self._answered(tx, cmd, await live.edit(tx, cmd.actor_id, cal, cmd))
        except live.FullPath:
            return None

    @staticmethod
    def _answered(tx: BatchTx, cmd: EditCommand, result: EditResult) -> dict[str, Any]:
        """The edit's answer, kept as its op_id's receipt in the same transaction."""
        reply: dict[str, Any] = {"ok": True, "version": result.version}
        if result.merged:
            reply["value"] = result.merged
        if cmd.op_id:
            tx.defer(_insert_receipt(), {"op_id": cmd.op_id, "reply": reply, "created_at": datetime.now(UTC)})
        return reply

    @staticmethod
    async def _edit(w: Work, cmd: EditCommand) -> EditResult:
        if w.actor.service is not None:
            raise Problem(403, "Edits are made by people.")
        if cmd.entity == "objective":
            return await objectives.update_objective(w.tx, w.actor, w.cal, cmd.id, dict(cmd.changes), cmd.version,
                                                     cmd.base, cmd.op_id, with_body=False)
        return await key_results.update_kr(w.tx, w.actor, w.cal, cmd.id, dict(cmd.changes), cmd.version, cmd.base,
                                          cmd.op_id)

    async def _receipt(self, op_id: str | None) -> dict[str, Any] | None:
        if not op_id:
            return None
        async with self.c.runtime.maker() as session:
            receipt = await session.get(EditReceipt, op_id)
            return receipt.reply if receipt is not None else None

    async def cmd_check_in(self, body: dict[str, Any]) -> dict[str, Any]:
        cmd = CheckInCommand.model_validate(body)
        async with work(self.c, cmd.actor_id) as w:
            if cmd.source is not None:  # a data reading (§9)
                return await connected.record_reading(w.tx, w.actor, w.cal, cmd)
            ci = await check_ins.check_in(w.tx, w.actor, w.cal, cmd.key_result_id, value=cmd.value,
                                           confidence=cmd.confidence, note=cmd.note)
            return check_ins.recorded(w.tx, ci)

    async def cmd_approve(self, body: dict[str, Any]) -> dict[str, Any]:
        cmd = ApproveCommand.model_validate(body)
        async with work(self.c, cmd.actor_id) as w:
            obj = await approvals.approve(w.tx, w.actor, w.cal, cmd.objective_id)
            return await store.objective_view(w.tx.session, w.cal, obj)

    async def cmd_request_changes(self, body: dict[str, Any]) -> dict[str, Any]:
        cmd = RequestChangesCommand.model_validate(body)
        async with work(self.c, cmd.actor_id) as w:
            obj = await approvals.request_changes(w.tx, w.actor, w.cal, cmd.objective_id, cmd.comment)
            return await store.objective_view(w.tx.session, w.cal, obj)

    async def cmd_upsert_users(self, body: dict[str, Any]) -> dict[str, Any]:
        cmd = UpsertUsersCommand.model_validate(body)
        async with work(self.c, cmd.actor_id) as w:
            return await upsert_users(w.tx, w.actor, cmd.users, cmd.deactivate_missing_slack_users)

    # ------------------------------------------------------------------ queries
    async def query_jwks(self, body: dict[str, Any]) -> dict[str, Any]:
        now = int(datetime.now(UTC).timestamp())
        async with self.c.runtime.maker() as session:
            rows = (await session.execute(sa.select(RevokedSession).where(RevokedSession.exp > now))).scalars()
            revoked = [{"jti": r.jti, "exp": r.exp} for r in rows]
        return {"jwks": self.c.signer.jwks(), "revoked": revoked}

    async def query_org(self, body: dict[str, Any]) -> dict[str, Any]:
        await self._reader(body.get("actor_id", "service:scheduler"), "org")
        async with self.c.runtime.maker() as session:
            org = await get_org(session)
            cal = await calendar(session, self.c.runtime.clock)
            return {**org_json(org), "current_cycle": cal.current().as_json(), "next_cycle": cal.next().as_json(),
                    "today": cal.today.isoformat()}

    async def query_user(self, body: dict[str, Any]) -> dict[str, Any]:
        await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            stmt = sa.select(User)
            if body.get("id") is not None:
                stmt = stmt.where(User.id == int(body["id"]))
            elif body.get("slack_user_id"):
                stmt = stmt.where(User.slack_user_id == str(body["slack_user_id"]))
            elif body.get("email"):
                stmt = stmt.where(User.email == str(body["email"]).lower())
            else:
                raise Problem(422, "give id, slack_user_id or email")
            user = (await session.execute(stmt)).scalar_one_or_none()
            if user is None:
                raise Problem(404, "No such person.")
            teams = (await session.execute(sa.select(Membership.team_id, Membership.role).where(Membership.user_id == user.id))).all()
            return {**user_json(user), "teams": [{"id": t.team_id, "role": t.role} for t in teams]}

    async def query_users(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            return [user_json(u) for u in (await session.execute(sa.select(User).order_by(User.id))).scalars()]

    async def query_teams(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            return [team_json(t) for t in (await session.execute(sa.select(Team).order_by(Team.id))).scalars()]

    async def query_objective(self, body: dict[str, Any]) -> dict[str, Any]:
        await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            cal = await calendar(session, self.c.runtime.clock)
            obj = await store.get_objective(session, int(body["id"]), deleted=True)
            view = await store.objective_view(session, cal, obj)
            view["approvers"] = await approvers_for(session, obj)
            return view

    async def query_objectives(self, body: dict[str, Any]) -> dict[str, Any]:
        """Paged, deleted ones included (read models rebuild from this)."""
        await self._reader(body.get("actor_id"))
        after = int(body.get("after") or 0)
        limit = min(int(body.get("limit") or 500), 2000)
        async with self.c.runtime.maker() as session:
            cal = await calendar(session, self.c.runtime.clock)
            stmt = sa.select(Objective).where(Objective.id > after).order_by(Objective.id).limit(limit)
            if body.get("cycle"):
                stmt = stmt.where(Objective.cycle == cal.resolve(body["cycle"]).id)
            objs = list((await session.execute(stmt)).scalars())
            items = await store.objectives_json(session, cal, objs)
            return {"items": items, "next": objs[-1].id if len(objs) == limit else None}

    async def query_key_results(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        actor = await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            cal = await calendar(session, self.c.runtime.clock)
            if body.get("ids"):
                ids = [int(i) for i in body["ids"]][:500]
                return await key_results.list_krs(session, cal, owner_id=None, cycle=body.get("cycle"), ids=ids)
            owner = body.get("owner_id")
            if owner == "me":
                owner = actor.user_id
            return await key_results.list_krs(session, cal, owner_id=int(owner) if owner is not None else None,
                                             cycle=body.get("cycle") or "current")

    async def query_dashboard(self, body: dict[str, Any]) -> dict[str, Any]:
        from .dashboard.service import dashboard

        await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            cal = await calendar(session, self.c.runtime.clock)
            return orjson.loads((await dashboard(session, cal, self.c.dashboard_cache, body.get("cycle"),
                                                 body.get("team_id"))).body)

    async def query_reminder_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        query = ReminderTargetsQuery.model_validate(body)
        await self._reader(body.get("actor_id", "service:notifier"), "reminder_targets")
        async with self.c.runtime.maker() as session:
            return await reminder_targets(session, self.c, query)


class Targets:
    """Who hears a reminder, with the teams, key results and objectives their message names."""

    def __init__(self) -> None:
        self.per_user: dict[int, dict[str, list[int]]] = {}

    def add(self, uid: int, team_ids: list[int] | None = None, krs: list[int] | None = None,
            objs: list[int] | None = None) -> None:
        entry = self.per_user.setdefault(uid, {"team_ids": [], "key_result_ids": [], "objective_ids": []})
        for key, values in (("team_ids", team_ids), ("key_result_ids", krs), ("objective_ids", objs)):
            for v in values or []:
                if v not in entry[key]:
                    entry[key].append(v)


def needs_check_in(kr: Looked, week_ago: datetime) -> bool:
    """§9: nobody looked at its number in the last 7 days: no check-in, human or data, and no
    run of a healthy data binding (one that runs never lets a key result need one)."""
    looked = last_looked_at(kr)
    return looked is None or looked < week_ago


async def _every_member(session: Any, targets: Targets, memberships: list[Any], cycle: str) -> None:
    for m in memberships:
        targets.add(m.user_id, [m.team_id])


async def _members_with_pending_objectives(session: Any, targets: Targets, memberships: list[Any], cycle: str) -> None:
    pending = (await session.execute(sa.select(Objective.team_id, Objective.id).where(
        Objective.cycle == cycle, Objective.deleted_at.is_(None),
        Objective.status.in_(["draft", "changes_requested"])))).all()
    by_team: dict[int, list[int]] = {}
    for p in pending:
        by_team.setdefault(p.team_id, []).append(p.id)
    for m in memberships:
        if m.team_id in by_team:
            targets.add(m.user_id, [m.team_id], objs=by_team[m.team_id])


async def _leads(session: Any, targets: Targets, memberships: list[Any], cycle: str) -> None:
    for m in memberships:
        if m.role == "lead":
            targets.add(m.user_id, [m.team_id])


async def _key_result_owners(session: Any, targets: Targets, cycle: str, now: datetime) -> None:
    """Every owner of a key result of an approved objective of the cycle, naming only the key
    results that need a check-in (stalest first); an owner with none is up to date, and
    hears nothing (the notifier records that as `skipped` / `up_to_date`)."""
    week_ago = now - timedelta(days=7)
    rows = (await session.execute(
        sa.select(KeyResult.id, KeyResult.owner_id, KeyResult.objective_id, KeyResult.last_check_in_at,
                  KeyResult.source, Objective.team_id).join(Objective, Objective.id == KeyResult.objective_id)
        .where(Objective.cycle == cycle, Objective.status == "approved", Objective.deleted_at.is_(None),
               KeyResult.deleted_at.is_(None))
        .order_by(KeyResult.last_check_in_at.is_not(None), KeyResult.last_check_in_at, KeyResult.id)
    )).all()
    for r in rows:
        due = needs_check_in(r, week_ago)
        targets.add(r.owner_id, [r.team_id], [r.id] if due else [], [r.objective_id] if due else [])


async def _approval_people(session: Any, targets: Targets, memberships: list[Any], kind: str,
                           objective_id: int | None) -> None:
    if objective_id is None:
        raise Problem(422, f"{kind} needs objective_id")
    obj = await store.get_objective(session, objective_id, deleted=True)
    if kind == "approval_decided":
        targets.add(obj.owner_id, [obj.team_id], objs=[obj.id])
        return
    team = await session.get(Team, obj.team_id)
    leads = [m.user_id for m in memberships if team is not None and m.team_id == team.parent_id
             and m.role == "lead" and m.user_id != obj.owner_id]
    for uid in leads or await approvers_for(session, obj):
        targets.add(uid, [obj.team_id], objs=[obj.id])


_BY_MEMBERSHIP = {"drafting_open": _every_member, "retro_open": _every_member,
                  "approval_due": _members_with_pending_objectives, "review_mid_quarter": _leads}


async def _page(session: Any, targets: Targets, q: ReminderTargetsQuery, org_timezone: str) -> dict[str, Any]:
    """One page of targets by user id, active people only, with their language and timezone."""
    ids = sorted(uid for uid in targets.per_user if q.after is None or uid > q.after)
    page = ids[: q.limit]
    # Every reminder asks for a write, so guests (who write nothing) hear none.
    users = {u.id: u for u in (await session.execute(sa.select(User).where(
        User.id.in_(page), User.active, User.role != GUEST))).scalars()} if page else {}
    items = []
    for uid in page:
        user = users.get(uid)
        if user is None:
            continue
        items.append({"user_id": uid, "slack_user_id": user.slack_user_id, "name": user.name,
                      "locale": user.locale or ("ko" if org_timezone == "Asia/Seoul" else "en"),
                      "timezone": user.timezone or org_timezone, "muted": q.kind in (user.muted_reminders or []),
                      **targets.per_user[uid]})
    return {"items": items, "next": page[-1] if len(ids) > q.limit else None}


async def reminder_targets(session: Any, c: Container, q: ReminderTargetsQuery) -> dict[str, Any]:
    """Who hears a reminder kind (contract §6), paged by user id."""
    cal = await calendar(session, c.runtime.clock)
    org = await get_org(session)
    cycle = cal.resolve(q.cycle).id
    memberships = list((await session.execute(sa.select(Membership.user_id, Membership.team_id, Membership.role))).all())
    targets = Targets()
    if q.kind in _BY_MEMBERSHIP:
        await _BY_MEMBERSHIP[q.kind](session, targets, memberships, cycle)
    elif q.kind == "weekly_check_in":
        await _key_result_owners(session, targets, cycle, cal.now)
    elif q.kind in ("approval_requested", "approval_decided"):
        await _approval_people(session, targets, memberships, q.kind, q.objective_id)
    else:
        raise Problem(422, f"{q.kind} is not a reminder with targets")
    return await _page(session, targets, q, org.timezone)


__all__ = ["CheckIn", "register_bus"]
