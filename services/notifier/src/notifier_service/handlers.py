"""The notifier on the bus: durable pull consumers (shared by replicas) that turn reminder
occurrences and domain events into delivery rows, each handled once (the inbox, in the
same transaction as the rows) and acknowledged after commit."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from boost_bus import Bus, Tx
from boost_bus.client import Poison
from boost_bus.inbox import claim, defer_claim
from boost_contracts.envelope import Envelope
from boost_contracts.events import CheckInData, FeedbackData, ReminderDueData
from boost_platform.db import insert_ignore, upsert
from boost_platform.logging import get_logger
from pydantic import ValidationError

from .deliveries import nudges, store
from .deliveries.planner import Planner, is_stale
from .deliveries.store import Plan
from .models import Activity, inbox

if TYPE_CHECKING:
    from .bootstrap import Container

log = get_logger("notifier.handlers")
APPROVAL_EVENTS = ("objective.submitted", "objective.approved", "objective.changes_requested")


async def register_bus(c: Container) -> None:
    bus: Bus = c.runtime.bus
    names = c.settings.names
    await bus.ensure_streams()
    h = Handlers(c)
    await bus.consume(source="scheduler", durable="notifier_reminders", handler=poison_if_invalid(h.reminder),
                      filter_subject=names.event("scheduler", "reminder.due"))
    # Only the approval flow's events: every other objective event (a title typed, a
    # check-in's progress) would cost a delivery and a decode for nothing.
    await bus.consume(source="okr", durable="notifier_objectives", handler=poison_if_invalid(h.objective),
                      filter_subjects=[names.event("okr", t) for t in APPROVAL_EVENTS])
    await bus.consume(source="okr", durable="notifier_check_ins", handler=poison_if_invalid(h.check_in),
                      many=h.check_ins, filter_subject=names.event("okr", "check_in.created"))
    await bus.consume(source="okr", durable="notifier_check_ins_deleted", handler=poison_if_invalid(h.check_in_deleted),
                      filter_subject=names.event("okr", "check_in.deleted"))
    await bus.consume(source="feedback", durable="notifier_feedback", handler=poison_if_invalid(h.feedback),
                      filter_subject=names.event("feedback", "feedback.created"))
    await bus.consume(source="feedback", durable="notifier_mentions", handler=poison_if_invalid(h.mention),
                      filter_subject=names.event("feedback", "mention.created"))
    await bus.consume(source="connectors", durable="notifier_sources", handler=poison_if_invalid(h.source_failing),
                      filter_subject=names.event("connectors", "binding.failing"))
    await bus.consume(source="feedback", durable="notifier_feedback_updated",
                      handler=poison_if_invalid(h.feedback_updated),
                      filter_subject=names.event("feedback", "feedback.updated"))


def poison_if_invalid(handler: Callable[[Envelope], Awaitable[None]]) -> Callable[[Envelope], Awaitable[None]]:
    """An event whose data doesn't fit its contract will never be handled: terminate it
    instead of redelivering it forever (anything else is retried with backoff)."""

    async def wrapped(env: Envelope) -> None:
        try:
            await handler(env)
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            raise Poison(f"{env.type} {env.id}: {exc!r}"[:300]) from exc

    return wrapped


class Handlers:
    def __init__(self, c: Container) -> None:
        self.c = c
        self.planner: Planner = c.planner
        self.outbox = c.runtime.outbox

    async def _handled(self, consumer: str, event_id: str) -> bool:
        """A cheap look before asking okr anything; the claim in `_commit` is what counts."""
        async with self.outbox.maker() as session:
            found = (await session.execute(
                inbox.select().where(inbox.c.consumer == consumer, inbox.c.event_id == event_id))).first()
        return found is not None

    async def _commit(self, consumer: str, env: Envelope, plans: list[Plan],
                      more: Callable[..., Awaitable[None]] | None = None,
                      prepare: Callable[[Tx], Awaitable[None]] | None = None) -> None:
        """The plans' rows and the inbox claim in one transaction (a redelivery adds nothing);
        `prepare` decides on the plans inside it, before they are written (the weekly cap)."""
        async with self.outbox.transaction() as tx:
            if not await claim(tx, inbox, consumer, env.id):
                return
            if prepare is not None:
                await prepare(tx)
            added = await store.add(tx, plans, self.c.runtime.clock.now(), can_send=self.c.slack is not None)
            if more is not None:
                await more(tx)
        if plans:
            log.info("deliveries planned", event_id=env.id, type=env.type, planned=len(plans), added=added)
        self.c.sender.wake()

    # ------------------------------------------------------------------ consumers
    async def reminder(self, env: Envelope) -> None:
        if await self._handled("reminders", env.id):
            return
        data = ReminderDueData.model_validate(env.data)
        due_now = bool(env.data.get("due_now"))
        now = self.c.runtime.clock.now()
        plans = await self.planner.reminder(data, now, due_now)

        async def _due_now(tx: Tx) -> None:
            if due_now:
                await store.make_due_now(tx, data.occurrence_id, now)

        cap = nudges.cap_of(await self.c.okr.org()) if data.kind in nudges.SCHEDULED_KINDS and plans else None

        async def _cap(tx: Tx) -> None:
            if cap is not None:
                await nudges.apply_weekly_cap(tx.session, plans, cap, self.c.settings.timezone)

        await self._commit("reminders", env, plans, _due_now, _cap)

    async def objective(self, env: Envelope) -> None:
        if env.type not in APPROVAL_EVENTS:
            return
        if await self._handled("objectives", env.id):
            return
        now = self.c.runtime.clock.now()
        stale = is_stale(env, self.c.knobs.stale_event_hours)
        if env.type == "objective.submitted":
            plans = [] if stale else await self.planner.approval_requested(env, now)
            await self._commit("objectives", env, plans)
            return
        outcome = "approved" if env.type == "objective.approved" else "changes_requested"
        by = await self.c.okr.user(int(env.actor_id)) if isinstance(env.actor_id, int) else None
        by_name = (by or {}).get("name", "")
        plans = [] if stale else await self.planner.approval_decided(env, now, by_name)
        data = env.data

        async def _decide(tx: Tx) -> None:
            review = data.get("review") or {}
            await store.decide(tx, int(data["id"]), outcome, by=by_name, comment=review.get("comment"),
                               public_url=self.c.settings.public_url, now=now)

        await self._commit("objectives", env, plans, _decide)

    async def check_in(self, env: Envelope) -> None:
        """Counted for the team's Friday digest."""
        await self.check_ins([env])

    async def check_ins(self, envs: list[Envelope]) -> None:
        """Nothing is planned for a check-in: each one's claim and row (INSERT IGNOREs both)
        go in one batch that COMMITs, without an ORM session."""
        rows = [(env, CheckInData.model_validate(env.data)) for env in envs]
        async with self.outbox.batch_transaction() as tx:
            for env, data in rows:
                defer_claim(tx, inbox, "check_ins", env.id)
                tx.defer(_insert_activity(tx.dialect), activity_row(
                    "check_in", data.id, env.scope.team_id, env.scope.objective_id, data.key_result_id,
                    data.author_id, data.created_at, value=data.value, confidence=data.confidence))

    async def check_in_deleted(self, env: Envelope) -> None:
        """A deleted check-in no longer counts: its row becomes a tombstone (written as one
        when the deletion is handled before the creation, which then adds nothing)."""
        data = CheckInData.model_validate(env.data)

        async def _delete(tx: Tx) -> None:
            row = {"kind": "check_in", "ref_id": data.id, "team_id": env.scope.team_id,
                   "objective_id": env.scope.objective_id, "key_result_id": data.key_result_id,
                   "author_id": data.author_id, "at": data.created_at, "deleted": True}
            await tx.session.execute(upsert(Activity.__table__, store.dialect_of(tx.session), row, {"deleted": True},
                                            ["kind", "ref_id"]))

        await self._commit("check_ins_deleted", env, [], _delete)

    async def feedback(self, env: Envelope) -> None:
        if await self._handled("feedback", env.id):
            return
        now = self.c.runtime.clock.now()
        data = FeedbackData.model_validate(env.data)
        if is_stale(env, self.c.knobs.stale_event_hours):
            plans: list[Plan] = []
            team_id = data.team_id or data.to_team_id
        else:
            plans, team_id = await self.planner.feedback_received(env, now)

        async def _record(tx: Tx) -> None:
            await self._activity(tx, "feedback", data.id, team_id, data.objective_id, data.key_result_id,
                                 data.author_id, data.created_at, detail=data.kind, resolved=data.resolved)

        await self._commit("feedback", env, plans, _record)

    async def mention(self, env: Envelope) -> None:
        if await self._handled("mentions", env.id):
            return
        plans = [] if is_stale(env, self.c.knobs.stale_event_hours) else await self.planner.mentioned(
            env, self.c.runtime.clock.now())
        await self._commit("mentions", env, plans)

    async def source_failing(self, env: Envelope) -> None:
        """A key result's data source started failing (§9): its owner hears it once per
        spell (connectors emits `binding.failing` only when a spell starts)."""
        if await self._handled("sources", env.id):
            return
        plans = [] if is_stale(env, self.c.knobs.stale_event_hours) else await self.planner.source_failing(
            env, self.c.runtime.clock.now())
        await self._commit("sources", env, plans)

    async def feedback_updated(self, env: Envelope) -> None:
        """A feedback answered (resolved) or reopened: the digest counts what still waits."""
        data = FeedbackData.model_validate(env.data)

        async def _resolve(tx: Tx) -> None:
            # Written whole when handled before the creation (another consumer), which then adds nothing.
            row = {"kind": "feedback", "ref_id": data.id, "team_id": data.team_id or data.to_team_id,
                   "objective_id": data.objective_id, "key_result_id": data.key_result_id,
                   "author_id": data.author_id, "at": data.created_at, "deleted": False, "detail": data.kind,
                   "resolved": data.resolved}
            await tx.session.execute(upsert(Activity.__table__, store.dialect_of(tx.session), row,
                                            {"resolved": data.resolved}, ["kind", "ref_id"]))

        await self._commit("feedback_updated", env, [], _resolve)

    @staticmethod
    async def _activity(tx: Tx, kind: str, ref_id: int, team_id: int | None, objective_id: int | None,
                        key_result_id: int | None, author_id: int | None, at: datetime, *,
                        value: float | None = None, confidence: int | None = None, detail: str | None = None,
                        resolved: bool = False) -> None:
        """`at` is when it happened (a stream replayed after downtime must not count last
        month's check-ins as this week's); a tombstone already there stays one."""
        await tx.session.execute(_insert_activity(tx.dialect), activity_row(
            kind, ref_id, team_id, objective_id, key_result_id, author_id, at, value=value, confidence=confidence,
            detail=detail, resolved=resolved))


def activity_row(kind: str, ref_id: int, team_id: int | None, objective_id: int | None, key_result_id: int | None,
                 author_id: int | None, at: datetime, *, value: float | None = None, confidence: int | None = None,
                 detail: str | None = None, resolved: bool = False) -> dict[str, Any]:
    """One check-in or feedback for the digest (`at`: when it happened)."""
    return {"kind": kind, "ref_id": ref_id, "team_id": team_id, "objective_id": objective_id,
            "key_result_id": key_result_id, "author_id": author_id, "at": at, "deleted": False, "value": value,
            "confidence": confidence, "detail": detail, "resolved": resolved}


@functools.cache
def _insert_activity(dialect: str) -> sa.Insert:
    """Nothing when the row is there already: a tombstone stays one, a redelivery adds nothing."""
    return insert_ignore(Activity.__table__, dialect)
