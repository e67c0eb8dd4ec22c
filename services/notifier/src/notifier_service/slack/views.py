"""What Slack calls: `/slack/events`, `/slack/commands`, `/slack/interactions`.

Each verifies Slack's signature on the raw body first (401 otherwise) and answers within
3 s; slow work continues after the answer."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from boost_platform.logging import get_logger
from boost_platform.problems import Problem
from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from ..deps import ContainerDep
from .blockkit import BlockKitError, fit_answer, fit_view
from .payloads import EventCallback, Interaction, checked
from .verify import verified_body

router = APIRouter(prefix="/slack", tags=["slack"])
log = get_logger("notifier.slack.views")

SlackBody = Annotated[bytes, Depends(verified_body)]


def _form(body: bytes) -> dict[str, str]:
    try:
        return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    except UnicodeDecodeError as exc:
        raise Problem(400, "The body is not form-encoded text.") from exc


def _json(raw: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise Problem(400, "The body is not JSON.") from exc
    if not isinstance(value, dict):
        raise Problem(400, "The body is not a JSON object.")
    return value


@router.post("/events", summary="Slack's Events API: url_verification, link_shared, app_home_opened")
async def events(body: SlackBody, c: ContainerDep) -> Response:
    payload = checked(EventCallback, _json(body))
    if payload.get("type") == "url_verification":
        return JSONResponse({"challenge": payload.get("challenge", "")})
    if c.workspace.foreign(payload.get("team_id"), payload.get("api_app_id"), "events"):
        return Response(status_code=200)
    if payload.get("type") == "event_callback" and await c.events.first_time(payload.get("event_id")):
        where = {"external": bool(payload.get("is_ext_shared_channel"))}
        c.tasks.spawn(c.slack_app.event(payload.get("event") or {}, where))
    return Response(status_code=200)


@router.post("/commands", summary="Slash commands: /okr, /okr help, /okr team <name>")
async def commands(body: SlackBody, c: ContainerDep) -> Response:
    form = _form(body)
    if not form.get("user_id"):
        raise Problem(400, "A slash command names the person who typed it (`user_id`).")
    if c.workspace.foreign(form.get("team_id"), form.get("api_app_id"), "commands"):
        return Response(status_code=200)
    answer = await c.slack_app.command(form)
    try:
        return JSONResponse(fit_answer(answer))
    except BlockKitError as exc:  # the blocks would be refused: the sentence alone still answers
        log.error("a slash command answer breaks Block Kit's limits", where=exc.where, problem=exc.problem)
        return JSONResponse({"response_type": "ephemeral", "text": fit_answer({"text": answer.get("text", "")})["text"]})


@router.post("/interactions", summary="Buttons, modals (check-in, request changes), snooze")
async def interactions(body: SlackBody, c: ContainerDep) -> Response:
    form = _form(body)
    if "payload" not in form:
        raise Problem(400, "An interaction carries a `payload` field.")
    payload = checked(Interaction, _json(form["payload"]))
    team = (payload.get("team") or {}).get("id") or (payload.get("user") or {}).get("team_id")
    if c.workspace.foreign(team, payload.get("api_app_id"), "interactions"):
        return Response(status_code=200)
    answer = await c.slack_app.interaction(payload)
    if answer is None:
        return Response(status_code=200)
    if isinstance(answer.get("view"), dict):
        try:
            answer = {**answer, "view": fit_view(answer["view"])}
        except BlockKitError as exc:
            log.error("a modal update breaks Block Kit's limits; closing it instead", where=exc.where,
                      problem=exc.problem)
            return Response(status_code=200)
    return JSONResponse(answer)
