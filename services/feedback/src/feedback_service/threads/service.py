"""Chat threads: post, page, edit, delete (tombstones), reactions, mentions.

Bodies are plain text, stored and returned verbatim (the web app renders them as text).
Mentions are written `<@user_id>`; those naming an active person are kept on the
message, and each person newly mentioned (other than the author) gets one
`mention.created`, which the notifier turns into a Slack message."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from boost_bus import BatchTx, Tx
from boost_contracts.events import MentionData, MessageData, make_event
from boost_platform.db import Statement, execute_batch, insert_ignore, last_insert_id, rowcount
from boost_platform.problems import Problem, not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..access import ACTOR, Actor, actor_from_rows
from ..models import Message, Reaction, RmKeyResult, RmObjective, RmTeam, RmUser
from .subjects import Subject, page_link, parse_subject

MENTION = re.compile(r"<@([1-9][0-9]{0,17})>")
DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_EMOJI_KINDS = 20
EMOJI = re.compile(r"^(?:[a-z0-9_+-]{1,32}|[^\x00-\x7f\s]{1,8})$")


@dataclass
class Thread:
    """A thread with what its events need: the realtime rooms and the page link."""

    subject: Subject
    scope: dict[str, Any] = field(default_factory=dict)
    link: str = "/"


_objectives, _key_results, _teams, _users = (RmObjective.__table__, RmKeyResult.__table__, RmTeam.__table__,
                                              RmUser.__table__)


@functools.cache
def _where(kind: str) -> sa.Select[Any] | None:
    """What a thread's scope is read from (`_thread`), by its subject's kind: the live
    objective; for a key result's, the live key result with its objective when that one is
    live too; the live team. One statement each, for the session and the batch alike."""
    o, k, t = _objectives.c, _key_results.c, _teams.c
    subject_id: sa.BindParameter[int] = sa.bindparam("subject_id")
    if kind == "objective":
        return sa.select(o.id, o.team_id, o.cycle).where(o.id == subject_id, sa.not_(o.deleted))
    if kind == "key-result":
        return (sa.select(k.objective_id, o.id, o.team_id, o.cycle)
                .select_from(_key_results.outerjoin(_objectives, sa.and_(o.id == k.objective_id, sa.not_(o.deleted))))
                .where(k.id == subject_id, sa.not_(k.deleted)))
    if kind in ("draft", "team"):
        return sa.select(t.id).where(t.id == subject_id, sa.not_(t.deleted))
    return None


def _thread(subject: Subject, rows: Sequence[Mapping[Any, Any]], *, posting: bool) -> Thread:
    """The thread's scope and link from what `_where` found. Posting needs the objective, key
    result or team to exist (and not be deleted); edits of old messages don't."""
    scope: dict[str, Any] = {"thread": subject.raw}
    row = rows[0] if rows else None
    objective_id: int | None = None
    if subject.kind in ("objective", "key-result") and subject.id is not None:
        if subject.kind == "objective":
            objective_id = subject.id
        elif row is not None:
            objective_id = row["objective_id"]
        elif posting:
            raise not_found(f"Key result {subject.id}")
        if row is not None and row["id"] is not None:
            scope.update(objective_id=row["id"], team_id=row["team_id"], cycle=row["cycle"])
        elif posting:
            raise not_found(f"Objective {objective_id}")
    elif subject.kind in ("draft", "team") and subject.id is not None:
        if posting and row is None:
            raise not_found(f"Team {subject.id}")
        scope["team_id"] = subject.id
        if subject.cycle:
            scope["cycle"] = subject.cycle
    elif subject.kind == "cycle":
        scope["cycle"] = subject.cycle
    return Thread(subject, scope, page_link(subject, objective_id))


def _scope_read(subject: Subject) -> tuple[sa.Select[Any], dict[str, Any]] | None:
    where = _where(subject.kind) if subject.id is not None else None
    return None if where is None else (where, {"subject_id": subject.id})


async def thread(session: AsyncSession, subject: Subject, *, posting: bool) -> Thread:
    read = _scope_read(subject)
    rows = [] if read is None else [r._mapping for r in await session.execute(*read)]
    return _thread(subject, rows, posting=posting)


# ---------------------------------------------------------------------------- reading


async def list_messages(session: AsyncSession, subject: str, *, before: int | None, after: int | None,
                        limit: int) -> list[Message]:
    """Oldest first. Without cursors: the latest `limit`. `before`: the `limit` just
    before that id. `after`: the `limit` just after it (bounded by `before` if given)."""
    # With a cursor MariaDB 10.11 picks `ref` on the subject alone and walks the whole
    # thread from one end (45 ms at 100,000 messages); the (subject, id) range is 0.5 ms.
    stmt = (sa.select(Message).where(Message.subject == subject)
            .with_hint(Message.__table__, "FORCE INDEX (ix_messages_subject_id)", dialect_name="mysql"))
    if before is not None:
        stmt = stmt.where(Message.id < before)
    if after is not None:
        rows = await session.execute(stmt.where(Message.id > after).order_by(Message.id).limit(limit))
        return list(rows.scalars())
    rows = await session.execute(stmt.order_by(Message.id.desc()).limit(limit))
    return list(reversed(rows.scalars().all()))


async def get_message(session: AsyncSession, message_id: int, *, lock: bool = False) -> Message:
    stmt = sa.select(Message).where(Message.id == message_id)
    if lock:
        stmt = stmt.with_for_update()
    msg = (await session.execute(stmt)).scalar_one_or_none()
    if msg is None:
        raise not_found(f"Message {message_id}")
    return msg


async def reactions_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Per message: `[{emoji, count, user_ids}]`, in the order each emoji was first used."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return out
    rows = await session.execute(
        sa.select(Reaction.message_id, Reaction.emoji, Reaction.user_id)
        .where(Reaction.message_id.in_(list(ids))).order_by(Reaction.message_id, Reaction.created_at, Reaction.user_id)
    )
    groups: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for r in rows:
        groups[r.message_id].setdefault(r.emoji, []).append(r.user_id)
    for mid, by_emoji in groups.items():
        out[mid] = [{"emoji": e, "count": len(users), "user_ids": users} for e, users in by_emoji.items()]
    return out


def message_data(msg: Message | Any) -> MessageData:
    return MessageData(id=msg.id, subject=msg.subject, author_id=msg.author_id, body=msg.body,
                       mentions=list(msg.mentions or []), created_at=msg.created_at, edited_at=msg.edited_at,
                       deleted=msg.deleted)


def message_json(msg: Message | Any, reactions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {**message_data(msg).model_dump(mode="json"), "reactions": reactions or []}


async def messages_json(session: AsyncSession, msgs: Sequence[Message]) -> list[dict[str, Any]]:
    reactions = await reactions_of(session, [m.id for m in msgs])
    return [message_json(m, reactions.get(m.id)) for m in msgs]


# ---------------------------------------------------------------------------- writing


def _active_among(named: list[int]) -> sa.Select[Any]:
    """Which of the people a message names are active (`_mentions`); an IN list, built per message."""
    return sa.select(_users.c.id).where(_users.c.id.in_(named), _users.c.active)


def _named(body: str) -> list[int]:
    """The ids a body names `<@id>`, in order of first mention."""
    return list(dict.fromkeys(int(m) for m in MENTION.findall(body)))


def _mentions(named: list[int], active: Sequence[Mapping[Any, Any]]) -> list[int]:
    """Those named who are active people (`_active_among`'s rows)."""
    known = {r["id"] for r in active}
    return [i for i in named if i in known]


async def mentioned(session: AsyncSession, body: str) -> list[int]:
    """Active people named `<@id>` in the body, in order of first mention."""
    named = _named(body)
    if not named:
        return []
    return _mentions(named, [r._mapping for r in await session.execute(_active_among(named))])


async def _emit(tx: BatchTx, th: Thread, msg: Message | Any, action: str, actor: Actor, changes: list[str],
                reactions: list[dict[str, Any]] | None = None) -> None:
    event = make_event("feedback", f"message.{action}", message_data(msg), actor_id=actor.user_id,
                       changes=changes, scope=th.scope)
    if reactions is not None:
        event.data["reactions"] = reactions  # beside the contract's fields, so clients needn't refetch
    tx.emit(event)


def _emit_mentions(tx: BatchTx, th: Thread, msg: Message | Any, actor: Actor, people: Sequence[int]) -> None:
    for user_id in people:
        if user_id == msg.author_id:
            continue  # nobody is notified of their own mention
        data = MentionData(message_id=msg.id, subject=msg.subject, user_id=user_id, author_id=msg.author_id,
                           body=msg.body, link=th.link)
        tx.emit(make_event("feedback", "mention.created", data, actor_id=actor.user_id, scope=th.scope))


async def post(tx: BatchTx, user_id: int, now: datetime, subject: Subject, body: str) -> Any:
    """A message by `user_id`, without an ORM session (chat is a hot write, issue 23): who
    they are, where the thread lives and whom the message names are read in one round trip;
    the INSERT and its id in a second (the events carry it); the events' outbox rows go with
    the COMMIT (`Outbox.batch_transaction`). The same rules as everywhere: `actor_from_rows`,
    `require_writer`, `_thread`, `_mentions`."""
    named = _named(body)
    scope = _scope_read(subject)
    reads: list[Statement] = [(ACTOR, {"user_id": user_id})]
    if scope is not None:
        reads.append(scope)
    if named:
        reads.append(_active_among(named))
    conn = await tx.connection()
    found = await execute_batch(conn, reads)
    actor = actor_from_rows(user_id, found[0])
    actor.require_writer()
    th = _thread(subject, found[1] if scope is not None else [], posting=True)
    values = {"subject": subject.raw, "author_id": user_id, "body": body,
              "mentions": _mentions(named, found[-1]) if named else [], "created_at": now, "edited_at": None,
              "deleted": False, "deleted_by": None}
    _, inserted = await execute_batch(conn, [(_insert_message(), values), last_insert_id(tx.dialect)])
    msg = SimpleNamespace(id=int(inserted[0]["id"]), **values)
    await _emit(tx, th, msg, "created", actor, [])
    _emit_mentions(tx, th, msg, actor, msg.mentions)
    return msg


@functools.cache
def _insert_message() -> sa.Insert:
    return sa.insert(Message.__table__)


async def edit(tx: Tx, actor: Actor, now: datetime, message_id: int, body: str) -> Message:
    actor.require_writer()
    msg = await get_message(tx.session, message_id, lock=True)
    if msg.author_id != actor.user_id:
        raise Problem(403, "Only its author can edit a message.")
    if msg.deleted:
        raise Problem(409, "This message was deleted.", current=message_json(msg))
    if body == msg.body:
        return msg
    before = set(msg.mentions or [])
    msg.body, msg.edited_at = body, now
    msg.mentions = await mentioned(tx.session, body)
    th = await thread(tx.session, parse_subject(msg.subject), posting=False)
    await tx.session.flush()
    await _emit(tx, th, msg, "updated", actor, ["body", "mentions", "edited_at"])
    _emit_mentions(tx, th, msg, actor, [u for u in msg.mentions if u not in before])
    return msg


async def delete(tx: Tx, actor: Actor, now: datetime, message_id: int) -> Message:
    """Leaves a tombstone: `deleted: true`, the body and mentions emptied, reactions gone.
    Authors delete their own; admins moderate anyone's."""
    actor.require_writer()
    msg = await get_message(tx.session, message_id, lock=True)
    if msg.author_id != actor.user_id and not actor.is_admin:
        raise Problem(403, "Only its author or an admin can delete a message.")
    if msg.deleted:
        return msg
    msg.deleted, msg.deleted_by, msg.body, msg.mentions, msg.edited_at = True, actor.user_id, "", [], now
    await tx.session.execute(sa.delete(Reaction).where(Reaction.message_id == msg.id))
    th = await thread(tx.session, parse_subject(msg.subject), posting=False)
    await tx.session.flush()
    await _emit(tx, th, msg, "deleted", actor, ["deleted", "body", "mentions"], reactions=[])
    return msg


def check_emoji(emoji: str) -> str:
    if not EMOJI.match(emoji) or any("\ud800" <= ch <= "\udfff" for ch in emoji):
        raise Problem(422, "a reaction is an emoji or a short name such as thumbsup", title="Unprocessable Content",
                      errors=[{"loc": ["path", "emoji"], "msg": "not an emoji", "type": "value_error"}])
    return emoji


async def react(tx: Tx, actor: Actor, now: datetime, message_id: int, emoji: str, on: bool) -> Message:
    """Add (`on`) or take back one person's reaction; repeating either changes nothing."""
    actor.require_writer()
    check_emoji(emoji)
    msg = await get_message(tx.session, message_id, lock=True)
    if msg.deleted:
        raise Problem(409, "This message was deleted.", current=message_json(msg))
    session = tx.session
    if on:
        kinds = set((await session.execute(
            sa.select(Reaction.emoji).where(Reaction.message_id == msg.id).distinct())).scalars())
        if emoji not in kinds and len(kinds) >= MAX_EMOJI_KINDS:
            raise Problem(409, f"A message takes at most {MAX_EMOJI_KINDS} different reactions.")
        dialect = session.bind.dialect.name if session.bind else "mysql"
        result = await session.execute(insert_ignore(Reaction, dialect, message_id=msg.id, emoji=emoji,
                                                     user_id=actor.user_id, created_at=now))
    else:
        result = await session.execute(sa.delete(Reaction).where(
            Reaction.message_id == msg.id, Reaction.emoji == emoji, Reaction.user_id == actor.user_id))
    if rowcount(result):
        th = await thread(session, parse_subject(msg.subject), posting=False)
        reactions = (await reactions_of(session, [msg.id])).get(msg.id, [])
        await _emit(tx, th, msg, "updated", actor, ["reactions"], reactions=reactions)
    return msg
