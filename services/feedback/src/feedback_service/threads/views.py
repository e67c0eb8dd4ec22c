"""REST for chat threads (thin: parse, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from ..access import load_actor
from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..responses import Message
from ..schemas import MAX_ID, MessageIn
from . import service
from .subjects import parse_subject

router = APIRouter(prefix="/api/feedback", tags=["threads"])
# The exact forms are checked by parse_subject (objective:007 is refused); this pattern
# is their superset, so that the OpenAPI document tells clients (and fuzzers) the shape.
SubjectPath = Annotated[str, Path(max_length=200, pattern=r"^[a-z][a-z0-9-]{0,31}(:[A-Za-z0-9_-]{1,64}){0,4}$",
                                  description="objective:{id}, key-result:{id}, draft:{cycle}:team:{id} "
                                              "or a page key such as team:{id}")]
MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]
Cursor = Annotated[int | None, Query(ge=0, le=MAX_ID, description="a message id")]
EmojiPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^([a-z0-9_+-]{1,32}|[^\x00-\x7f\s]{1,8})$",
                                description="an emoji, or a name such as thumbsup")]


@router.get("/threads/{subject}/messages", response_model=list[Message], summary="A page of a thread, oldest first (the latest by default)")
async def list_messages(subject: SubjectPath, actor: ActorDep, session: SessionDep, before: Cursor = None,
                        after: Cursor = None,
                        limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
                        ) -> list[dict[str, Any]]:
    parsed = parse_subject(subject)
    msgs = await service.list_messages(session, parsed.raw, before=before, after=after, limit=limit)
    return await service.messages_json(session, msgs)


@router.post("/threads/{subject}/messages", response_model=Message, status_code=201, summary="Post a message (plain text, 1–4,000 characters)")
async def post_message(subject: SubjectPath, body: MessageIn, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    parsed = parse_subject(subject)
    async with c.runtime.outbox.batch_transaction() as tx:
        msg = await service.post(tx, principal.user_id, c.runtime.clock.now(), parsed, body.body)
    return service.message_json(msg)


@router.patch("/messages/{message_id}", response_model=Message, summary="Edit your own message")
async def edit_message(message_id: MessageId, body: MessageIn, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with c.runtime.outbox.transaction() as tx:
        actor = await load_actor(tx.session, principal.user_id)
        msg = await service.edit(tx, actor, c.runtime.clock.now(), message_id, body.body)
        return (await service.messages_json(tx.session, [msg]))[0]


@router.delete("/messages/{message_id}", response_model=Message, summary="Delete a message (yours; admins moderate): a tombstone stays")
async def delete_message(message_id: MessageId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with c.runtime.outbox.transaction() as tx:
        actor = await load_actor(tx.session, principal.user_id)
        msg = await service.delete(tx, actor, c.runtime.clock.now(), message_id)
        return service.message_json(msg)


@router.put("/messages/{message_id}/reactions/{emoji}", response_model=Message, summary="React to a message")
async def add_reaction(message_id: MessageId, emoji: EmojiPath, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _react(c, principal.user_id, message_id, emoji, on=True)


@router.delete("/messages/{message_id}/reactions/{emoji}", response_model=Message, summary="Take back your reaction")
async def remove_reaction(message_id: MessageId, emoji: EmojiPath, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _react(c, principal.user_id, message_id, emoji, on=False)


async def _react(c: Any, user_id: int, message_id: int, emoji: str, *, on: bool) -> dict[str, Any]:
    async with c.runtime.outbox.transaction() as tx:
        actor = await load_actor(tx.session, user_id)
        msg = await service.react(tx, actor, c.runtime.clock.now(), message_id, emoji, on)
        return (await service.messages_json(tx.session, [msg]))[0]
