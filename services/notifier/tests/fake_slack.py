"""A local fake of Slack's Web API (an aiohttp server on a free port) for tests and the bench.

It records every call; answers `auth.test`, `chat.postMessage`, `chat.update`, `views.open`,
`views.publish`, `chat.unfurl`, `users.list` (paged), `conversations.open`; can answer 429
(with Retry-After) or 5xx for a while, enforce a rate limit on `chat.postMessage`, or hold a
call open (a process killed mid-send); carry a post out and then answer late, answer 502 or
drop the connection; refuses Block Kit past Slack's limits like Slack (`invalid_blocks`,
`invalid_arguments`); and takes posts to `response_url`s. `sign()` makes
the headers of a request Slack would send us."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"


def sign(body: bytes | str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    raw = body.encode() if isinstance(body, str) else body
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


# ---------------------------------------------------------------------------- Slack's limits
# Written from Slack's Block Kit reference, independently of the notifier's own check
# (slack/blockkit.py), so that a payload Slack would refuse fails a test.

def _txt(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else str(obj or "")


def _limit_problems(payload: dict[str, Any], *, view: bool) -> list[str]:
    problems: list[str] = []

    def over(value: Any, most: int, what: str) -> None:
        if value is not None and len(value if isinstance(value, str) else _txt(value)) > most:
            problems.append(f"{what} must be less than {most + 1} characters")

    def element(el: dict[str, Any], where: str) -> None:
        kind = el.get("type")
        over(el.get("action_id"), 255, f"{where}.action_id")
        if kind == "button":
            over(el.get("text"), 75, f"{where}.text")
            over(el.get("value"), 2000, f"{where}.value")
            over(el.get("url"), 3000, f"{where}.url")
        elif kind == "plain_text_input":
            if int(el.get("max_length") or 0) > 3000:
                problems.append(f"{where}.max_length must be at most 3000")
            over(el.get("placeholder"), 150, f"{where}.placeholder")
        elif kind == "static_select":
            options = el.get("options") or []
            if len(options) > 100:
                problems.append(f"{where}.options must have at most 100 items")
            for i, o in enumerate(options):
                over(o.get("text"), 75, f"{where}.options[{i}].text")
                over(o.get("value"), 150, f"{where}.options[{i}].value")
        elif kind in ("mrkdwn", "plain_text"):
            over(el, 3000, f"{where}.text")
            if not _txt(el).strip():
                problems.append(f"{where}.text must not be empty")
        else:
            problems.append(f"{where}: unsupported element {kind!r}")

    blocks = payload.get("blocks") or []
    if len(blocks) > (100 if view else 50):
        problems.append(f"no more than {100 if view else 50} items allowed [json-pointer:/blocks]")
    for i, b in enumerate(blocks):
        where = f"/blocks/{i}"
        kind = b.get("type")
        over(b.get("block_id"), 255, f"{where}/block_id")
        if kind == "section":
            over(b.get("text"), 3000, f"{where}/text")
            if "text" in b and not _txt(b["text"]).strip():
                problems.append(f"{where}/text must not be empty")
            if len(b.get("fields") or []) > 10:
                problems.append(f"{where}/fields: at most 10")
            if b.get("accessory"):
                element(b["accessory"], f"{where}/accessory")
        elif kind == "header":
            over(b.get("text"), 150, f"{where}/text")
        elif kind in ("context", "actions"):
            elements = b.get("elements") or []
            if not elements or len(elements) > (10 if kind == "context" else 25):
                problems.append(f"{where}/elements: wrong number of items")
            for j, el in enumerate(elements):
                element(el, f"{where}/elements/{j}")
        elif kind == "input":
            over(b.get("label"), 2000, f"{where}/label")
            over(b.get("hint"), 2000, f"{where}/hint")
            element(b.get("element") or {}, f"{where}/element")
        elif kind not in ("divider", "image"):
            problems.append(f"{where}: unsupported block {kind!r}")
    if view:
        for name in ("title", "submit", "close"):
            over(payload.get(name), 24, f"/view/{name}")
        over(payload.get("private_metadata"), 3000, "/view/private_metadata")
        over(payload.get("callback_id"), 255, "/view/callback_id")
    else:
        over(payload.get("text"), 40_000, "/text")
    return problems


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Fault:
    """How the next `times` calls of `method` misbehave. `posted`: the call is carried out (a
    message is posted) before the misbehaviour, as when Slack is slow or its edge fails after
    the request reached it; `mode`: answer `status`, answer `late` (after `delay` seconds,
    past the client's timeout), or `drop` the connection without answering."""

    method: str
    status: int
    times: int
    retry_after: int | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    posted: bool = False
    mode: str = "answer"
    delay: float = 0.0


@dataclass
class Member:
    id: str
    email: str | None
    name: str
    locale: str = "en-US"
    tz: str = "Asia/Seoul"
    deleted: bool = False
    is_bot: bool = False
    guest: str | None = None  # "single" (is_ultra_restricted) or "multi" (is_restricted) channel guest

    def as_json(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"real_name": self.name, "display_name": self.name.split()[0],
                                   "image_192": f"https://avatars.example/{self.id}.png"}
        if self.email:
            profile["email"] = self.email
        return {"id": self.id, "name": self.name.lower().replace(" ", "."), "real_name": self.name,
                "deleted": self.deleted, "is_bot": self.is_bot, "tz": self.tz,
                "is_restricted": self.guest is not None, "is_ultra_restricted": self.guest == "single", "locale": self.locale, "profile": profile}


@dataclass
class FakeSlack:
    token: str = TOKEN
    rate_per_second: float | None = None  # chat.postMessage limit (token bucket), 429 past it
    burst: float = 1.0
    rate_retry_after: int = 1
    page_size: int = 2
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    holds: dict[str, asyncio.Event] = field(default_factory=dict)  # channel → released when set
    held: set[str] = field(default_factory=set)
    record_params: bool = True
    strict: bool = True  # refuse Block Kit past Slack's limits, as Slack does
    team_id: str = "T0TEST"  # the workspace the token belongs to (auth.test)
    app_id: str = "A0BOOST"
    channels: list[dict[str, Any]] = field(default_factory=list)  # conversations.list

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self.rejected = 0
        self.invalid: list[tuple[str, dict[str, Any]]] = []  # calls refused for Block Kit's limits
        self.posted: Counter[str] = Counter()  # successful chat.postMessage per channel
        self.first_post_at: float | None = None  # wall clock
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    async def start(self, port: int = 0) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/_stats", self._stats)
        app.router.add_get("/_said/{to}", self._said)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        if port:
            self.port = port
        else:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        return self

    async def stop(self) -> None:
        for event in self.holds.values():
            event.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------------ controls
    def fail(self, method: str, status: int, times: int, retry_after: int | None = None,
             when: Callable[[dict[str, Any]], bool] | None = None, posted: bool | None = None) -> None:
        """Answer `status` (a 429 before doing anything; a 5xx after doing it, unless `posted=False`)."""
        self.faults.append(Fault(method, status, times, retry_after, when,
                                 posted=status >= 500 if posted is None else posted))

    def refuse(self, method: str, error: str, times: int = 1,
               when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Answer Slack's own refusal (HTTP 200, `ok: false`, `error`), doing nothing."""
        self.faults.append(Fault(method, 200, times, None, when, mode=f"error:{error}"))

    def late(self, method: str, seconds: float, times: int = 1,
             when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Carry the call out, then answer only after `seconds` (past the client's timeout)."""
        self.faults.append(Fault(method, 200, times, None, when, posted=True, mode="late", delay=seconds))

    def drop(self, method: str, times: int = 1, when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Carry the call out, then close the connection without an answer."""
        self.faults.append(Fault(method, 0, times, None, when, posted=True, mode="drop"))

    def hold(self, channel: str) -> asyncio.Event:
        """The next postMessage to `channel` waits until the returned event is set."""
        event = asyncio.Event()
        self.holds[channel] = event
        return event

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [c.params for c in self.of("chat.postMessage") if channel is None or c.params.get("channel") == channel]

    def reset(self) -> None:
        self.calls.clear()
        self.responses.clear()
        self.faults.clear()

    # ------------------------------------------------------------------ handlers
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            ctype = request.headers.get("Content-Type", "")
            if "json" in ctype:
                params.update(json.loads(body))
            else:
                params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        for key in ("blocks", "view", "unfurls"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    def _rate_ok(self) -> bool:
        if self.rate_per_second is None:
            return True
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate_per_second)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}" and params.get("token") != self.token:
            self.calls.append(Call(method, params, time.monotonic(), 200))
            return web.json_response({"ok": False, "error": "invalid_auth"})
        for fault in self.faults:
            if fault.method == method and fault.times > 0 and (fault.when is None or fault.when(params)):
                fault.times -= 1
                if fault.posted:
                    self.calls.append(Call(method, params, time.monotonic(), 200))
                    answer = self._answer(method, params)
                    if fault.mode == "late":
                        await asyncio.sleep(fault.delay)
                        return web.json_response(answer)
                    if fault.mode == "drop":
                        if request.transport is not None:
                            request.transport.close()
                        return web.Response(status=200)
                else:
                    self.calls.append(Call(method, params, time.monotonic(), 400 if fault.status == 200 else fault.status))
                    if fault.mode.startswith("error:"):
                        return web.json_response({"ok": False, "error": fault.mode.split(":", 1)[1]})
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                if fault.status == 429:
                    return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
                return web.Response(status=fault.status, text="upstream trouble", headers=headers)
        refused = self._refuse(method, params)
        if refused is not None:
            self.calls.append(Call(method, params, time.monotonic(), 400))  # HTTP 200, ok: false
            self.invalid.append((method, refused))
            return web.json_response(refused)
        if method == "chat.postMessage":
            if not self._rate_ok():
                self.rejected += 1
                self.calls.append(Call(method, params if self.record_params else {}, time.monotonic(), 429))
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(self.rate_retry_after)})
            channel = str(params.get("channel", ""))
            if channel in self.holds:
                self.held.add(channel)
                self.calls.append(Call(method, params, time.monotonic(), 0))  # received, never answered in time
                await self.holds.pop(channel).wait()
                return web.json_response({"ok": True, "channel": channel, "ts": self._next_ts()})
        self.calls.append(Call(method, params if self.record_params or method != "chat.postMessage" else
                               {"channel": params.get("channel")}, time.monotonic(), 200))
        return web.json_response(self._answer(method, params))

    def _refuse(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's answer to a payload breaking Block Kit's limits (`invalid_blocks` for
        messages, `invalid_arguments` for views), or None."""
        if not self.strict:
            return None
        if method in ("chat.postMessage", "chat.update"):
            problems = _limit_problems({"blocks": params.get("blocks"), "text": params.get("text")}, view=False)
            error = "invalid_blocks"
        elif method in ("views.open", "views.publish", "views.update"):
            view = params.get("view") if isinstance(params.get("view"), dict) else {}
            problems = _limit_problems(view, view=True)
            error = "invalid_arguments"
        elif method == "chat.unfurl":
            unfurls = params.get("unfurls") if isinstance(params.get("unfurls"), dict) else {}
            problems = [p for card in unfurls.values() for p in _limit_problems(card, view=False)]
            error = "invalid_unfurls"
        else:
            return None
        if not problems:
            return None
        return {"ok": False, "error": error, "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]}}

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://boost-test.slack.com/", "team": "Boost Test", "user": "boost",
                    "team_id": self.team_id, "user_id": "UBOOSTBOT", "bot_id": "BBOOST"}
        if method == "bots.info":
            return {"ok": True, "bot": {"id": params.get("bot"), "app_id": self.app_id, "name": "boost"}}
        if method == "conversations.info":
            found = next((c for c in self.channels if c.get("id") == params.get("channel")), None)
            if found is None or (found.get("is_private") and not found.get("is_member")):
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": found}
        if method == "conversations.list":
            limit = min(int(params.get("limit") or self.page_size), self.page_size)
            start = int(params.get("cursor") or 0)
            # Private channels only when the bot is in them, as Slack lists them for a bot token.
            visible = [c for c in self.channels if not c.get("is_private") or c.get("is_member")]
            page = visible[start:start + limit]
            nxt = str(start + limit) if start + limit < len(visible) else ""
            return {"ok": True, "channels": page, "response_metadata": {"next_cursor": nxt}}
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            self.posted[channel] += 1
            if self.first_post_at is None:
                self.first_post_at = time.time()
            dm = "D" + channel[1:] if channel.startswith("U") else channel
            return {"ok": True, "channel": dm, "ts": self._next_ts(), "message": {"text": params.get("text")}}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {"id": "V" + str(next(self._ts)), **(params.get("view") or {})}}
        if method == "chat.unfurl":
            return {"ok": True}
        if method == "conversations.open":
            users = str(params.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0][1:]}}
        if method == "users.list":
            limit = int(params.get("limit") or self.page_size)
            limit = min(limit, self.page_size)
            start = int(params.get("cursor") or 0)
            page = self.members[start:start + limit]
            nxt = str(start + limit) if start + limit < len(self.members) else ""
            return {"ok": True, "members": [m.as_json() for m in page], "response_metadata": {"next_cursor": nxt}}
        return {"ok": False, "error": "unknown_method"}

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"posted": dict(self.posted), "rejected": self.rejected, "calls": len(self.calls),
                                  "first_post_at": self.first_post_at})

    async def _said(self, request: web.Request) -> web.Response:
        """What Boost said to `to` (for a fake run as its own process): the bodies posted to the
        `response_url` named `to`, and the messages posted (DMs) or shown (ephemerals) to the
        Slack user or channel `to`, oldest first. Message texts need `record_params`."""
        to = request.match_info["to"]
        messages = [c.params for c in self.calls if c.status == 200
                    and c.method in ("chat.postMessage", "chat.postEphemeral")
                    and to in (c.params.get("channel"), c.params.get("user"))]
        return web.json_response({"responses": [body for name, body in self.responses if name == to],
                                  "messages": messages})

    async def _response(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        problems = _limit_problems(body, view=False) if self.strict else []
        if problems:
            self.invalid.append(("response_url", {"messages": problems}))
            return web.json_response({"ok": False, "error": "invalid_blocks"}, status=400)
        self.responses.append((request.match_info["name"], body))
        return web.json_response({"ok": True})


def main() -> None:
    """Run the fake on its own (the bench runs it in a separate process, as Slack would be)."""
    import argparse

    parser = argparse.ArgumentParser(description="A fake Slack Web API")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=None, help="chat.postMessage limit per second")
    parser.add_argument("--burst", type=float, default=1.0)
    parser.add_argument("--channels", default="[]", help="conversations.list as JSON")
    parser.add_argument("--record", action="store_true", help="keep every message's text (GET /_said/{to})")
    args = parser.parse_args()

    async def serve() -> None:
        fake = FakeSlack(rate_per_second=args.rate, burst=args.burst, record_params=args.record,
                         channels=json.loads(args.channels))
        await fake.start(args.port)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
