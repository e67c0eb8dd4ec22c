"""Floors the benchmarks share, measured in the same run as what they compare against."""

from __future__ import annotations

import asyncio
import time

import nats


async def nats_request_reply(url: str, subject: str, n: int, warmup: int = 20, pause: float = 0.0) -> list[float]:
    """Raw NATS request/reply between two connections: a responder that echoes. `pause`
    seconds idle between requests (0: back to back)."""
    server, client = await nats.connect(url), await nats.connect(url)
    try:
        async def reply(msg: nats.aio.msg.Msg) -> None:
            await msg.respond(msg.data)

        await server.subscribe(subject, cb=reply)
        await server.flush()
        for _ in range(50):  # seen once: "no responders" right after the flush, on a loaded machine
            try:
                await client.request(subject, b"{}", timeout=2)
                break
            except nats.errors.NoRespondersError:
                await asyncio.sleep(0.1)
        samples = []
        for i in range(n + warmup):
            started = time.perf_counter()
            await client.request(subject, b'{"ok":true}', timeout=2)
            if i >= warmup:
                samples.append(time.perf_counter() - started)
            await asyncio.sleep(pause)
        return samples
    finally:
        await client.close()
        await server.close()
