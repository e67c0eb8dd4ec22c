"""Block Kit messages for each kind: a clear sentence in the person's language, the OKRs
concerned with their progress, a button that deep-links to the exact page, and the
actions that let people act from Slack (check in, approve, request changes, snooze).

Every renderer is pure: (kind, locale, public URL, context) → Message. The context is
stored with the delivery, so a message can be re-rendered (an approval once decided)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from boost_contracts.rules import decimals_for

from . import links
from .i18n import percent, t

# Slack's plain-text input allows at most 3000 characters (okr takes up to 5000 on the web).
COMMENT_MAX = 3000
SNOOZABLE = {"drafting_open", "approval_due", "weekly_check_in", "review_mid_quarter", "retro_open"}
MAX_KRS = 5


@dataclass
class Message:
    text: str  # the notification and fallback text
    blocks: list[dict[str, Any]] = field(default_factory=list)
    link: str | None = None  # the deep link (path), also stored with the delivery


def bar(progress: float | None, width: int = 10) -> str:
    filled = round(max(0.0, min(1.0, progress or 0.0)) * width)
    return "▰" * filled + "▱" * (width - filled)


def plain(text: str, limit: int = 300) -> str:
    """User text inside our mrkdwn: no formatting or mentions smuggled in, and short."""
    text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Boost's chat mentions (`<@42>`, a Boost user id) after `plain()` escaped them.
ESCAPED_MENTION = re.compile(r"&lt;@([0-9]{1,18})&gt;")


def with_mentions(text: str, people: dict[str, Any] | None) -> str:
    """Boost mentions in `plain()` text as Slack knows the person: `<@U…>` when they have a Slack
    account, else `@Name`; never Boost's own id (Slack would show `<@3>` or the wrong person)."""
    def one(match: re.Match[str]) -> str:
        person = (people or {}).get(match.group(1)) or {}
        slack_id = str(person.get("slack_user_id") or "")
        if re.fullmatch(r"[UW][A-Z0-9]{2,20}", slack_id):
            return f"<@{slack_id}>"
        return "@" + plain(str(person.get("name") or "someone"), 80)

    return ESCAPED_MENTION.sub(one, text)


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def kr_value(value: Any, kr: dict[str, Any]) -> str:
    """A key result's number as people write it: as many decimals as its scale deserves
    (`boost_contracts.rules.decimals_for`, the web app's rule too), no trailing zeros."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return number(value)
    try:
        places = decimals_for(str(kr.get("kind") or "number"), float(kr.get("start") or 0), float(kr.get("target") or 0))
    except (TypeError, ValueError):
        return number(value)
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def kr_line(kr: dict[str, Any], locale: str) -> str:
    health = t(locale, f"health.{kr.get('health') or 'unknown'}")
    unit = kr.get("unit") or ""
    value = f"{kr_value(kr.get('current'), kr)} / {kr_value(kr.get('target'), kr)}{(' ' + plain(unit, 20)) if unit else ''}"
    return f"*{plain(kr.get('title', ''), 120)}*\n{bar(kr.get('progress'))} {percent(kr.get('progress'))} · {value} · {health}"


def section(text: str, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    if accessory:
        block["accessory"] = accessory
    return block


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def button(text: str, action_id: str, *, value: str | None = None, url: str | None = None,
           style: str | None = None) -> dict[str, Any]:
    el: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text[:75], "emoji": True},
                          "action_id": action_id[:255]}
    if value is not None:
        el["value"] = value[:2000]
    if url is not None:
        el["url"] = url[:3000]
    if style:
        el["style"] = style
    return el


def open_button(locale: str, public_url: str, path: str, label: str | None = None) -> dict[str, Any]:
    return button(label or t(locale, "button.open"), "open_link", url=links.url(public_url, path), style="primary")


def checkin_value(kr: dict[str, Any]) -> str:
    """What the check-in modal needs, carried by the button: no okr call before `views.open`."""
    return json.dumps({"kr": kr["id"], "title": (kr.get("title") or "")[:200], "kind": kr.get("kind", "number"),
                       "current": kr.get("current"), "target": kr.get("target"), "unit": (kr.get("unit") or "")[:40],
                       "confidence": kr.get("confidence")}, ensure_ascii=False)


def checkin_button(kr: dict[str, Any], locale: str) -> dict[str, Any]:
    return button(t(locale, "button.check_in"), f"checkin_open:{kr['id']}", value=checkin_value(kr))


def kr_blocks(krs: list[dict[str, Any]], locale: str, *, with_check_in: bool) -> list[dict[str, Any]]:
    out = []
    for kr in krs[:MAX_KRS]:
        out.append(section(kr_line(kr, locale), checkin_button(kr, locale) if with_check_in else None))
    return out


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


# ---------------------------------------------------------------------------- reminders


def render(kind: str, locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    """The message of a kind for one person (or a team channel)."""
    renderer = RENDERERS[kind]
    return renderer(locale, public_url, ctx)


def _tail(locale: str, public_url: str, path: str, ctx: dict[str, Any], kind: str,
          extra: list[dict[str, Any]] | None = None, label: str | None = None) -> dict[str, Any]:
    elements = [open_button(locale, public_url, path, label), *(extra or [])]
    if kind in SNOOZABLE and ctx.get("key"):
        elements.append(button(t(locale, "button.snooze"), "snooze", value=str(ctx["key"])))
    return actions(*elements)


def _drafting_open(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    teams = ctx.get("teams") or []
    first: dict[str, Any] = teams[0] if teams else {"id": ctx.get("team_id"), "name": ""}
    text = t(locale, "drafting_open", cycle=ctx["cycle"], team=plain(first["name"], 80))
    path = links.draft(ctx["cycle"], first["id"])
    more = []
    for tm in teams[1:3]:  # people in several teams get each team's draft page
        b = button(t(locale, "button.open_draft", team=tm["name"][:40]), f"open_link:{tm['id']}",
                   url=links.url(public_url, links.draft(ctx["cycle"], tm["id"])))
        more.append(b)
    blocks = [section(text), _tail(locale, public_url, path, ctx, "drafting_open", more)]
    return Message(text=_strip(text), blocks=blocks, link=path)


def _approval_due(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    team: dict[str, Any] = ctx["teams"][0] if ctx.get("teams") else {"id": ctx.get("team_id"), "name": ""}
    count = int(ctx.get("count") or 0)
    key = "approval_due" if count else "approval_due.none"
    text = t(locale, key, cycle=ctx["cycle"], team=plain(team.get("name", ""), 80), count=count)
    path = links.draft(ctx["cycle"], team["id"])
    blocks = [section(text)]
    titles = [f"• {plain(o['title'], 120)}" for o in (ctx.get("objectives") or [])[:MAX_KRS]]
    if titles:
        blocks.append(context("\n".join(titles)))
    blocks.append(_tail(locale, public_url, path, ctx, "approval_due"))
    return Message(text=_strip(text), blocks=blocks, link=path)


def _weekly_check_in(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    krs = ctx.get("krs") or []
    count = int(ctx.get("count") or len(krs) or 1)
    text = t(locale, "weekly_check_in", cycle=ctx["cycle"], count=count)
    first = (ctx.get("kr_ids") or [None])[0]
    path = links.this_quarter(ctx["cycle"], first)
    blocks = [section(text), *kr_blocks(krs, locale, with_check_in=True),
              _tail(locale, public_url, path, ctx, "weekly_check_in")]
    return Message(text=_strip(text), blocks=blocks, link=path)


def _review_mid_quarter(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    team: dict[str, Any] = ctx["teams"][0] if ctx.get("teams") else {"id": ctx.get("team_id"), "name": ""}
    text = t(locale, "review_mid_quarter", team=plain(team.get("name", ""), 80), progress=percent(team.get("progress")),
             expected=percent(team.get("expected_progress")))
    path = links.team(team["id"], ctx["cycle"])
    blocks = [section(text)]
    objs = [f"• {plain(o['title'], 100)} — {bar(o.get('progress'))} {percent(o.get('progress'))} · "
            f"{t(locale, 'health.' + (o.get('health') or 'unknown'))}" for o in (team.get("objectives") or [])[:MAX_KRS]]
    if objs:
        blocks.append(context("\n".join(objs)))
    blocks.append(_tail(locale, public_url, path, ctx, "review_mid_quarter"))
    return Message(text=_strip(text), blocks=blocks, link=path)


def _retro_open(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    team: dict[str, Any] = ctx["teams"][0] if ctx.get("teams") else {"id": ctx.get("team_id"), "name": ""}
    text = t(locale, "retro_open", cycle=ctx["cycle"], team=plain(team.get("name", ""), 80))
    path = links.feedback(team["id"], ctx["cycle"])
    return Message(text=_strip(text), blocks=[section(text), _tail(locale, public_url, path, ctx, "retro_open")],
                   link=path)


def _approval_requested(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    obj = ctx["objective"]
    text = t(locale, "approval_requested", owner=plain(ctx.get("owner_name") or "", 80),
             title=plain(obj["title"], 200), cycle=obj["cycle"])
    path = links.objective(obj["id"])
    blocks = [section(text), *kr_blocks(obj.get("key_results") or [], locale, with_check_in=False)]
    outcome = ctx.get("outcome")
    if outcome:
        blocks.append(context(t(locale, f"outcome.{outcome}", by=plain(ctx.get("decided_by") or "", 80),
                                comment=plain(ctx.get("comment") or "", 500))))
        blocks.append(actions(open_button(locale, public_url, path)))
    else:
        value = json.dumps({"id": obj["id"], "title": obj["title"][:150]}, ensure_ascii=False)
        blocks.append(actions(button(t(locale, "button.approve"), "approve", value=value, style="primary"),
                              button(t(locale, "button.request_changes"), "request_changes", value=value,
                                     style="danger"),
                              button(t(locale, "button.open"), "open_link", url=links.url(public_url, path))))
    return Message(text=_strip(text), blocks=blocks, link=path)


def _approval_decided(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    obj = ctx["objective"]
    outcome = ctx.get("outcome") or "approved"
    text = t(locale, f"approval_decided.{outcome}", title=plain(obj["title"], 200),
             by=plain(ctx.get("decided_by") or "", 80), comment=plain(ctx.get("comment") or "", 1000))
    path = links.objective(obj["id"])
    return Message(text=_strip(text), blocks=[section(text), actions(open_button(locale, public_url, path))], link=path)


def _feedback_received(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    kind_label = t(locale, f"kind.{ctx.get('feedback_kind') or 'praise'}")
    values = {"author": plain(ctx.get("author_name") or "", 80), "kind_label": kind_label,
              "body": plain(ctx.get("body") or "", 500), "title": plain(ctx.get("objective_title") or "", 200)}
    text = t(locale, "feedback_received.on" if ctx.get("objective_title") else "feedback_received", **values)
    path = links.objective(ctx["objective_id"]) if ctx.get("objective_id") else links.feedback()
    return Message(text=_strip(text), blocks=[section(text), actions(open_button(locale, public_url, path))], link=path)


def _mentioned(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    text = t(locale, "mentioned", author=plain(ctx.get("author_name") or "", 80),
             body=with_mentions(plain(ctx.get("body") or "", 500), ctx.get("people")))
    path = ctx.get("link") or "/"
    return Message(text=_strip(text), blocks=[section(text), actions(open_button(locale, public_url, path))], link=path)


def _team_digest(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    team = ctx["team"]
    text = t(locale, "team_digest", team=plain(team["name"], 80), check_ins=ctx.get("check_ins", 0),
             at_risk=len(ctx.get("at_risk") or []), feedback=ctx.get("feedback", 0),
             progress=percent(team.get("progress")), expected=percent(team.get("expected_progress")))
    path = links.team(team["id"], ctx["cycle"])
    opening = " ".join(ctx.get("summary") or [])  # the week in up to five sentences (messages.summary)
    blocks = [section(plain(opening, 2900)), section(text)] if opening else [section(text)]
    text = f"{opening} {text}" if opening else text
    risky = ctx.get("at_risk") or []
    if risky:
        lines = [f"• {plain(k['title'], 100)} — {plain(k.get('owner_name') or '', 40)} · "
                 f"{percent(k.get('progress'))} · {t(locale, 'health.' + (k.get('health') or 'unknown'))}"
                 for k in risky[:MAX_KRS]]
        blocks.append(section(t(locale, "team_digest.at_risk") + "\n" + "\n".join(lines)))
    blocks.append(actions(open_button(locale, public_url, path)))
    return Message(text=_strip(text), blocks=blocks, link=path)


def _source_failing(locale: str, public_url: str, ctx: dict[str, Any]) -> Message:
    text = t(locale, "source_failing", source=plain(ctx.get("source_name") or "", 120),
             title=plain(ctx.get("kr_title") or "", 200), error=plain(ctx.get("error") or "", 300))
    path = links.objective(int(ctx["objective_id"]), int(ctx["kr_id"]))
    return Message(text=_strip(text), blocks=[section(text), actions(open_button(locale, public_url, path))], link=path)


def _strip(text: str) -> str:
    return text.replace("*", "")


RENDERERS = {
    "drafting_open": _drafting_open,
    "approval_due": _approval_due,
    "weekly_check_in": _weekly_check_in,
    "review_mid_quarter": _review_mid_quarter,
    "retro_open": _retro_open,
    "approval_requested": _approval_requested,
    "approval_decided": _approval_decided,
    "feedback_received": _feedback_received,
    "mentioned": _mentioned,
    "team_digest": _team_digest,
    "source_failing": _source_failing,
}


# ---------------------------------------------------------------------------- modals and answers


def checkin_modal(kr: dict[str, Any], locale: str, metadata: dict[str, Any]) -> dict[str, Any]:
    unit = f" {kr['unit']}" if kr.get("unit") else ""
    boolean = kr.get("kind") == "boolean"
    value_element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value"}
    if kr.get("current") is not None and kr.get("kind") != "milestone":
        value_element["initial_value"] = number(kr["current"])
    confidence: dict[str, Any] = {
        "type": "static_select", "action_id": "confidence",
        "options": [{"text": {"type": "plain_text", "text": str(n)}, "value": str(n)} for n in range(11)],
    }
    if isinstance(kr.get("confidence"), int):
        confidence["initial_option"] = {"text": {"type": "plain_text", "text": str(kr["confidence"])},
                                        "value": str(kr["confidence"])}
    hint = t(locale, "modal.value.boolean") if boolean else t(
        locale, "modal.value.hint", current=number(kr.get("current")), target=number(kr.get("target")), unit=unit)
    return {
        "type": "modal", "callback_id": "checkin", "private_metadata": json.dumps(metadata)[:3000],
        "title": {"type": "plain_text", "text": t(locale, "modal.checkin.title")[:24]},
        "submit": {"type": "plain_text", "text": t(locale, "modal.save")},
        "close": {"type": "plain_text", "text": t(locale, "modal.cancel")},
        "blocks": [
            section(f"*{plain(kr.get('title') or '', 200)}*"),
            {"type": "input", "block_id": "value", "label": {"type": "plain_text", "text": t(locale, "modal.value")},
             "hint": {"type": "plain_text", "text": hint[:150]}, "element": value_element},
            {"type": "input", "block_id": "confidence", "optional": True,
             "label": {"type": "plain_text", "text": t(locale, "modal.confidence")}, "element": confidence},
            {"type": "input", "block_id": "note", "optional": True,
             "label": {"type": "plain_text", "text": t(locale, "modal.note")},
             "element": {"type": "plain_text_input", "action_id": "note", "multiline": True, "max_length": 2000}},
        ],
    }


def request_changes_modal(objective_id: int, title: str, locale: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": "request_changes",
        "private_metadata": json.dumps({"objective_id": objective_id, **metadata})[:3000],
        "title": {"type": "plain_text", "text": t(locale, "modal.request_changes.title")[:24]},
        "submit": {"type": "plain_text", "text": t(locale, "modal.send")},
        "close": {"type": "plain_text", "text": t(locale, "modal.cancel")},
        "blocks": [
            section(f"*{plain(title, 200)}*"),
            {"type": "input", "block_id": "comment", "label": {"type": "plain_text", "text": t(locale, "modal.comment")},
             "element": {"type": "plain_text_input", "action_id": "comment", "multiline": True, "max_length": COMMENT_MAX}},
        ],
    }


def info_view(title: str, body: str) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title[:24]},
            "close": {"type": "plain_text", "text": "OK"}, "blocks": [section(body)]}
