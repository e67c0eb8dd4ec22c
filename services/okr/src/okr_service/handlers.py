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
from boost_platform.problems import Problem
from sqlalchemy.exc import IntegrityError

from .access import GUEST, Actor, actor_from_bus, approvers_for
from .directory.service import upsert_users
from .models import CheckIn, EditReceipt, KeyResult, Membership, Objective, RevokedSession, Team, User
from .objectives import live
from .objectives import service as objectives
from .objectives.edits import EditResult
from .org.service import calendar, calendar_of, get_org, org_json
from .serialize import check_in_json, team_json, user_json
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
        return await objectives.update_kr(w.tx, w.actor, w.cal, cmd.id, dict(cmd.changes), cmd.version, cmd.base,
                                          cmd.op_id)

    async def _receipt(self, op_id: str | None) -> dict[str, Any] | None:
        if not op_id:
            return None
        async with self.c.runtime.maker() as session:
            receipt = await session.get(EditReceipt, op_id)
            return receipt.reply if receipt is not None else None

    async def cmd_check_in(self, body: dict[str, Any]) -> dict[str, Any]:
        cmd = CheckInCommand.model_validate(body)
        async with self.tx() as tx:
            actor = await actor_from_bus(tx.session, cmd.actor_id)
            cal = await calendar(tx.session, self.c.runtime.clock)
            ci = await objectives.check_in(tx, actor, cal, cmd.key_result_id, value=cmd.value,
                                           confidence=cmd.confidence, note=cmd.note)
            kr = await objectives.get_kr(tx.session, cmd.key_result_id)
            return {**check_in_json(ci), "key_result": (await objectives.kr_view(tx.session, cal, kr)).model_dump(mode="json")}

    async def cmd_approve(self, body: dict[str, Any]) -> dict[str, Any]:
        cmd = ApproveCommand.model_validate(body)
        async with work(self.c, cmd.actor_id) as w:
            obj = await objectives.approve(w.tx, w.actor, w.cal, cmd.objective_id)
            return await objectives.objective_view(w.tx.session, w.cal, obj)

    async def cmd_request_changes(self, body: dict[str, Any]) -> dict[str, Any]:
        cmd = RequestChangesCommand.model_validate(body)
        async with work(self.c, cmd.actor_id) as w:
            obj = await objectives.request_changes(w.tx, w.actor, w.cal, cmd.objective_id, cmd.comment)
            return await objectives.objective_view(w.tx.session, w.cal, obj)

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
            obj = await objectives.get_objective(session, int(body["id"]), deleted=True)
            view = await objectives.objective_view(session, cal, obj)
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
            items = await objectives.objectives_json(session, cal, objs)
            return {"items": items, "next": objs[-1].id if len(objs) == limit else None}

    async def query_key_results(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        actor = await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            cal = await calendar(session, self.c.runtime.clock)
            if body.get("ids"):
                ids = [int(i) for i in body["ids"]][:500]
                return await objectives.list_krs(session, cal, owner_id=None, cycle=body.get("cycle"), ids=ids)
            owner = body.get("owner_id")
            if owner == "me":
                owner = actor.user_id
            return await objectives.list_krs(session, cal, owner_id=int(owner) if owner is not None else None,
                                             cycle=body.get("cycle") or "current")

    async def query_dashboard(self, body: dict[str, Any]) -> dict[str, Any]:
        from .dashboard.service import dashboard

        await self._reader(body.get("actor_id"))
        async with self.c.runtime.maker() as session:
            cal = await calendar(session, self.c.runtime.clock)
            return orjson.loads(await dashboard(session, cal, self.c.dashboard_cache, body.get("cycle"),
                                                body.get("team_id")))

    async def query_reminder_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        query = ReminderTargetsQuery.model_validate(body)
        await self._reader(body.get("actor_id", "service:notifier"), "reminder_targets")
        async with self.c.runtime.maker() as session:
            return await reminder_targets(session, self.c, query)


async def reminder_targets(session: Any, c: Container, q: ReminderTargetsQuery) -> dict[str, Any]:
    """Who hears a reminder kind (contract §6), paged by user id."""
    cal = await calendar(session, c.runtime.clock)
    org = await get_org(session)
    cycle = cal.resolve(q.cycle).id
    memberships = (await session.execute(sa.select(Membership.user_id, Membership.team_id, Membership.role))).all()
    teams_of: dict[int, list[int]] = {}
    for m in memberships:
        teams_of.setdefault(m.user_id, []).append(m.team_id)
    per_user: dict[int, dict[str, list[int]]] = {}

    def add(uid: int, team_ids: list[int] | None = None, krs: list[int] | None = None, objs: list[int] | None = None) -> None:
        entry = per_user.setdefault(uid, {"team_ids": [], "key_result_ids": [], "objective_ids": []})
        for key, values in (("team_ids", team_ids), ("key_result_ids", krs), ("objective_ids", objs)):
            for v in values or []:
                if v not in entry[key]:
                    entry[key].append(v)

    kind = q.kind
    if kind in ("drafting_open", "retro_open"):
        for m in memberships:
            add(m.user_id, [m.team_id])
    elif kind == "approval_due":
        pending = (await session.execute(sa.select(Objective.team_id, Objective.id).where(
            Objective.cycle == cycle, Objective.deleted_at.is_(None),
            Objective.status.in_(["draft", "changes_requested"])))).all()
        by_team: dict[int, list[int]] = {}
        for p in pending:
            by_team.setdefault(p.team_id, []).append(p.id)
        for m in memberships:
            if m.team_id in by_team:
                add(m.user_id, [m.team_id], objs=by_team[m.team_id])
    elif kind == "review_mid_quarter":
        for m in memberships:
            if m.role == "lead":
                add(m.user_id, [m.team_id])
    elif kind == "weekly_check_in":
        week_ago = cal.now - timedelta(days=7)
        rows = (await session.execute(
            sa.select(KeyResult.id, KeyResult.owner_id, KeyResult.objective_id, KeyResult.last_check_in_at, Objective.team_id)
            .join(Objective, Objective.id == KeyResult.objective_id)
            .where(Objective.cycle == cycle, Objective.status == "approved", Objective.deleted_at.is_(None),
                   KeyResult.deleted_at.is_(None),
                   sa.or_(KeyResult.last_check_in_at.is_(None), KeyResult.last_check_in_at < week_ago))
            .order_by(KeyResult.last_check_in_at.is_not(None), KeyResult.last_check_in_at, KeyResult.id)
        )).all()
        for r in rows:
            add(r.owner_id, [r.team_id], [r.id], [r.objective_id])
    elif kind in ("approval_requested", "approval_decided"):
        if q.objective_id is None:
            raise Problem(422, f"{kind} needs objective_id")
        obj = await objectives.get_objective(session, q.objective_id, deleted=True)
        if kind == "approval_decided":
            add(obj.owner_id, [obj.team_id], objs=[obj.id])
        else:
            team = await session.get(Team, obj.team_id)
            leads = [m.user_id for m in memberships if team is not None and m.team_id == team.parent_id
                     and m.role == "lead" and m.user_id != obj.owner_id]
            for uid in leads or await approvers_for(session, obj):
                add(uid, [obj.team_id], objs=[obj.id])
    else:
        raise Problem(422, f"{kind} is not a reminder with targets")
    ids = sorted(uid for uid in per_user if q.after is None or uid > q.after)
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
                      "locale": user.locale or ("ko" if org.timezone == "Asia/Seoul" else "en"),
                      "timezone": user.timezone or org.timezone, "muted": kind in (user.muted_reminders or []),
                      **per_user[uid]})
    return {"items": items, "next": page[-1] if len(ids) > q.limit else None}


__all__ = ["CheckIn", "register_bus"]
