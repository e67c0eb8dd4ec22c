"""The Slack Web API behind a small port, with slack-sdk's AsyncWebClient as the real one.

Retries: slack-sdk's connection, rate-limit (honouring Retry-After) and server-error
handlers; the rate-limit handler also holds the shared pacer so the other senders wait
too. What is still failing after them is classified for the delivery log: retryable
(429, 5xx, network) or permanent (Slack's own error, e.g. `channel_not_found`)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from .pacing import Pacer


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class SlackFailure(Exception):
    def __init__(self, error: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after


class SlackPort(Protocol):
    async def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted: ...
    async def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...
    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None: ...
    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None: ...
    async def unfurl(self, channel: str | None, ts: str | None, unfurls: dict[str, Any],
                     unfurl_id: str | None = None, source: str | None = None) -> None: ...
    async def users_page(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]: ...
    async def respond(self, response_url: str, body: dict[str, Any]) -> None: ...
    async def close(self) -> None: ...


class PacedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (sleeps Retry-After + jitter), telling the pacer first."""

    def __init__(self, pacer: Pacer | None, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        if response is not None and self.pacer is not None:
            self.pacer.hold(retry_after(response.headers) or 1.0)
        await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)


class AnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """slack-sdk's server-error handler retries 500 and 503; 502 and 504 are as transient."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        return response is not None and response.status_code >= 500


def retry_after(headers: Any) -> float | None:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


def classify(exc: BaseException) -> SlackFailure:
    if isinstance(exc, SlackFailure):
        return exc
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        error = ""
        try:
            error = str(exc.response.get("error") or "")
        except Exception:
            error = ""
        if status == 429 or error == "ratelimited":
            return SlackFailure("ratelimited", True, retry_after(getattr(exc.response, "headers", {})))
        if status >= 500 or error in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
            return SlackFailure(f"http_{status}" if status >= 500 else error, True)
        return SlackFailure(error or f"http_{status}", False)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, ConnectionError, OSError)):
        return SlackFailure(f"network: {type(exc).__name__}", True)
    return SlackFailure(f"unexpected: {exc!r}"[:300], False)


class SlackWebApi:
    def __init__(self, token: str, base_url: str, *, pacer: Pacer | None, retries: int, timeout: float) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))
        handlers: list[AsyncRetryHandler] = [
            AsyncConnectionErrorRetryHandler(max_retry_count=retries),
            PacedRateLimitRetryHandler(pacer, max_retry_count=retries),
            AnyServerErrorRetryHandler(max_retry_count=retries),
        ]
        self.client = AsyncWebClient(token=token, base_url=base_url if base_url.endswith("/") else base_url + "/",
                                     timeout=int(timeout), session=self.session, retry_handlers=handlers)
        # Interactive calls (modals, answers) go through a client without the pacer's hold.
        self.quick = AsyncWebClient(token=token, base_url=self.client.base_url, timeout=int(timeout),
                                    session=self.session, retry_handlers=[
                                        AsyncConnectionErrorRetryHandler(max_retry_count=1),
                                        AsyncRateLimitErrorRetryHandler(max_retry_count=1)])

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except SlackApiError as exc:
            raise classify(exc) from exc
        except (TimeoutError, aiohttp.ClientError, ConnectionError, OSError) as exc:
            raise classify(exc) from exc

    async def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        reply = await self._call(self.client.chat_postMessage(channel=channel, text=text, blocks=blocks,
                                                              unfurl_links=False, unfurl_media=False))
        return Posted(channel=str(reply.get("channel") or channel), ts=str(reply.get("ts") or ""))

    async def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        await self._call(self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self._call(self.quick.views_open(trigger_id=trigger_id, view=view))

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        await self._call(self.quick.views_publish(user_id=user_id, view=view))

    async def unfurl(self, channel: str | None, ts: str | None, unfurls: dict[str, Any],
                     unfurl_id: str | None = None, source: str | None = None) -> None:
        kwargs: dict[str, Any] = {"unfurls": unfurls}
        if unfurl_id and source:
            kwargs.update(unfurl_id=unfurl_id, source=source)
        else:
            kwargs.update(channel=channel, ts=ts)
        await self._call(self.quick.chat_unfurl(**kwargs))

    async def users_page(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        kwargs: dict[str, Any] = {"limit": 200, "include_locale": True}
        if cursor:
            kwargs["cursor"] = cursor
        reply = await self._call(self.client.users_list(**kwargs))
        nxt = (reply.get("response_metadata") or {}).get("next_cursor") or None
        return list(reply.get("members") or []), nxt

    async def respond(self, response_url: str, body: dict[str, Any]) -> None:
        """Answer through a slash command's or an action's `response_url` (no token needed)."""
        try:
            async with self.session.post(response_url, data=json.dumps(body),
                                         headers={"Content-Type": "application/json"}) as resp:
                await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise classify(exc) from exc

    async def close(self) -> None:
        await self.session.close()
