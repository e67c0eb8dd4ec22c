"""Webhook pushes: `POST /api/connectors/hooks/{token} {value, note?}`. The token (43
URL-safe characters from `secrets.token_urlsafe(32)`) is the credential: found by its
SHA-256 digest, then compared with the stored token in constant time. An unknown token is
a 404 that records nothing, like a page that does not exist."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

import sqlalchemy as sa
from boost_platform.problems import Problem

from ..models import Binding
from ..runs.service import KeyResultGone, OkrNotReady, record_reading
from .service import digest

if TYPE_CHECKING:
    from ..bootstrap import Container


async def accept(c: Container, token: str, value: float, note: str = "") -> bool:
    """Record a pushed value; True when it became a check-in (it differed from the current one)."""
    unknown = Problem(404, "No such webhook.")
    if not 32 <= len(token) <= 128:
        raise unknown
    async with c.runtime.maker() as session:
        b = (await session.execute(sa.select(Binding).where(Binding.hook_digest == digest(token)))).scalar_one_or_none()
        if b is None or b.hook_token is None or not hmac.compare_digest(c.vault.open(b.hook_token).encode(),
                                                                        token.encode()):
            raise unknown
        if not b.active:
            raise Problem(409, "This key result's data connection is paused.")
        binding_id, scale = b.id, b.scale
    try:
        return await record_reading(c, binding_id, value * scale if scale is not None else value, c.runtime.clock.now(),
                                    note=note, patience=5.0)
    except KeyResultGone as exc:
        raise unknown from exc
    except OkrNotReady as exc:
        raise Problem(503, "Boost could not take the value yet; send it again in a moment.",
                      headers={"Retry-After": "5"}) from exc
