"""scheduler's composition root: the runtime (db, bus, outbox, clock), okr's org settings,
the leader lock and the leader's APScheduler jobs. Tests pass their own clock and knobs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boost_bus import Bus
from boost_bus.runtime import Runtime, ServiceContainer, follow_sessions, open_runtime
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings

from . import models
from .jobs import ReminderJobs
from .leader import LeaderLock
from .org import OrgSource
from .settings import SchedulerSettings

SERVICE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Container(ServiceContainer):
    runtime: Runtime
    knobs: SchedulerSettings
    org: OrgSource
    jobs: ReminderJobs
    leader: LeaderLock

    async def close(self) -> None:
        await self.leader.stop()
        await self.jobs.stop()
        await self.runtime.close()


async def bootstrap(settings: BoostSettings, clock: Clock | None = None,
                    knobs: SchedulerSettings | None = None) -> Container:
    knobs = knobs or SchedulerSettings()
    runtime = await open_runtime("scheduler", settings, service_dir=SERVICE_DIR, outbox_table=models.outbox, clock=clock)
    org = OrgSource(runtime.bus)
    jobs = ReminderJobs(runtime.outbox, org, runtime.clock, knobs)
    leader = LeaderLock(runtime.bus, knobs.lock_ttl_seconds, on_elected=jobs.start, on_lost=jobs.stop)

    async def _org_changed() -> None:
        if leader.is_leader and jobs.running:
            await jobs.rebuild()

    org.listeners.append(_org_changed)

    async def _setup(bus: Bus) -> None:
        await bus.ensure_streams()
        await org.follow()

    runtime.bus.on_connect(_setup)
    runtime.bus.on_connect(lambda bus: follow_sessions(runtime.bus, runtime.verifier))
    return Container(runtime=runtime, knobs=knobs, org=org, jobs=jobs, leader=leader)
