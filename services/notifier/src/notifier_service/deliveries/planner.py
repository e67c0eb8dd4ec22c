"""Who hears what, and when: reminder occurrences and domain events become delivery plans.

okr decides who hears a reminder kind (`okr.query.reminder_targets`); the notifier asks it
for the few facts each message shows (KRs with progress, team names and progress, the
objective under approval). Each person's row is due at the kind's local time on the
occurrence's date in their own timezone (the org's when they have none): the scheduler
publishes an occurrence before anyone's moment comes, and the row waits `scheduled` until
then. A row whose date has already ended where the person lives (an occurrence caught up
late, a stream replayed from far back) is not planned. Muted kinds are skipped. A team
digest goes to the team's channel at the kind's time in the org's timezone."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from boost_contracts.envelope import Envelope
from boost_contracts.events import BindingData, FeedbackData, MentionData, ObjectiveData, ReminderDueData
from boost_platform.logging import get_logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..messages import links, summary
from ..messages.render import render
from ..models import Activity
from ..okr import Okr
from . import nudges, weekly
from .store import Plan, local_day_ends, local_due, zone

log = get_logger("notifier.planner")


def kr_brief(kr: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "title", "kind", "current", "target", "start", "unit", "progress", "health", "confidence")
    return {k: kr.get(k) for k in keep}


def team_order(team_ids: Iterable[int], teams: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """A person's teams, most specific first (the company, the root team, last)."""
    known = [teams[t] for t in team_ids if t in teams]
    return sorted(known, key=lambda t: (t.get("parent_id") is None, t["id"]))


@dataclass
class _ReminderFacts:
    """What one reminder occurrence's messages show, asked of okr once per occurrence (the key
    results once per page of targets)."""

    teams: dict[int, dict[str, Any]]
    krs: dict[int, dict[str, Any]] = field(default_factory=dict)
    objectives: dict[int, dict[str, Any]] | None = None
    dashboards: dict[int, dict[str, Any]] = field(default_factory=dict)


def _awaiting_approval(target: dict[str, Any], objectives: dict[int, dict[str, Any]],
                       teams: list[dict[str, Any]]) -> dict[str, Any]:
    """approval_due: the objectives awaiting the target's decision, and their teams with the
    team of the first pending objective first."""
    objs = [objectives[i] for i in target.get("objective_ids", []) if i in objectives]
    if objs:
        teams = sorted(teams, key=lambda t: t["id"] != objs[0]["team_id"])
    return {"teams": teams, "count": len(target.get("objective_ids", [])),
            "objectives": [{"id": o["id"], "title": o["title"]} for o in objs[:5]]}


class Planner:
    def __init__(self, okr: Okr, maker: async_sessionmaker[AsyncSession], *, public_url: str, can_send: bool,
                 default_locale: str, default_timezone: str) -> None:
        self.okr = okr
        self.maker = maker
        self.public_url = public_url
        self.can_send = can_send
        self.default_locale = default_locale
        self.default_timezone = default_timezone

    def _plan(self, *, key: str, occurrence_id: str, kind: str, target: dict[str, Any], due_at: datetime,
              ctx: dict[str, Any], team_id: int | None = None, objective_id: int | None = None) -> Plan:
        locale = str(target["locale"]) if target.get("locale") in ("ko", "en") else self.default_locale
        ctx = {**ctx, "key": key}
        message = render(kind, locale, self.public_url, ctx)
        return Plan(key=key, occurrence_id=occurrence_id, kind=kind, message=message, due_at=due_at,
                    user_id=target.get("user_id"), team_id=team_id, objective_id=objective_id,
                    channel=target.get("slack_user_id"), locale=locale, timezone=target.get("timezone"), context=ctx)

    # ------------------------------------------------------------------ reminders
    @staticmethod
    def _due(data: ReminderDueData, tz: ZoneInfo, now: datetime, due_now: bool) -> datetime | None:
        """When a row of this occurrence is due where its reader lives: the kind's time on the
        occurrence's date, or now when that passed (or an admin ran it now); None when that date
        is already over there."""
        if due_now:
            return now
        if now >= local_day_ends(data.date, tz):
            return None
        return max(local_due(data.date, data.local_time, tz), now)

    async def reminder(self, data: ReminderDueData, now: datetime, due_now: bool) -> list[Plan]:
        """A reminder occurrence: one plan per target okr names (muted ones aside), due at the
        kind's time where the target lives, already skipped when they are up to date."""
        if data.kind == "team_digest":
            return await self.digest(data, now, due_now)
        facts = _ReminderFacts(teams={t["id"]: t for t in await self.okr.teams()})
        plans: list[Plan] = []
        async for page in self.okr.targets(data.kind, data.cycle):
            page = [t for t in page if not t.get("muted")]
            await self._learn_page(data, page, facts)
            for target in page:
                due = self._due(data, zone(target.get("timezone"), self.default_timezone), now, due_now)
                if due is None:
                    continue
                ctx = await self._reminder_ctx(data, target, facts)
                plan = self._plan(key=f"{data.occurrence_id}:user:{target['user_id']}",
                                  occurrence_id=data.occurrence_id, kind=data.kind, target=target, due_at=due,
                                  ctx=ctx, team_id=ctx["teams"][0]["id"] if ctx["teams"] else None)
                if nudges.is_up_to_date(data.kind, target):
                    nudges.skip(plan, nudges.UP_TO_DATE)
                plans.append(plan)
        return plans

    async def _learn_page(self, data: ReminderDueData, page: list[dict[str, Any]], facts: _ReminderFacts) -> None:
        """What a page of targets' messages show: their first five key results (weekly check-in),
        the cycle's objectives (approval due, once)."""
        if data.kind == "weekly_check_in":
            wanted = sorted({i for t in page for i in t.get("key_result_ids", [])[:5]})
            facts.krs = await self.okr.key_results_by_id(wanted, data.cycle) if wanted else {}
        if data.kind == "approval_due" and facts.objectives is None:
            facts.objectives = await self._objectives(data.cycle)

    async def _reminder_ctx(self, data: ReminderDueData, target: dict[str, Any], facts: _ReminderFacts) -> dict[str, Any]:
        """One target's message: their teams (the one it is about first) and what the kind shows."""
        mine = [{"id": t["id"], "name": t["name"]} for t in team_order(target.get("team_ids", []), facts.teams)]
        ctx: dict[str, Any] = {"cycle": data.cycle, "local_time": data.local_time, "teams": mine}
        if data.kind == "weekly_check_in":
            ids = list(target.get("key_result_ids", []))
            ctx.update(count=len(ids), kr_ids=ids[:5], krs=[kr_brief(facts.krs[i]) for i in ids[:5] if i in facts.krs])
        elif data.kind == "approval_due":
            ctx.update(_awaiting_approval(target, facts.objectives or {}, mine))
        elif data.kind == "review_mid_quarter" and mine:
            team_id = mine[0]["id"]
            if team_id not in facts.dashboards:
                facts.dashboards[team_id] = await self.okr.dashboard(data.cycle, team_id)
            ctx["teams"] = [self._team_progress(facts.dashboards[team_id], team_id, facts.teams)]
        return ctx

    async def _objectives(self, cycle: str) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        after = 0
        while True:
            page = await self.okr.query("objectives", {"cycle": cycle, "after": after, "limit": 1000}, timeout=15)
            for o in page["items"]:
                out[o["id"]] = {"id": o["id"], "title": o["title"], "team_id": o["team_id"]}
            if not page.get("next"):
                return out
            after = page["next"]

    @staticmethod
    def _team_progress(dash: dict[str, Any], team_id: int, teams: dict[int, dict[str, Any]]) -> dict[str, Any]:
        entry = next((t for t in dash.get("teams", []) if t["id"] == team_id), None) or {}
        return {"id": team_id, "name": entry.get("name") or teams.get(team_id, {}).get("name", ""),
                "progress": entry.get("progress", 0.0), "expected_progress": entry.get("expected_progress", 0.0),
                "objectives": [{k: o.get(k) for k in ("id", "title", "progress", "health")}
                               for o in entry.get("objectives", [])[:5]]}

    async def digest(self, data: ReminderDueData, now: datetime, due_now: bool) -> list[Plan]:
        """Friday at the kind's time in the org's timezone: each team with a Slack channel hears
        its week (the check-ins and feedback of the seven days before)."""
        org = await self.okr.org()
        org_tz = zone(org.get("timezone"), self.default_timezone)
        due = self._due(data, org_tz, now, due_now)
        if due is None:
            return []
        teams = {t["id"]: t for t in await self.okr.teams()}
        plans = []
        async with self.maker() as session:
            counts = await self._activity_counts(session, due - timedelta(days=7), due)
        for team in teams.values():
            channel = team.get("slack_channel_id")
            if not channel:
                continue
            dash = await self.okr.dashboard(data.cycle, team["id"])
            progress = self._team_progress(dash, team["id"], teams)
            at_risk = [{k: kr.get(k) for k in ("id", "title", "owner_name", "progress", "health")}
                       for kr in dash.get("at_risk", [])[:5]]
            locale = await weekly.team_locale(self.okr, team, self.default_locale)
            async with self.maker() as session:
                facts = await weekly.week_facts(session, self.okr, team["id"], dash, data.cycle, due - timedelta(days=7), due)
            ctx = {"cycle": data.cycle, "team": progress, "at_risk": at_risk, "summary": summary.sentences(locale, facts),
                   "check_ins": counts.get(("check_in", team["id"]), 0), "feedback": counts.get(("feedback", team["id"]), 0)}
            target = {"user_id": None, "slack_user_id": channel, "locale": locale, "timezone": org_tz.key}
            plans.append(self._plan(key=f"{data.occurrence_id}:team:{team['id']}", occurrence_id=data.occurrence_id,
                                    kind="team_digest", target=target, due_at=due, ctx=ctx, team_id=team["id"]))
        return plans

    @staticmethod
    async def _activity_counts(session: AsyncSession, since: datetime, until: datetime) -> dict[tuple[str, int], int]:
        """Check-ins and feedback per team that happened in [since, until), deleted ones aside."""
        rows = (await session.execute(sa.select(Activity.kind, Activity.team_id, sa.func.count())
                                      .where(Activity.at >= since, Activity.at < until, Activity.team_id.is_not(None),
                                             Activity.deleted.is_(False))
                                      .group_by(Activity.kind, Activity.team_id))).all()
        return {(kind, team_id): int(n) for kind, team_id, n in rows if team_id is not None}

    # ------------------------------------------------------------------ approvals
    async def approval_requested(self, env: Envelope, now: datetime) -> list[Plan]:
        data = ObjectiveData.model_validate(env.data)
        obj = await self.okr.objective(data.id)
        if obj is None or obj.get("status") != "submitted":
            return []  # decided or withdrawn before we got here
        owner = await self.okr.user(obj["owner_id"])
        ctx = {"objective": {"id": obj["id"], "title": obj["title"], "cycle": obj["cycle"], "team_id": obj["team_id"],
                             "key_results": [kr_brief(k) for k in obj.get("key_results", [])[:5]]},
               "owner_name": (owner or {}).get("name", "")}
        plans = []
        async for page in self.okr.targets("approval_requested", obj["cycle"], objective_id=obj["id"]):
            for target in page:
                if target.get("muted"):
                    continue
                plans.append(self._plan(key=f"{env.id}:user:{target['user_id']}", occurrence_id=env.id,
                                        kind="approval_requested", target=target, due_at=now, ctx=ctx,
                                        team_id=obj["team_id"], objective_id=obj["id"]))
        return plans

    async def approval_decided(self, env: Envelope, now: datetime, by_name: str) -> list[Plan]:
        data = ObjectiveData.model_validate(env.data)
        if env.actor_id == data.owner_id:
            return []  # an admin deciding on their own objective needs no message about it
        outcome = "approved" if env.type == "objective.approved" else "changes_requested"
        ctx = {"objective": {"id": data.id, "title": data.title, "cycle": data.cycle, "team_id": data.team_id},
               "outcome": outcome, "decided_by": by_name, "comment": (data.review.comment if data.review else "") or ""}
        plans = []
        async for page in self.okr.targets("approval_decided", data.cycle, objective_id=data.id):
            for target in page:
                if target.get("muted"):
                    continue
                plans.append(self._plan(key=f"{env.id}:user:{target['user_id']}", occurrence_id=env.id,
                                        kind="approval_decided", target=target, due_at=now, ctx=ctx,
                                        team_id=data.team_id, objective_id=data.id))
        return plans

    # ------------------------------------------------------------------ feedback and mentions
    async def feedback_received(self, env: Envelope, now: datetime) -> tuple[list[Plan], int | None]:
        """The addressee, else the objective's (or key result's) owner, else the team's leads.
        Returns the plans and the team the feedback concerns (for the digest)."""
        data = FeedbackData.model_validate(env.data)
        obj = await self.okr.objective(data.objective_id) if data.objective_id else None
        team_id = data.team_id or data.to_team_id or (obj or {}).get("team_id")
        if data.kind == "retro":
            return [], team_id
        recipients = await self._feedback_recipients(data, obj)
        author = await self.okr.user(data.author_id)
        ctx = {"feedback_kind": data.kind, "body": data.body, "author_name": (author or {}).get("name", ""),
               "objective_id": data.objective_id if obj else None, "objective_title": (obj or {}).get("title")}
        plans = []
        for uid in dict.fromkeys(recipients):
            if uid == data.author_id:
                continue
            target = await self.okr.target(uid, "feedback_received")
            if target is None or target["muted"]:
                continue
            plans.append(self._plan(key=f"{env.id}:user:{uid}", occurrence_id=env.id, kind="feedback_received",
                                    target=target, due_at=now, ctx=ctx, team_id=team_id,
                                    objective_id=data.objective_id))
        return plans, team_id

    async def _feedback_recipients(self, data: FeedbackData, obj: dict[str, Any] | None) -> list[int]:
        """The addressee, else the objective's owner, else the key result's, else the team's leads."""
        if data.to_user_id:
            return [data.to_user_id]
        if obj is not None:
            return [obj["owner_id"]]
        if data.key_result_id:
            krs = await self.okr.key_results_by_id([data.key_result_id], None)
            return [krs[data.key_result_id]["owner_id"]] if data.key_result_id in krs else []
        if data.to_team_id:
            team = next((t for t in await self.okr.teams() if t["id"] == data.to_team_id), None)
            return [m["user_id"] for m in (team or {}).get("members", []) if m.get("role") == "lead"]
        return []

    async def mentioned(self, env: Envelope, now: datetime) -> list[Plan]:
        data = MentionData.model_validate(env.data)
        if data.user_id == data.author_id:
            return []
        target = await self.okr.target(data.user_id, "mentioned")
        if target is None or target["muted"]:
            return []
        author = await self.okr.user(data.author_id)
        link = data.link if data.link.startswith("/") else links.thread(data.subject)
        objective_id = int(data.subject.split(":")[1]) if data.subject.startswith("objective:") and data.subject.split(":")[1].isdigit() else None
        ctx = {"author_name": (author or {}).get("name", ""), "body": data.body, "link": link,
               "subject": data.subject, "people": await self._mentioned_people(data.body)}
        return [self._plan(key=f"{env.id}:user:{data.user_id}", occurrence_id=env.id, kind="mentioned", target=target,
                           due_at=now, ctx=ctx, objective_id=objective_id)]

    async def source_failing(self, env: Envelope, now: datetime) -> list[Plan]:
        data = BindingData.model_validate(env.data)
        krs = await self.okr.key_results_by_id([data.key_result_id], None)
        kr = krs.get(data.key_result_id)
        owner = (kr or {}).get("owner_id") or data.owner_id  # today's owner, if it changed since binding
        if kr is None or owner is None:
            return []
        target = await self.okr.target(int(owner), "source_failing")
        if target is None or target["muted"]:
            return []
        objective = kr.get("objective") or {}
        ctx = {"kr_id": kr["id"], "kr_title": kr["title"], "objective_id": kr["objective_id"],
               "source_name": data.source_name, "error": data.error or ""}
        return [self._plan(key=f"{env.id}:user:{owner}", occurrence_id=env.id, kind="source_failing", target=target,
                           due_at=now, ctx=ctx, team_id=objective.get("team_id"), objective_id=kr["objective_id"])]


    async def _mentioned_people(self, body: str) -> dict[str, dict[str, Any]]:
        """Who `<@id>` names in a chat body, as Slack knows them (render turns them into Slack mentions)."""
        people: dict[str, dict[str, Any]] = {}
        for uid in list(dict.fromkeys(re.findall(r"<@([0-9]{1,18})>", body)))[:20]:
            user = await self.okr.user(int(uid))
            if user is not None:
                people[uid] = {"slack_user_id": user.get("slack_user_id"), "name": user.get("name")}
        return people


def is_stale(env: Envelope, hours: float) -> bool:
    """`occurred_at` is stamped with the wall clock by the producer, so compare with the wall clock."""
    return datetime.now(UTC) - env.occurred_at > timedelta(hours=hours)
