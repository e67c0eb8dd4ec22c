"""okr's composition root: builds everything the service needs from settings.
Tests build their own Container with other settings (or a FakeClock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from boost_bus.runtime import Runtime, ServiceContainer, open_runtime
from boost_platform.clock import Clock
from boost_platform.replica import ReadReplica
from boost_platform.settings import BoostSettings

from . import models
from .auth.tokens import TokenSigner, load_or_create_key
from .dashboard.service import DashboardCache

SERVICE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Container(ServiceContainer):
    runtime: Runtime
    signer: TokenSigner
    dashboard_cache: DashboardCache = field(default_factory=DashboardCache)
    # Search, export and history: on BOOST_OKR_READ_DATABASE_URL when set (else the primary).
    reads: ReadReplica = field(init=False)

    def __post_init__(self) -> None:
        self.reads = ReadReplica("okr", self.runtime.maker, self.settings.read_database_url("okr"))

    async def close(self) -> None:
        await self.reads.close()
        await self.runtime.close()


async def bootstrap(settings: BoostSettings, clock: Clock | None = None) -> Container:
    runtime = await open_runtime("okr", settings, service_dir=SERVICE_DIR, outbox_table=models.outbox, clock=clock)
    signer = TokenSigner(load_or_create_key(settings.signing_key, settings.data_dir))
    runtime.verifier.load_jwks(signer.jwks())
    container = Container(runtime=runtime, signer=signer,
                          dashboard_cache=DashboardCache(max_lag=settings.dashboard_max_lag_seconds))
    await prepare(container)
    from .handlers import register_bus  # the bus handlers need the whole container

    runtime.bus.on_connect(lambda bus: register_bus(container))
    return container


async def prepare(c: Container) -> None:
    """First start and every start: the org, the company team, the admins, demo data once,
    and the deny list of sessions revoked and not yet expired."""
    import time

    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from .demo import load_demo
    from .models import Org, RevokedSession
    from .org.service import ensure_admins, ensure_org

    for attempt in range(5):
        try:
            async with c.runtime.outbox.transaction() as tx:
                await ensure_org(tx, c.settings)
                await ensure_admins(tx, c.settings)
            break
        except IntegrityError:
            # Another replica starting at the same moment created them first.
            if attempt == 4:
                raise
    if c.settings.demo:
        async with c.runtime.outbox.transaction() as tx:
            org = await tx.session.get(Org, 1, with_for_update=True)
            if org is not None and not org.demo_loaded:
                await load_demo(tx, c)
                org.demo_loaded = True
    async with c.runtime.maker() as session:
        rows = (await session.execute(sa.select(RevokedSession).where(RevokedSession.exp > int(time.time())))).scalars()
        for row in rows:
            c.runtime.verifier.revoke(row.jti, row.exp)
