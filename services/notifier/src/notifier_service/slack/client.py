"""The Slack Web API behind a small port, with slack-sdk's AsyncWebClient as the real one.

At most once: `chat.postMessage` has no idempotency key, so what happened to a call that
failed is decided in one place, `classify`: `retry` only when Slack cannot have posted
(429, or the connection was refused before anything was sent), `unknown` when it may have
(a timeout, a connection dropped after the request went out, a 5xx, Slack's own
`internal_error`), `failed` when Slack said no (`channel_not_found`, `invalid_blocks`, …).
slack-sdk's retry handlers are set to match: the clients that post never retry a timeout,
a dropped connection or a 5xx; only the read-only client (users.list, auth.test, …) and
`chat.update` (the same edit twice is harmless) do. A 429 holds only the method it was
answered for (the pacer)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp
from boost_platform.logging import get_logger
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

from .blockkit import BlockKitError, fit_answer, fit_message, fit_unfurls, fit_view
from .pacing import Pacer

log = get_logger("notifier.slack.client")

Verdict = Literal["retry", "unknown", "failed"]

# Slack's own errors after which part of the call may have happened ("It's possible some
# aspect of the operation succeeded before the error was raised").
AMBIGUOUS_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class SlackFailure(Exception):
    """What a failed Slack call means: `retry` (Slack cannot have acted), `unknown` (it may
    have), `failed` (it refused)."""

    def __init__(self, error: str, verdict: Verdict, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.verdict: Verdict = verdict
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.verdict == "retry"


class SlackPort(Protocol):
    async def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted: ...
    async def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...
    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None: ...
    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None: ...
    async def unfurl(self, channel: str | None, ts: str | None, unfurls: dict[str, Any],
                     unfurl_id: str | None = None, source: str | None = None) -> None: ...
    async def users_page(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]: ...
    async def channels_page(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]: ...
    async def channel_info(self, channel_id: str) -> dict[str, Any]: ...
    async def auth_test(self) -> dict[str, Any]: ...
    async def bot_app_id(self, bot_id: str) -> str | None: ...
    async def respond(self, response_url: str, body: dict[str, Any]) -> None: ...
    async def close(self) -> None: ...


def method_of(request: HttpRequest) -> str:
    """`chat.postMessage` from `https://slack.com/api/chat.postMessage`."""
    return request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


class MethodRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (sleeps Retry-After + jitter), telling the pacer first that this
    method, and only this one, must wait (every replica, when the pacer is shared)."""

    def __init__(self, pacer: Pacer | None, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        if response is not None and self.pacer is not None:
            await self.pacer.hold(method_of(request), retry_after(response.headers) or 1.0)
        await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)


class RefusedConnectionRetryHandler(AsyncConnectionErrorRetryHandler):
    """Retries only a connection that could not be opened (refused, DNS, TLS): nothing was
    sent. slack-sdk's default also retries a dropped or timed-out connection, which may
    have delivered the request: that is `unknown`, never retried."""

    def __init__(self, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count,
                         error_types=[aiohttp.ClientConnectorError, ConnectionRefusedError])


class AnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """For idempotent calls only: slack-sdk's server-error handler retries 500 and 503; 502
    and 504 are as transient."""

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
    """The one place that decides what a failed call means for a message (see the module)."""
    if isinstance(exc, SlackFailure):
        return exc
    if isinstance(exc, SlackApiError):
        status = int(getattr(exc.response, "status_code", 200) or 200)
        error = ""
        try:
            error = str(exc.response.get("error") or "")
        except Exception:
            error = ""
        if status == 429 or error == "ratelimited":
            return SlackFailure("ratelimited", "retry", retry_after(getattr(exc.response, "headers", {})))
        if status >= 500:
            return SlackFailure(f"Slack answered HTTP {status} after receiving the request: "
                                "it may have been posted", "unknown")
        if error in AMBIGUOUS_ERRORS:
            return SlackFailure(f"Slack answered {error}: it may have been posted", "unknown")
        return SlackFailure(error or f"http_{status}", "failed")
    if isinstance(exc, (aiohttp.ClientConnectorError, ConnectionRefusedError)):
        return SlackFailure(f"could not connect to Slack ({type(exc).__name__}): nothing was sent", "retry")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return SlackFailure("Slack did not answer in time: it may have been posted", "unknown")
    if isinstance(exc, (aiohttp.ClientError, ConnectionError, OSError)):
        return SlackFailure(f"the connection to Slack broke after the request was sent ({type(exc).__name__}): "
                            "it may have been posted", "unknown")
    return SlackFailure(f"unexpected: {exc!r}"[:300], "unknown")


class SlackWebApi:
    def __init__(self, token: str, base_url: str, *, pacer: Pacer | None, retries: int, timeout: float) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))
        self.pacer = pacer
        base = base_url if base_url.endswith("/") else base_url + "/"

        def client(*handlers: AsyncRetryHandler) -> AsyncWebClient:
            return AsyncWebClient(token=token, base_url=base, timeout=int(max(1, timeout)), session=self.session,
                                  retry_handlers=list(handlers))

        # Posting a message: only what cannot have posted is retried.
        self.posting = client(RefusedConnectionRetryHandler(retries), MethodRateLimitRetryHandler(pacer, retries))
        # Reads and idempotent edits: any transient trouble is retried.
        self.reads = client(AsyncConnectionErrorRetryHandler(max_retry_count=retries),
                            MethodRateLimitRetryHandler(pacer, retries), AnyServerErrorRetryHandler(max_retry_count=retries))
        # Interactive calls (modals, unfurls) answer a person now: one quick retry of what cannot have acted.
        self.quick = client(RefusedConnectionRetryHandler(1), MethodRateLimitRetryHandler(None, 1))

    @staticmethod
    def _fit(fit: Any, *args: Any) -> Any:
        """Every payload through Slack's Block Kit limits first (blockkit.py): trimmed, or refused."""
        try:
            return fit(*args)
        except BlockKitError as exc:
            log.error("a Slack payload breaks Block Kit's limits; not sent", where=exc.where, problem=exc.problem)
            raise SlackFailure(f"invalid_blocks (not sent: {exc})"[:500], "failed") from exc

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except SlackApiError as exc:
            raise classify(exc) from exc
        except (TimeoutError, aiohttp.ClientError, ConnectionError, OSError) as exc:
            raise classify(exc) from exc

    async def _paced(self, method: str) -> None:
        if self.pacer is not None:
            await self.pacer.acquire(method)

    async def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        """Paced by the sender (it holds the slot before the row is marked `sending`)."""
        text, blocks = self._fit(fit_message, text, blocks)
        reply = await self._call(self.posting.chat_postMessage(channel=channel, text=text, blocks=blocks,
                                                              unfurl_links=False, unfurl_media=False))
        return Posted(channel=str(reply.get("channel") or channel), ts=str(reply.get("ts") or ""))

    async def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        text, blocks = self._fit(fit_message, text, blocks)
        await self._paced("chat.update")
        await self._call(self.reads.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        view = self._fit(fit_view, view)
        await self._call(self.quick.views_open(trigger_id=trigger_id, view=view))

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        view = self._fit(fit_view, view)
        await self._paced("views.publish")
        await self._call(self.quick.views_publish(user_id=user_id, view=view))

    async def unfurl(self, channel: str | None, ts: str | None, unfurls: dict[str, Any],
                     unfurl_id: str | None = None, source: str | None = None) -> None:
        kwargs: dict[str, Any] = {"unfurls": self._fit(fit_unfurls, unfurls)}
        if unfurl_id and source:
            kwargs.update(unfurl_id=unfurl_id, source=source)
        else:
            kwargs.update(channel=channel, ts=ts)
        await self._call(self.quick.chat_unfurl(**kwargs))

    async def users_page(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        kwargs: dict[str, Any] = {"limit": 200, "include_locale": True}
        if cursor:
            kwargs["cursor"] = cursor
        await self._paced("users.list")
        reply = await self._call(self.reads.users_list(**kwargs))
        nxt = (reply.get("response_metadata") or {}).get("next_cursor") or None
        return list(reply.get("members") or []), nxt

    async def channels_page(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Public channels and the private ones the bot is in (`conversations.list`)."""
        kwargs: dict[str, Any] = {"limit": 200, "types": "public_channel,private_channel", "exclude_archived": True}
        if cursor:
            kwargs["cursor"] = cursor
        await self._paced("conversations.list")
        reply = await self._call(self.reads.conversations_list(**kwargs))
        nxt = (reply.get("response_metadata") or {}).get("next_cursor") or None
        return list(reply.get("channels") or []), nxt

    async def channel_info(self, channel_id: str) -> dict[str, Any]:
        await self._paced("conversations.info")
        reply = await self._call(self.reads.conversations_info(channel=channel_id))
        return dict(reply.get("channel") or {})

    async def auth_test(self) -> dict[str, Any]:
        await self._paced("auth.test")
        reply = await self._call(self.reads.auth_test())
        return dict(reply.data) if isinstance(reply.data, dict) else {}

    async def bot_app_id(self, bot_id: str) -> str | None:
        await self._paced("bots.info")
        reply = await self._call(self.reads.bots_info(bot=bot_id))
        return str((reply.get("bot") or {}).get("app_id") or "") or None

    async def respond(self, response_url: str, body: dict[str, Any]) -> None:
        """Answer through a slash command's or an action's `response_url` (no token needed)."""
        body = self._fit(fit_answer, body)
        try:
            async with self.session.post(response_url, data=json.dumps(body),
                                         headers={"Content-Type": "application/json"}) as resp:
                await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise classify(exc) from exc

    async def close(self) -> None:
        await self.session.close()
