"""Acting from Slack: the `/okr` command, the check-in and request-changes modals,
approvals, snooze, App Home and link unfurls.

Slack wants every request answered within 3 s. What must be answered inline (a slash
command's reply, a modal's validation errors) gets a budget (`ack_budget_seconds`); work
past it continues after the answer (a `response_url` post, a DM). Everything else is
acknowledged at once and done as a background task."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from boost_bus import BusReplyError, Outbox
from boost_platform.clock import Clock
from boost_platform.logging import get_logger

from ..deliveries import store
from ..messages import links
from ..messages.i18n import percent, t
from ..messages.render import (
    actions,
    bar,
    button,
    checkin_button,
    checkin_modal,
    context,
    info_view,
    kr_line,
    number,
    open_button,
    plain,
    request_changes_modal,
    section,
)
from ..models import Delivery
from ..okr import Okr
from ..settings import NotifierSettings
from .client import SlackPort, classify

log = get_logger("notifier.slack")

OBJECTIVE_PATH = re.compile(r"^/objectives/(\d+)/?$")


class Tasks:
    """Work that continues after Slack has its answer; cancelled on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("slack background work failed", error=repr(task.exception()))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)


def _composed(event: dict[str, Any]) -> bool:
    """A link in the composer: its channel is not known yet."""
    return event.get("source") == "composer" or str(event.get("channel") or "") in ("", "COMPOSER")


def _objective_linked(url: str, public_url: str) -> int | None:
    """The objective a link to this Boost shows, if it is one."""
    parsed = urlparse(url)
    if parsed.hostname != urlparse(public_url).hostname:
        return None
    match = OBJECTIVE_PATH.match(parsed.path)
    return int(match.group(1)) if match else None


def _team_named(teams: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The team `/okr team <name>` means: the exact name, else the first it starts, else the
    first containing it (case-insensitive)."""
    wanted = name.casefold()
    return (next((tm for tm in teams if tm["name"].casefold() == wanted), None)
            or next((tm for tm in teams if wanted and tm["name"].casefold().startswith(wanted)), None)
            or next((tm for tm in teams if wanted and wanted in tm["name"].casefold()), None))


def _objective_line(o: dict[str, Any], locale: str) -> str:
    return (f"*{plain(o['title'], 150)}*\n{bar(o.get('progress'))} {percent(o.get('progress'))} · "
            f"{t(locale, 'health.' + (o.get('health') or 'unknown'))} · "
            f"{t(locale, 'status.' + o.get('status', 'draft'))}")


def _detail(exc: BaseException) -> str:
    if isinstance(exc, BusReplyError):
        return str(exc.error.get("detail") or exc.error.get("title") or "refused")
    if isinstance(exc, TimeoutError):
        return "okr did not answer in time"
    return "something went wrong"


class SlackApp:
    def __init__(self, *, okr: Okr, slack: SlackPort | None, outbox: Outbox, clock: Clock, knobs: NotifierSettings,
                 public_url: str, default_locale: str, default_timezone: str, tasks: Tasks) -> None:
        self.okr = okr
        self.slack = slack
        self.outbox = outbox
        self.clock = clock
        self.knobs = knobs
        self.public_url = public_url
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.tasks = tasks

    # ------------------------------------------------------------------ helpers
    async def person(self, slack_user_id: str, timeout: float = 5.0) -> dict[str, Any] | None:
        return await self.okr.user_by_slack(slack_user_id, timeout=timeout)

    def locale(self, user: dict[str, Any] | None) -> str:
        return self.okr.locale_of(user) if user else self.default_locale

    async def within(self, work: Awaitable[Any], budget: float,
                     later: Callable[[Any], Awaitable[None]]) -> tuple[bool, Any]:
        """Run `work`; if it finishes within `budget` return (True, result) — exceptions raise;
        otherwise return (False, None) and hand the result to `later` when it comes."""
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=max(budget, 0.05))
        if done:
            return True, task.result()

        async def _finish() -> None:
            try:
                result = await task
            except Exception as exc:
                result = exc
            await later(result)

        self.tasks.spawn(_finish())
        return False, None

    async def respond(self, response_url: str | None, body: dict[str, Any]) -> None:
        if self.slack is not None and response_url:
            await self.slack.respond(response_url, body)

    async def tell(self, slack_user_id: str, response_url: str | None, text: str) -> None:
        """An ephemeral answer under the message acted on, or a DM where there is none (App Home)."""
        if response_url:
            await self.respond(response_url, {"response_type": "ephemeral", "replace_original": False, "text": text})
        else:
            await self.dm(slack_user_id, text)

    async def dm(self, slack_user_id: str, text: str) -> None:
        if self.slack is not None:
            with contextlib.suppress(Exception):
                await self.slack.post_message(slack_user_id, text.replace("*", ""), [section(text)])

    # ------------------------------------------------------------------ /okr
    async def command(self, form: dict[str, str]) -> dict[str, Any]:
        started = time.monotonic()
        budget = self.knobs.ack_budget_seconds
        response_url = form.get("response_url")

        async def later(result: Any) -> None:
            if isinstance(result, dict):
                body = result
            else:  # in the person's language (their user is cached by now, if okr answered at all)
                locale = self.default_locale
                with contextlib.suppress(Exception):
                    locale = self.locale(await self.person(form.get("user_id", ""), timeout=2))
                body = {"response_type": "ephemeral", "text": t(locale, "refused", detail=_detail(result))}
            await self.respond(response_url, body)

        try:
            answered, result = await self.within(self._command(form), budget - (time.monotonic() - started), later)
        except Exception as exc:  # failed within the budget: said in words, never a 500 Slack shows as "dispatch_failed"
            log.warning("slash command failed", error=repr(exc))
            return {"response_type": "ephemeral", "text": t(self.default_locale, "refused", detail=_detail(exc))}
        if answered:
            return result  # type: ignore[no-any-return]
        return {"response_type": "ephemeral", "text": t(self.default_locale, "okr.working")}

    async def _command(self, form: dict[str, str]) -> dict[str, Any]:
        text = (form.get("text") or "").strip()
        user = await self.person(form.get("user_id", ""))
        locale = self.locale(user)
        if user is None:
            return {"response_type": "ephemeral", "text": t(locale, "not_linked", url=self.public_url)}
        word, _, rest = text.partition(" ")
        if word.lower() in ("help", "도움말", "?"):
            return {"response_type": "ephemeral", "text": t(locale, "okr.help")}
        if word.lower() in ("team", "팀"):
            return await self._team(rest.strip(), locale)
        return await self._my_krs(user, locale)

    async def _my_krs(self, user: dict[str, Any], locale: str) -> dict[str, Any]:
        krs = await self.okr.my_key_results(user["id"])
        cycle = krs[0]["objective"]["cycle"] if krs else "current"
        if not krs:
            return {"response_type": "ephemeral", "text": t(locale, "okr.empty", cycle=cycle, url=self.public_url)}
        header = t(locale, "okr.header", cycle=cycle)
        blocks: list[dict[str, Any]] = [section(header)]
        for kr in krs[:20]:
            blocks.append(section(kr_line(kr, locale), checkin_button(kr, locale)))
        blocks.append(actions(open_button(locale, self.public_url, links.this_quarter(cycle))))
        return {"response_type": "ephemeral", "text": header.replace("*", ""), "blocks": blocks}

    async def _team(self, name: str, locale: str) -> dict[str, Any]:
        teams = await self.okr.teams()
        team = _team_named(teams, name)
        if team is None:
            names = ", ".join(tm["name"] for tm in teams[:30])
            return {"response_type": "ephemeral", "text": t(locale, "okr.team.none", name=plain(name, 80), teams=names)}
        dash = await self.okr.dashboard("current", team["id"])
        entry: dict[str, Any] = next((x for x in dash.get("teams", []) if x["id"] == team["id"]), {})
        cycle = dash.get("cycle", "")
        header = t(locale, "okr.team.header", team=plain(team["name"], 80), cycle=cycle,
                   progress=percent(entry.get("progress")), expected=percent(entry.get("expected_progress")))
        blocks = [section(header)]
        objectives = entry.get("objectives") or []
        if not objectives:
            blocks.append(context(t(locale, "okr.team.empty", team=plain(team["name"], 80), cycle=cycle)))
        blocks += [section(_objective_line(o, locale)) for o in objectives[:15]]
        blocks.append(actions(open_button(locale, self.public_url, links.team(team["id"], cycle))))
        return {"response_type": "ephemeral", "text": header.replace("*", ""), "blocks": blocks}

    # ------------------------------------------------------------------ interactivity
    async def interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to an interaction payload (None: an empty 200)."""
        kind = payload.get("type")
        if kind == "block_actions":
            for action in payload.get("actions") or []:
                self.tasks.spawn(self._action(payload, action))
            return None
        if kind == "view_submission":
            callback = (payload.get("view") or {}).get("callback_id")
            if callback == "checkin":
                return await self._submit_check_in(payload)
            if callback == "request_changes":
                return await self._submit_request_changes(payload)
        return None

    async def _action(self, payload: dict[str, Any], action: dict[str, Any]) -> None:
        action_id = str(action.get("action_id") or "")
        slack_user = (payload.get("user") or {}).get("id", "")
        response_url = payload.get("response_url")
        trigger_id = payload.get("trigger_id")
        if action_id.startswith("checkin_open"):
            kr = json.loads(action.get("value") or "{}")
            user = await self._quick_person(slack_user)
            meta = {"kr": kr.get("kr"), "title": kr.get("title"), "unit": kr.get("unit") or "",
                    "kind": kr.get("kind"), "locale": self.locale(user)}
            view = checkin_modal({"id": kr.get("kr"), **kr}, self.locale(user), meta)
            await self._open(slack_user, response_url, trigger_id, view, self.locale(user))
        elif action_id == "request_changes":
            value = self._objective_value(action.get("value"))
            user = await self._quick_person(slack_user)
            view = request_changes_modal(value["id"], value.get("title") or "", self.locale(user),
                                         {"response_url": response_url, "locale": self.locale(user)})
            await self._open(slack_user, response_url, trigger_id, view, self.locale(user))
        elif action_id == "approve":
            await self._approve(slack_user, self._objective_value(action.get("value")), response_url)
            if (payload.get("view") or {}).get("type") == "home":
                await self.publish_home(slack_user)
        elif action_id == "snooze":
            await self._snooze(slack_user, str(action.get("value") or ""), response_url)

    async def _open(self, slack_user: str, response_url: str | None, trigger_id: str | None,
                    view: dict[str, Any], locale: str) -> None:
        """`views.open`; when Slack refuses it (or it breaks Block Kit's limits) the person who
        clicked is told so, under the message (or in a DM), not only the log."""
        if self.slack is None or not trigger_id:
            return
        try:
            await self.slack.open_view(trigger_id, view)
        except Exception as exc:
            failure = classify(exc)
            log.warning("views.open failed", callback_id=view.get("callback_id"), error=failure.error)
            with contextlib.suppress(Exception):
                await self.tell(slack_user, response_url, t(locale, "modal.failed", url=self.public_url))

    async def _quick_person(self, slack_user: str) -> dict[str, Any] | None:
        """The person's language for a modal, without missing the trigger's 3 s (cached usually)."""
        try:
            return await self.person(slack_user, timeout=0.8)
        except Exception:
            return None

    @staticmethod
    def _objective_value(raw: Any) -> dict[str, Any]:
        try:
            value = json.loads(raw or "{}")
        except ValueError:
            value = {}
        if isinstance(value, int):
            value = {"id": value}
        return value if isinstance(value, dict) and "id" in value else {"id": int(raw or 0)}

    async def _approve(self, slack_user: str, value: dict[str, Any], response_url: str | None) -> None:
        user = await self.person(slack_user)
        locale = self.locale(user)
        if user is None:
            await self.tell(slack_user, response_url, t(locale, "not_linked", url=self.public_url))
            return
        try:
            await self.okr.approve(user["id"], int(value["id"]))
        except Exception as exc:
            # Acting twice or without the right: refused politely, the message stays as it is.
            await self.tell(slack_user, response_url, t(locale, "refused", detail=_detail(exc)))
            return
        await self.tell(slack_user, response_url, t(locale, "approve.done", title=plain(value.get("title") or "", 150)))

    async def _snooze(self, slack_user: str, key: str, response_url: str | None) -> None:
        now = self.clock.now()
        async with self.outbox.transaction() as tx:
            row = await store.snooze(tx, key, now, self.default_timezone, slack_user)
        if row is None:  # not this person's reminder, or gone: say so, never "tomorrow"
            user = await self._quick_person(slack_user)
            await self.tell(slack_user, response_url, t(self.locale(user), "snooze.failed"))
            return
        await self.tell(slack_user, response_url, t(row.locale, "snoozed"))

    # ------------------------------------------------------------------ modals
    @staticmethod
    def _value(state: dict[str, Any], block: str, action: str) -> Any:
        entry = ((state.get(block) or {}).get(action)) or {}
        if entry.get("type") == "static_select" or "selected_option" in entry:
            option = entry.get("selected_option")
            return option.get("value") if option else None
        return entry.get("value")

    async def _submit_check_in(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        started = time.monotonic()
        view = payload.get("view") or {}
        meta = json.loads(view.get("private_metadata") or "{}")
        locale = meta.get("locale") or self.default_locale
        state = (view.get("state") or {}).get("values") or {}
        value, confidence, note, errors = self._check_in_form(state, locale)
        if errors:
            return {"response_action": "errors", "errors": errors}
        slack_user = (payload.get("user") or {}).get("id", "")
        kr_id = int(meta.get("kr") or 0)
        title = meta.get("title") or ""

        async def work() -> dict[str, Any]:
            user = await self.person(slack_user)
            if user is None:
                raise LookupError("not linked")
            return await self.okr.check_in(user["id"], kr_id, value or 0.0, confidence, note)

        async def later(result: Any) -> None:
            if isinstance(result, BaseException):
                await self.dm(slack_user, t(locale, "checkin.failed", title=plain(title, 150), detail=_detail(result)))
            else:
                kr = result.get("key_result") or {}
                await self.dm(slack_user, t(locale, "checkin.done", title=plain(title, 150), value=number(value),
                                            unit=f" {meta.get('unit')}" if meta.get("unit") else "",
                                            progress=percent(kr.get("progress"))))

        budget = self.knobs.ack_budget_seconds - (time.monotonic() - started)
        try:
            answered, _ = await self.within(work(), budget, later)
        except Exception as exc:
            return self._modal_errors(exc, "value", locale)
        if answered:
            return None  # an empty answer closes the modal
        return {"response_action": "update", "view": info_view(t(locale, "modal.checkin.title"),
                                                                t(locale, "modal.saving.body"))}

    @classmethod
    def _check_in_form(cls, state: dict[str, Any], locale: str) -> tuple[float | None, int | None, str, dict[str, str]]:
        """The check-in modal's value, confidence and note, and what is wrong with them (by block)."""
        raw_value = (cls._value(state, "value", "value") or "").strip().replace(",", "")
        raw_conf = cls._value(state, "confidence", "confidence")
        note = cls._value(state, "note", "note") or ""
        errors: dict[str, str] = {}
        value: float | None = None
        try:
            value = float(raw_value)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        except ValueError:
            errors["value"] = t(locale, "error.number")
        confidence: int | None = None
        if raw_conf not in (None, ""):
            try:
                confidence = int(raw_conf)
                if not 0 <= confidence <= 10:
                    raise ValueError
            except (TypeError, ValueError):
                errors["confidence"] = t(locale, "error.confidence")
        if len(note) > 2000:
            errors["note"] = t(locale, "error.note")
        return value, confidence, note, errors

    def _modal_errors(self, exc: Exception, block: str, locale: str) -> dict[str, Any]:
        """A modal's answer when its work failed within the ack budget: the error under `block`
        (a Slack user not linked to Boost, okr's refusal under its field, anything else)."""
        if isinstance(exc, LookupError):
            errors = {block: t(locale, "not_linked", url=self.public_url)[:150]}
        elif isinstance(exc, BusReplyError):
            errors = self._bus_errors(exc, block)
        else:
            errors = {block: _detail(exc)}
        return {"response_action": "errors", "errors": errors}

    @staticmethod
    def _bus_errors(exc: BusReplyError, default_block: str) -> dict[str, str]:
        detail = str(exc.error.get("detail") or exc.error.get("title") or "refused")[:150]
        for err in exc.error.get("errors") or []:
            loc = [str(part) for part in err.get("loc") or []]
            for block in ("confidence", "note", "comment", "value"):
                if block in loc:
                    return {block: str(err.get("msg") or detail)[:150]}
        return {default_block: detail}

    async def _submit_request_changes(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        started = time.monotonic()
        view = payload.get("view") or {}
        meta = json.loads(view.get("private_metadata") or "{}")
        locale = meta.get("locale") or self.default_locale
        state = (view.get("state") or {}).get("values") or {}
        comment = (self._value(state, "comment", "comment") or "").strip()
        if not comment:
            return {"response_action": "errors", "errors": {"comment": t(locale, "error.comment")}}
        slack_user = (payload.get("user") or {}).get("id", "")
        objective_id = int(meta.get("objective_id") or 0)

        async def work() -> dict[str, Any]:
            user = await self.person(slack_user)
            if user is None:
                raise LookupError("not linked")
            return await self.okr.request_changes(user["id"], objective_id, comment)

        async def later(result: Any) -> None:
            if isinstance(result, BaseException):
                await self.dm(slack_user, t(locale, "refused", detail=_detail(result)))

        budget = self.knobs.ack_budget_seconds - (time.monotonic() - started)
        try:
            answered, result = await self.within(work(), budget, later)
        except Exception as exc:
            return self._modal_errors(exc, "comment", locale)
        if answered and meta.get("response_url"):
            self.tasks.spawn(self.respond(meta["response_url"], {
                "response_type": "ephemeral", "replace_original": False,
                "text": t(locale, "changes.done", title=plain(result.get("title") or "", 150))}))
        return None

    # ------------------------------------------------------------------ events
    async def event(self, event: dict[str, Any], where: dict[str, Any] | None = None) -> None:
        kind = event.get("type")
        if kind == "app_home_opened" and event.get("tab", "home") == "home":
            await self.publish_home(event.get("user", ""))
        elif kind == "link_shared":
            await self.unfurl(event, external=bool((where or {}).get("external")))

    async def publish_home(self, slack_user: str) -> None:
        if self.slack is None:
            return
        user = await self.person(slack_user)
        locale = self.locale(user)
        if user is None:
            blocks = [section(t(locale, "not_linked", url=self.public_url))]
        else:
            blocks = await self._home_krs(user, locale)
            async with self.outbox.maker() as session:
                pending = await self._mine(session, user["id"], "approval_requested", pending=True)
                feedback = await self._mine(session, user["id"], "feedback_received")
            blocks += [{"type": "divider"}, *self._home_approvals(pending, locale), {"type": "divider"},
                       section(t(locale, "home.feedback")), *[section(row.text[:3000]) for row in feedback]]
            if not feedback:
                blocks.append(context(t(locale, "home.feedback.empty")))
        await self.slack.publish_home(slack_user, {"type": "home", "blocks": blocks[:100]})

    async def _home_krs(self, user: dict[str, Any], locale: str) -> list[dict[str, Any]]:
        """The Home tab's first part: the person's key results, each with its check-in button."""
        krs = await self.okr.my_key_results(user["id"])
        cycle = krs[0]["objective"]["cycle"] if krs else ""
        blocks = [section(t(locale, "home.krs", cycle=cycle or "—"))]
        blocks += [section(kr_line(kr, locale), checkin_button(kr, locale)) for kr in krs[:15]]
        if not krs:
            blocks.append(context(t(locale, "home.krs.empty")))
        return blocks

    def _home_approvals(self, pending: list[Delivery], locale: str) -> list[dict[str, Any]]:
        """The Home tab's approvals waiting for the person, each with approve, request changes, open."""
        blocks = [section(t(locale, "home.approvals"))]
        for row in pending:
            obj = (row.context or {}).get("objective") or {}
            value = json.dumps({"id": obj.get("id"), "title": (obj.get("title") or "")[:150]})
            blocks.append(section(f"*{plain(obj.get('title') or '', 150)}* ({obj.get('cycle', '')})"))
            blocks.append(actions(button(t(locale, "button.approve"), "approve", value=value, style="primary"),
                                  button(t(locale, "button.request_changes"), "request_changes", value=value),
                                  button(t(locale, "button.open"), "open_link",
                                         url=links.url(self.public_url, links.objective(int(obj.get("id") or 0))))))
        if not pending:
            blocks.append(context(t(locale, "home.approvals.empty")))
        return blocks

    @staticmethod
    async def _mine(session: Any, user_id: int, kind: str, pending: bool = False, limit: int = 5) -> list[Delivery]:
        stmt = sa.select(Delivery).where(Delivery.user_id == user_id, Delivery.kind == kind)
        if pending:
            stmt = stmt.where(Delivery.outcome.is_(None))
        return list((await session.execute(stmt.order_by(Delivery.id.desc()).limit(limit))).scalars())

    async def unfurl(self, event: dict[str, Any], external: bool = False) -> None:
        """Objective cards for links to Boost, only where everyone who can read them is of the
        org: shared by a member of the org (guests and people of other workspaces are not Boost
        users), in a channel of this workspace. Nothing in an externally shared (Slack Connect)
        channel, nor in the composer, whose channel is not known yet."""
        if self.slack is None:
            return
        if external or _composed(event):
            log.info("link not unfurled: shared or composed outside this workspace's own channels",
                     channel=event.get("channel"), source=event.get("source"), external=external)
            return
        user = None
        with contextlib.suppress(Exception):
            user = await self.person(event.get("user", ""), timeout=2)
        if user is None:  # a guest, someone of another workspace, or not in Boost: no content
            log.info("link not unfurled: shared by someone who is not a member of the org", user=event.get("user"))
            return
        locale = self.locale(user)
        unfurls: dict[str, Any] = {}
        for link in event.get("links") or []:
            url = str(link.get("url") or "")
            objective_id = _objective_linked(url, self.public_url)
            if objective_id is None:
                continue
            obj = await self.okr.objective(objective_id)
            if obj is None or obj.get("deleted"):
                continue
            owner = await self.okr.user(obj["owner_id"])
            unfurls[url] = {"blocks": self.objective_card(obj, (owner or {}).get("name", ""), locale)}
        if unfurls:
            await self.slack.unfurl(event.get("channel"), event.get("message_ts"), unfurls,
                                    unfurl_id=event.get("unfurl_id"), source=event.get("source"))

    def objective_card(self, obj: dict[str, Any], owner: str, locale: str) -> list[dict[str, Any]]:
        health = t(locale, "health." + (obj.get("health") or "unknown"))
        head = (f"*<{links.url(self.public_url, links.objective(obj['id']))}|{plain(obj['title'], 150)}>*\n"
                f"{bar(obj.get('progress'))} {percent(obj.get('progress'))} · {health}")
        blocks = [section(head), context(t(locale, "unfurl.owner", owner=plain(owner, 80),
                                           status=t(locale, "status." + obj.get("status", "draft")), cycle=obj["cycle"]))]
        lines = [f"• {plain(k['title'], 100)} — {percent(k.get('progress'))}" for k in (obj.get("key_results") or [])[:5]]
        if lines:
            blocks.append(context("\n".join(lines)))
        return blocks
