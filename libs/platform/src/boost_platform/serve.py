"""`python -m <service>_service [--port N]`: one uvicorn worker per process."""

from __future__ import annotations

import argparse

import uvicorn

from .settings import BoostSettings


def run(service: str, factory: str) -> None:
    settings = BoostSettings()
    parser = argparse.ArgumentParser(prog=f"{service}_service")
    parser.add_argument("--port", type=int, default=settings.internal_port(service))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    uvicorn.run(
        factory,
        factory=True,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        ws="auto",
        lifespan="on",
        # Longer than nginx keeps idle upstream connections, so nginx never reuses one
        # that uvicorn has just closed (that race turns a POST into a 502).
        timeout_keep_alive=75,
    )
