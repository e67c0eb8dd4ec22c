"""Slack's request signature (v0 HMAC-SHA256 of `v0:{timestamp}:{raw body}`, 5-minute
window) checked with slack-sdk's verifier on the raw bytes; a signature seen before within
the window is a replay. Anything else answers 401."""

from __future__ import annotations

import time
from collections import OrderedDict

from boost_platform.problems import Problem
from fastapi import Request
from slack_sdk.signature import SignatureVerifier

WINDOW = 300


class SlackGate:
    def __init__(self, signing_secret: str | None) -> None:
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._seen: OrderedDict[str, float] = OrderedDict()

    def check(self, body: bytes, headers: dict[str, str]) -> None:
        if self.verifier is None:
            raise Problem(401, "Slack requests can't be verified: BOOST_SLACK_SIGNING_SECRET is not set.")
        try:
            valid = self.verifier.is_valid_request(body, headers)
        except UnicodeDecodeError as exc:  # slack-sdk signs text; Slack only ever sends UTF-8
            raise Problem(400, "The body is not UTF-8 text.") from exc
        if not valid:
            raise Problem(401, "The Slack signature is missing, wrong or too old.")
        signature = next((v for k, v in headers.items() if k.lower() == "x-slack-signature"), "")
        now = time.time()
        while self._seen and next(iter(self._seen.values())) < now - WINDOW:
            self._seen.popitem(last=False)
        if signature in self._seen:
            raise Problem(401, "This Slack request was already received (replayed).")
        self._seen[signature] = now


async def verified_body(request: Request) -> bytes:
    """The raw body of a request Slack really sent (FastAPI dependency)."""
    body = await request.body()
    gate: SlackGate = request.app.state.container.slack_gate
    gate.check(body, dict(request.headers))
    return body
