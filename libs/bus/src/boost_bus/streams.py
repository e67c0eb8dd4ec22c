"""Create or update the declared JetStream streams (boost_contracts.streams).

A stream whose settings differ is updated; a server that refuses the declared
config is an error, never silently ignored."""

from __future__ import annotations

from dataclasses import replace

from boost_contracts.streams import STREAMS, StreamSpec
from boost_contracts.subjects import Names
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError


class StreamMismatch(RuntimeError):
    pass


def desired_config(spec: StreamSpec, names: Names) -> StreamConfig:
    return StreamConfig(
        name=spec.name(names),
        subjects=spec.subjects(names),
        retention=RetentionPolicy.LIMITS,
        max_age=float(spec.max_age_seconds),
        storage=StorageType.FILE,
        num_replicas=spec.replicas,
        duplicate_window=float(spec.duplicate_window_seconds),
        discard=DiscardPolicy.OLD,
    )


def _differs(have: StreamConfig, want: StreamConfig) -> list[str]:
    out = []
    for field in ("subjects", "retention", "max_age", "storage", "num_replicas", "duplicate_window", "discard"):
        a, b = getattr(have, field), getattr(want, field)
        if field == "subjects":
            a, b = sorted(a or []), sorted(b or [])
        if isinstance(a, float) or isinstance(b, float):
            if abs(float(a or 0) - float(b or 0)) > 1e-6:
                out.append(field)
        elif a != b:
            out.append(field)
    return out


async def ensure_streams(js: JetStreamContext, names: Names, specs: tuple[StreamSpec, ...] = STREAMS,
                         replicas: int = 1) -> None:
    for spec in specs:
        spec = replace(spec, replicas=replicas)
        want = desired_config(spec, names)
        try:
            info = await js.stream_info(want.name or "")
        except NotFoundError:
            await js.add_stream(want)
            continue
        diff = _differs(info.config, want)
        if not diff:
            continue
        if "storage" in diff:
            raise StreamMismatch(f"stream {want.name} has storage {info.config.storage}; it cannot be changed in place")
        await js.update_stream(want)
        info = await js.stream_info(want.name or "")
        still = _differs(info.config, want)
        if still:
            raise StreamMismatch(f"stream {want.name} refused the declared config: {', '.join(still)}")
