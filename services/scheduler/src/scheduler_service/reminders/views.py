"""Admin REST (contract §3): the calendar with next run times, and "run a kind now"."""

from __future__ import annotations

from typing import Any

from boost_contracts.events import REMINDER_KINDS
from boost_platform.problems import Problem
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..calendar import SCHEDULED_KINDS
from ..deps import AdminDep, ContainerDep, SessionDep
from ..responses import ReminderCalendar, ReminderRun
from . import service

router = APIRouter(prefix="/api/scheduler", tags=["reminders"])


@router.get("/reminders", response_model=ReminderCalendar, summary="The reminder calendar: each kind's rule and next run, upcoming occurrences")
async def list_reminders(_: AdminDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await c.org.ensure()
    return await service.describe(session, cal, c.runtime.clock.now(), horizon_days=c.knobs.horizon_days,
                                  scheduled=c.jobs.next_run_times(), leader=c.leader.is_leader)


@router.post("/reminders/{kind}/run", response_model=ReminderRun, status_code=202,
             summary="Fire today's occurrence of a kind now (same id as the scheduled one: nobody hears it twice)")
async def run_reminder(kind: str, _: AdminDep, c: ContainerDep) -> JSONResponse:
    if kind not in SCHEDULED_KINDS:
        if kind in REMINDER_KINDS:
            raise Problem(422, f"{kind} is sent when its event happens; it has no calendar to run.")
        raise Problem(404, f"There is no reminder kind {kind!r}.")
    cal = await c.org.ensure()
    now = c.runtime.clock.now()
    occ = cal.occurrence_for_run(kind, now)
    result = await service.publish(c.runtime.outbox, occ, now=now, trigger="manual", due_now=True)
    return JSONResponse({"occurrence": occ.as_json(), "event_id": result.event_id, "first_time": result.first_time},
                        status_code=202)
