"""Admin: which Slack channel a team's Friday digest goes to, picked from `conversations.list`
(public channels, and the private ones the bot is in) instead of a typed id, with whether
the bot is in it. Externally shared (Slack Connect) and archived channels are left out: a
digest there would be read outside the org."""

from __future__ import annotations

from typing import Annotated, Any

from boost_platform.problems import Problem
from fastapi import APIRouter, Path

from ..deps import CallerDep, ContainerDep
from ..responses import SlackChannel
from .client import SlackPort, classify

router = APIRouter(prefix="/api/notifier", tags=["slack"])

MAX_CHANNELS = 5000
ChannelId = Annotated[str, Path(pattern=r"^[CG][A-Z0-9]{2,20}$", description="a Slack channel id")]


def channel_json(ch: dict[str, Any]) -> dict[str, Any]:
    member = bool(ch.get("is_member"))
    private = bool(ch.get("is_private") or ch.get("is_group"))
    note = None
    if not member:
        note = ("Boost is not in this channel: invite it (/invite @Boost)" if private else
                "Boost is not in this channel; it can post here (public), but invite it to be sure")
    return {"id": str(ch.get("id")), "name": str(ch.get("name") or ""), "is_private": private, "is_member": member,
            "note": note}


def usable(ch: dict[str, Any]) -> bool:
    return not (ch.get("is_ext_shared") or ch.get("is_pending_ext_shared") or ch.get("is_archived")
                or ch.get("is_im") or ch.get("is_mpim"))


async def list_channels(slack: SlackPort) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(out) < MAX_CHANNELS:
        page, cursor = await slack.channels_page(cursor)
        out.extend(channel_json(ch) for ch in page if usable(ch))
        if not cursor:
            break
    return sorted(out, key=lambda c: (not c["is_member"], c["name"]))


def _slack(c: Any) -> SlackPort:
    if c.slack is None:
        raise Problem(409, "There is no Slack bot token (record-only mode): there are no channels to pick from.")
    slack: SlackPort = c.slack
    return slack


@router.get("/slack/channels", response_model=list[SlackChannel],
            summary="Admins: Slack channels a team's digest can go to (public, and private ones Boost is in)")
async def channels(caller: CallerDep, c: ContainerDep) -> list[dict[str, Any]]:
    caller.require_admin()
    try:
        return await list_channels(_slack(c))
    except Problem:
        raise
    except Exception as exc:
        raise Problem(502, f"Slack did not list its channels: {classify(exc).error}", title="Bad Gateway") from exc


@router.get("/slack/channels/{channel_id}", response_model=SlackChannel,
            summary="Admins: one channel, and whether Boost can post its digest there")
async def channel(channel_id: ChannelId, caller: CallerDep, c: ContainerDep) -> dict[str, Any]:
    caller.require_admin()
    slack = _slack(c)
    try:
        ch = await slack.channel_info(channel_id)
    except Exception as exc:
        failure = classify(exc)
        if failure.error in ("channel_not_found", "not_in_channel"):
            return {"id": channel_id, "name": "", "is_private": True, "is_member": False,
                    "note": "Boost can't see this channel: it is private and Boost is not in it, or it does not exist"}
        raise Problem(502, f"Slack did not answer: {failure.error}", title="Bad Gateway") from exc
    out = channel_json(ch)
    if not usable(ch):
        out["note"] = ("This channel is shared with another organisation or archived: "
                       "a digest there would be read outside the org")
    return out

