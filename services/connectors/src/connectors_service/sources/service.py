"""Data sources: admins add, change, test and remove them. The secret goes into the vault
on the way in and is never read back out except to fetch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from boost_platform.problems import Problem, not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..kinds import FetchError, Kind, SourceSpec
from ..models import Binding, Source
from ..safehttp import Refused
from ..schemas import SourceIn, SourcePatch
from ..vault import Vault


def invalid(detail: str, field: str) -> Problem:
    return Problem(422, detail, errors=[{"loc": ["body", field], "msg": detail}])


def scrub(text: str, secret: str | None) -> str:
    """An error names the source, never its secret, whatever a driver or server echoed."""
    if secret:
        for variant in {secret, secret.strip()}:
            if len(variant) >= 3:
                text = text.replace(variant, "***")
    return text


def source_json(source: Source, *, admin: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": source.id, "name": source.name, "kind": source.kind,
                            "has_secret": source.secret is not None}
    if admin:
        body["config"] = source.config
    return body


def spec(source: Source, vault: Vault) -> SourceSpec:
    return SourceSpec(id=source.id, name=source.name, kind=source.kind, config=dict(source.config or {}),
                      secret=vault.open(source.secret) if source.secret else None, version=source.version)


async def get_source(session: AsyncSession, source_id: int) -> Source:
    source = await session.get(Source, source_id)
    if source is None:
        raise not_found(f"Source {source_id}")
    return source


async def list_sources(session: AsyncSession) -> list[Source]:
    return list((await session.execute(sa.select(Source).order_by(Source.name, Source.id))).scalars())


def _config(kind: Kind, config: dict[str, Any]) -> dict[str, Any]:
    try:
        return kind.check_config(config)
    except ValueError as exc:
        raise invalid(str(exc), "config") from exc


async def create_source(session: AsyncSession, kinds: dict[str, Kind], vault: Vault, body: SourceIn) -> Source:
    now = datetime.now(UTC)
    source = Source(name=body.name.strip(), kind=body.kind, config=_config(kinds[body.kind], body.config),
                    secret=vault.seal(body.secret) if body.secret else None, created_at=now, updated_at=now)
    session.add(source)
    await session.flush()
    return source


async def update_source(session: AsyncSession, kinds: dict[str, Kind], vault: Vault, source_id: int,
                        body: SourcePatch) -> Source:
    source = await get_source(session, source_id)
    if body.name is not None:
        source.name = body.name.strip()
    if body.config is not None:
        source.config = _config(kinds[source.kind], body.config)
    if body.secret is not None:
        source.secret = vault.seal(body.secret) if body.secret else None
    source.version += 1
    source.updated_at = datetime.now(UTC)
    await session.flush()
    return source


async def delete_source(session: AsyncSession, source_id: int) -> None:
    source = await get_source(session, source_id)
    used = (await session.execute(sa.select(sa.func.count()).select_from(Binding)
                                  .where(Binding.source_id == source_id))).scalar_one()
    if used:
        raise Problem(409, f"{used} key result(s) take their numbers from this source; disconnect them first.")
    await session.delete(source)


async def try_source(kind: Kind, source: SourceSpec, query: str | None, http: Any) -> dict[str, Any]:
    """Run a query once without recording anything: {ok, value} or {ok: false, error}."""
    try:
        checked = kind.check_query(source, query)
    except ValueError as exc:
        return {"ok": False, "error": scrub(f"{source.name}: {exc}", source.secret)}
    try:
        return {"ok": True, "value": await kind.fetch(source, checked, http)}
    except (FetchError, Refused, ValueError) as exc:
        return {"ok": False, "error": scrub(f"{source.name}: {exc}", source.secret)}
    except Exception as exc:  # a driver's own error type: the source failed, not the request
        return {"ok": False, "error": scrub(f"{source.name}: the fetch failed ({type(exc).__name__})", source.secret)}


async def reseal_all(session: AsyncSession, vault: Vault) -> int:
    """After a key rotation (BOOST_SECRETS_KEY = "new,old"): every stored secret and webhook
    token re-sealed with the new key, so the old one can then be dropped. Returns how many."""
    count = 0
    for source in (await session.execute(sa.select(Source).where(Source.secret.is_not(None)))).scalars():
        assert source.secret is not None
        source.secret = vault.rotate(source.secret)
        count += 1
    for binding in (await session.execute(sa.select(Binding).where(Binding.hook_token.is_not(None)))).scalars():
        assert binding.hook_token is not None
        binding.hook_token = vault.rotate(binding.hook_token)
        count += 1
    return count
