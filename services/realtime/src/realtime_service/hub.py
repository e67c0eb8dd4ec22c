"""The Socket.IO side of Boost (contract §4): who may connect, rooms, edits forwarded to
okr, events fanned out to rooms, presence shared across replicas.

Every replica subscribes to `okr.events.>` and `feedback.events.>` with a plain core
subscription (no queue group, so each replica sees every event) and emits to its own
sockets; any replica serves any room, so nginx needs no sticky sessions."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import engineio
import socketio
from boost_bus import BusReplyError
from boost_contracts.envelope import Scope
from boost_contracts.messages import EditCommand
from boost_platform.auth import SESSION_COOKIE, AuthError
from boost_platform.logging import get_logger
from boost_platform.settings import BoostSettings
from boost_platform.stalls import loop_lag
from nats.aio.msg import Msg
from pydantic import ValidationError

from .bootstrap import Container
from .metrics import (
    CONNECTIONS,
    DISCARDED,
    EDIT_LATENCY,
    EMITS,
    PRESENCE_HEARTBEATS,
    PRESENCE_SHED,
    REFUSED,
    SLOW_DROPPED,
)
from .presence import PresenceBoard
from .rooms import is_field, is_room
from .schemas import EditRejected, parse_edit, room_of
from .settings import RealtimeSettings, allowed_origins
from .users import UnknownPerson, UserDirectory

log = get_logger("boost.realtime")

NAMESPACE = "/"
SOURCES = {"okr": "okr.event", "feedback": "feedback.event"}


@dataclass
class Conn:
    """One connected socket (a browser tab)."""

    user_id: int
    name: str
    jti: str
    exp: int
    rooms: set[str] = field(default_factory=set)
    present: set[str] = field(default_factory=set)  # rooms it sent presence for
    relayed: dict[str, float] = field(default_factory=dict)  # room → when its heartbeat last went to NATS
    edits_in_flight: int = 0


def session_cookie(header: str) -> str | None:
    """The session token from a Cookie header. Not http.cookies: it gives up on the whole
    header when another site's cookie on the same host is malformed."""
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == SESSION_COOKIE:
            value = value.strip().strip('"')
            return value or None
    return None


class _Recent:
    """The ids of the last events emitted: an outbox relay may publish one event twice."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str) -> bool:
        if event_id in self._ids:
            return True
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return False


Handler = Callable[..., Awaitable[Any]]


class _MalformedPacket(logging.Filter):
    """python-engineio logs a client's undecodable Socket.IO packet (bad JSON, unknown type,
    a binary placeholder without its attachment) as an error with a traceback; it drops
    that packet and carries on. One warning line says so without crying wolf."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.getMessage() in ("message async handler error", "Unknown receive error"):
            record.msg, record.args = "malformed packet from a client dropped: %r", (record.exc_info[1],)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_malformed_packets() -> None:
    logger = logging.getLogger("engineio.server")
    if not any(isinstance(f, _MalformedPacket) for f in logger.filters):
        logger.addFilter(_MalformedPacket())


def _never_raises(handler: Handler) -> Handler:
    """A socket handler that fails answers `{ok: false}` instead of leaving the client hanging."""

    @functools.wraps(handler)
    async def wrapper(*args: Any) -> Any:
        try:
            return await handler(*args)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception:
            log.exception("socket handler failed", handler=handler.__name__)
            return {"ok": False, "error": "internal error", "status": 500}

    return wrapper


class Hub:
    def __init__(self, settings: BoostSettings, options: RealtimeSettings) -> None:
        self.settings = settings
        self.options = options
        self.origins = allowed_origins(settings, options)
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            transports=["websocket"],
            cors_allowed_origins=self.origins,
            max_http_buffer_size=options.max_message,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            logger=False,
            engineio_logger=False,
        )
        self.replica = secrets.token_hex(6)
        self.conns: dict[str, Conn] = {}
        self.board = PresenceBoard(options.presence_ttl)
        self._recent = _Recent(20_000)
        self._dropping: set[str] = set()
        # Rooms whose presence changed while the loop was saturated: shown by the sweep, once.
        self._presence_due: dict[str, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._container: Container | None = None
        self._directory: UserDirectory | None = None
        self.sio.on("connect", self._connect_or_refuse)
        for event, handler in (("disconnect", self.on_disconnect),
                               ("subscribe", self.on_subscribe), ("unsubscribe", self.on_unsubscribe),
                               ("edit", self.on_edit), ("presence", self.on_presence)):
            self.sio.on(event, _never_raises(handler))

    # ------------------------------------------------------------------ lifecycle
    async def start(self, container: Container) -> None:
        self._container = container
        names = self.settings.names
        bus = container.bus

        async def ask(user_id: int) -> dict[str, Any]:
            reply: dict[str, Any] = await bus.request(names.query("okr", "user"),
                                                      {"actor_id": "service:realtime", "id": user_id}, timeout=3)
            return reply

        self._directory = UserDirectory(ask, self.options.user_cache_seconds)

        def follow(source: str) -> Callable[[Any], Awaitable[None]]:
            async def setup(_bus: Any) -> None:  # retried until the source has made its stream
                await bus.follow(names.stream(source), names.events_of(source), self._on_event)
            return setup

        async def presence(_bus: Any) -> None:  # heartbeats are refreshed every few seconds: core is enough
            await bus.subscribe(names.presence(), self._on_heartbeat)

        for source in SOURCES:
            bus.on_connect(follow(source))
        bus.on_connect(presence)
        bus.on_reconnect(self._on_bus_back)
        self._spawn(self._sweep())

    async def stop(self) -> None:
        # Say goodbye so that the other replicas don't show our people for another ttl.
        for sid, conn in list(self.conns.items()):
            for room in list(conn.present):
                await self._publish_presence(room, sid, conn, None, leave=True)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def container(self) -> Container:
        if self._container is None:
            raise RuntimeError("the hub is not started")
        return self._container

    # ------------------------------------------------------------------ connect
    def _sent_by_client(self, sid: str) -> bool:
        """python-socketio hands a client's event named `connect` or `disconnect` to those
        handlers (with the client's own arguments as `environ`, `auth`, `reason`). A real
        connect or disconnect runs while the socket is pending, i.e. not connected."""
        return bool(self.sio.manager.is_connected(sid, "/"))

    async def _connect_or_refuse(self, sid: str, environ: Any = None, auth: Any = None, *_: Any) -> Any:
        if self._sent_by_client(sid):
            return {"ok": False, "error": "connect is not an event", "status": 400}
        try:
            await self.on_connect(sid, environ, auth)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception:
            # Never let a connection in because checking it failed.
            log.exception("connect check failed")
            self._refuse("error", "The service could not check your session; try again.")

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if self._container is None or self._directory is None:
            self._refuse("unavailable", "The service is starting; try again.")
        directory = self._directory
        token = self._token(environ, auth)
        try:
            claims = self._container.verifier.verify(token)
            user_id = int(claims["sub"])
        except AuthError as exc:
            self._refuse("invalid", f"Your session is not valid ({exc}); sign in again.")
        except (KeyError, TypeError, ValueError):
            self._refuse("invalid", "Your session is not valid; sign in again.")
        try:
            person = await directory.get(user_id)
        except UnknownPerson:
            self._refuse("inactive", "Your account is not active; sign in again.")
        except Exception as exc:
            log.warning("could not look up a person", user_id=user_id, error=repr(exc))
            self._refuse("unavailable", "The service is unavailable; try again.")
        if not person.active:
            self._refuse("inactive", "Your account is not active; sign in again.")
        self.conns[sid] = Conn(user_id=user_id, name=person.name, jti=str(claims["jti"]), exp=int(claims["exp"]))
        CONNECTIONS.inc()

    def _token(self, environ: dict[str, Any], auth: Any) -> str:
        """`auth: {token}` first; else the session cookie, only from an allowed origin
        (browsers always send Origin on a WebSocket; a missing one means no browser)."""
        if isinstance(auth, dict) and auth.get("token") is not None:
            token = auth["token"]
            if not isinstance(token, str) or not token or len(token) > 4096:
                self._refuse("invalid", "auth.token must be a session token.")
            return str(token)
        token = session_cookie(environ.get("HTTP_COOKIE", ""))
        if not token:
            self._refuse("unauthenticated", "Sign in first.")
        origin = (environ.get("HTTP_ORIGIN") or "").lower()
        if origin not in self.origins:
            self._refuse("origin", "Cookie sessions are accepted only from Boost's own pages.")
        return token

    @staticmethod
    def _refuse(reason: str, message: str) -> NoReturn:
        REFUSED.labels(reason).inc()
        raise socketio.exceptions.ConnectionRefusedError(message, {"reason": reason})

    async def on_disconnect(self, sid: str, reason: Any = None, *_: Any) -> Any:
        if self._sent_by_client(sid):
            return {"ok": False, "error": "disconnect is not an event", "status": 400}
        conn = self.conns.pop(sid, None)
        self._dropping.discard(sid)
        if conn is None:
            return
        CONNECTIONS.dec()
        for room in list(conn.present):
            if self.board.leave(room, (self.replica, sid)):
                await self._presence_changed(room)
            await self._publish_presence(room, sid, conn, None, leave=True)

    # ------------------------------------------------------------------ rooms
    async def on_subscribe(self, sid: str, data: Any = None, *_: Any) -> dict[str, Any]:
        conn = self.conns.get(sid)
        room = room_of(data)
        if conn is None:
            return {"ok": False, "error": "not connected", "status": 401}
        if not is_room(room):
            return {"ok": False, "error": "rooms are cycle:{cycle}, team:{id}:{cycle}, objective:{id} or thread:{subject}",
                    "status": 422}
        if room not in conn.rooms and len(conn.rooms) >= self.options.max_rooms:
            return {"ok": False, "error": f"at most {self.options.max_rooms} rooms per connection", "status": 429}
        await self.sio.enter_room(sid, room)
        conn.rooms.add(room)
        # Who is already here, so that a page shows its people at once.
        await self.sio.emit("presence", {"room": room, "users": self.board.users(room)}, to=sid)
        return {"ok": True}

    async def on_unsubscribe(self, sid: str, data: Any = None, *_: Any) -> dict[str, Any]:
        conn = self.conns.get(sid)
        room = room_of(data)
        if conn is None:
            return {"ok": False, "error": "not connected", "status": 401}
        if not is_room(room):
            return {"ok": False, "error": "not a room", "status": 422}
        await self.sio.leave_room(sid, room)
        conn.rooms.discard(room)
        conn.relayed.pop(room, None)
        if room in conn.present:
            conn.present.discard(room)
            if self.board.leave(room, (self.replica, sid)):
                await self._presence_changed(room)
            await self._publish_presence(room, sid, conn, None, leave=True)
        return {"ok": True}

    # ------------------------------------------------------------------ edits
    async def on_edit(self, sid: str, data: Any = None, *_: Any) -> dict[str, Any]:
        started = time.perf_counter()
        outcome = "rejected"
        try:
            ack = await self._edit(sid, data)
            outcome = "ok" if ack.get("ok") else ("unavailable" if ack.get("error") == "unavailable" else "refused")
            return ack
        except EditRejected as exc:
            return exc.ack()
        finally:
            EDIT_LATENCY.labels(outcome).observe(time.perf_counter() - started)

    async def _edit(self, sid: str, data: Any) -> dict[str, Any]:
        conn = self.conns.get(sid)
        if conn is None:
            raise EditRejected("not connected", 401)
        edit = parse_edit(data)
        verifier = self.container.verifier
        if verifier.is_revoked(conn.jti):
            self._spawn(self.sio.disconnect(sid))
            raise EditRejected("Your session was ended; sign in again.", 401)
        if conn.exp <= time.time():
            # Close the transport, not the Socket.IO session: the client reconnects with its
            # renewed cookie and replays this edit (same op_id).
            self._spawn(self._close_transport(sid))
            raise EditRejected("Your session expired; reconnecting.", 401)
        if conn.edits_in_flight >= self.options.max_edits_in_flight:
            raise EditRejected("too many edits in flight; wait for the acks", 429)
        command = EditCommand.of(conn.user_id, edit).model_dump(exclude_none=True)
        conn.edits_in_flight += 1
        try:
            reply = await self.container.bus.request(self.settings.names.cmd("okr", "edit"), command,
                                                     timeout=self.options.edit_timeout)
        except BusReplyError as exc:
            # okr refused before its edit logic (bad shape, unknown person…): same ack shape.
            error = exc.error
            return {"ok": False, "error": error.get("detail") or error.get("title") or "refused",
                    "status": error.get("status", 400)}
        except Exception as exc:
            # Timeout, no okr, NATS down: the client retries with the same op_id, which
            # okr's receipts make safe even if this one did commit.
            log.warning("edit not answered", op_id=edit.op_id, error=repr(exc))
            return {"ok": False, "error": "unavailable", "status": 503}
        finally:
            conn.edits_in_flight -= 1
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            log.error("okr answered an edit strangely", reply=str(reply)[:200])
            return {"ok": False, "error": "unavailable", "status": 503}
        return reply

    # ------------------------------------------------------------------ presence
    async def on_presence(self, sid: str, data: Any = None, *_: Any) -> dict[str, Any]:
        conn = self.conns.get(sid)
        if conn is None:
            return {"ok": False, "error": "not connected", "status": 401}
        room = room_of(data)
        field_name = data.get("field") if isinstance(data, dict) else None
        if not is_room(room):
            return {"ok": False, "error": "not a room", "status": 422}
        if not is_field(field_name):
            return {"ok": False, "error": "field is {entity}:{id}:{field} or null", "status": 422}
        if room not in conn.present and len(conn.present) >= self.options.max_rooms:
            return {"ok": False, "error": "present in too many rooms", "status": 429}
        conn.present.add(room)
        PRESENCE_HEARTBEATS.labels("local").inc()
        changed = self.board.beat(room, (self.replica, sid), conn.user_id, conn.name, field_name)
        if changed:
            await self._presence_changed(room)
        now = time.monotonic()
        if not changed and self._saturated() and now - conn.relayed.get(room, 0.0) < self.options.presence_ttl / 2:
            # A refresh that changes nothing: the other replicas keep the entry for a ttl anyway.
            PRESENCE_SHED.labels("not_relayed").inc()
        else:
            conn.relayed[room] = now
            await self._publish_presence(room, sid, conn, field_name)
        return {"ok": True}

    async def _publish_presence(self, room: str, sid: str, conn: Conn, field_name: str | None,
                                leave: bool = False) -> None:
        if self._container is None:
            return
        beat: dict[str, Any] = {"room": room, "user": {"id": conn.user_id, "name": conn.name}, "field": field_name,
                                "replica": self.replica, "sid": sid, "at": self._container.clock.now().isoformat()}
        if leave:
            beat["leave"] = True
        try:
            await self._container.bus.publish_core(self.settings.names.presence(), json.dumps(beat).encode())
        except Exception as exc:
            # NATS down: this replica's own board still works; the others expire us.
            log.debug("presence not published", error=repr(exc))

    async def _on_heartbeat(self, msg: Msg) -> None:
        try:
            beat = json.loads(msg.data)
            if beat.get("replica") == self.replica:
                return  # our own, already on the board
            room, user, sid, field_name = beat["room"], beat["user"], str(beat["sid"]), beat.get("field")
            user_id, name = user["id"], user["name"]
            if (not is_room(room) or not is_field(field_name) or not isinstance(user_id, int)
                    or not isinstance(name, str)):
                raise ValueError("bad heartbeat")
            key = (str(beat["replica"]), sid)
        except Exception as exc:
            log.debug("unreadable presence heartbeat", error=repr(exc))
            return
        PRESENCE_HEARTBEATS.labels("remote").inc()
        if beat.get("leave"):
            changed = self.board.leave(room, key)
        else:
            changed = self.board.beat(room, key, user_id, name[:200], field_name)
        if changed:
            await self._presence_changed(room)

    # Presence is the first thing shed when the replica is saturated (edits, acks and events
    # never are): who looks at what may show a moment late, an edit may not.
    def _saturated(self) -> bool:
        return loop_lag() >= self.options.shed_presence_lag

    async def _presence_changed(self, room: str) -> None:
        """A room's people changed: show it now or, while saturated, with the next sweep
        (however many changes come meanwhile, one broadcast)."""
        if self._saturated():
            self._presence_due.setdefault(room, time.monotonic())
            PRESENCE_SHED.labels("deferred").inc()
            return
        self._presence_due.pop(room, None)
        await self._emit_presence(room)

    async def _show_due_presence(self) -> None:
        if not self._presence_due:
            return
        saturated, now, longest = self._saturated(), time.monotonic(), self.options.presence_ttl / 4
        for room, since in list(self._presence_due.items()):
            if saturated and now - since < longest:
                continue
            del self._presence_due[room]
            await self._emit_presence(room)

    async def _emit_presence(self, room: str) -> None:
        # A socket far behind misses this one; the room's next change shows it the whole list.
        await self._emit("presence", {"room": room, "users": self.board.users(room)}, [room], optional=True)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.options.presence_sweep)
            try:
                for room in self.board.expire():
                    await self._presence_changed(room)
                await self._show_due_presence()
                await self._expire_sessions()
            except Exception:
                log.exception("presence sweep failed")

    async def _expire_sessions(self) -> None:
        now = time.time()
        for sid, conn in list(self.conns.items()):
            if conn.exp <= now and sid not in self._dropping:
                self._dropping.add(sid)
                self._spawn(self._close_transport(sid))

    # ------------------------------------------------------------------ fan-out
    async def _on_event(self, msg: Msg) -> None:
        subject = self.settings.names.unprefix(msg.subject)
        event_name = SOURCES.get(subject.split(".", 1)[0])
        if event_name is None:
            return
        try:
            envelope = json.loads(msg.data)
            event_id = envelope["id"]
            rooms = Scope.model_validate(envelope.get("scope") or {}).rooms()
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            log.warning("unreadable event skipped", subject=msg.subject, error=repr(exc))
            return
        if self._recent.seen(str(event_id)):
            return
        if event_name == "okr.event":
            await self._follow_okr(str(envelope.get("type", "")), envelope.get("data") or {})
        if rooms:
            await self._emit(event_name, envelope, rooms)

    async def _emit(self, event: str, data: Any, rooms: list[str], optional: bool = False) -> None:
        """One packet to the union of the rooms (python-socketio merges the rooms' members
        by sid, so a socket in several of them gets it once), encoded once and put in each
        socket's queue for its own writer task: a slow client holds back nobody, and one
        whose queue passes max_queue is dropped (it reconnects and refetches). Not
        `sio.emit`, which starts a task per recipient: that cost more than the send.
        An `optional` packet (presence) is not queued to a socket already a tenth of
        max_queue behind, so that what must arrive goes first."""
        participants = list(self.sio.manager.get_participants(NAMESPACE, rooms))
        if not participants:
            return
        packet = engineio.packet.Packet(engineio.packet.MESSAGE, self.sio.packet_class(
            socketio.packet.EVENT, namespace=NAMESPACE, data=[event, data]).encode())
        sockets = self.sio.eio.sockets
        sent = skipped = 0
        behind = self.options.max_queue // 10
        for sid, eio_sid in participants:
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed or sid in self._dropping:
                continue
            if sock.queue.qsize() >= self.options.max_queue:
                self._dropping.add(sid)
                SLOW_DROPPED.inc()
                log.warning("dropping a socket that does not read", sid=sid)
                self._spawn(self._close_transport(sid, discard_queue=True))
                continue
            if optional and sock.queue.qsize() >= behind:
                skipped += 1
                continue
            await self.sio.eio.send_packet(eio_sid, packet)
            sent += 1
        EMITS.labels(event).inc(sent)
        if skipped:
            PRESENCE_SHED.labels("busy_socket").inc(skipped)

    async def _close_transport(self, sid: str, discard_queue: bool = False) -> None:
        """Close the socket at the Engine.IO level: the client sees a transport close and
        reconnects (refetching what it shows), unlike a Socket.IO disconnect."""
        try:
            eio_sid = self.sio.manager.eio_sid_from_sid(sid, NAMESPACE)
        except Exception:
            return
        sock = self.sio.eio.sockets.get(eio_sid) if eio_sid else None
        if sock is None:
            return
        if discard_queue:
            discarded = 0
            with contextlib.suppress(asyncio.QueueEmpty, ValueError):
                while True:
                    sock.queue.get_nowait()
                    sock.queue.task_done()
                    discarded += 1
            DISCARDED.inc(discarded)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.eio.disconnect(eio_sid), 5)

    async def _follow_okr(self, event_type: str, data: dict[str, Any]) -> None:
        """Sessions and people change under open sockets: revoked or deactivated ones go."""
        if event_type == "session.revoked":
            jti = data.get("jti")
            for sid, conn in list(self.conns.items()):
                if conn.jti == jti:
                    await self.sio.disconnect(sid)
        elif event_type.startswith("user.") and self._directory is not None:
            person = self._directory.update(data, deleted=event_type == "user.deleted")
            if person is None:
                return
            for sid, conn in list(self.conns.items()):
                if conn.user_id != person.id:
                    continue
                if not person.active:
                    await self.sio.disconnect(sid)
                else:
                    conn.name = person.name

    async def _on_bus_back(self) -> None:
        # The streams' events missed meanwhile are replayed (`Bus.follow`); clients refetch too, as the contract says.
        await self.sio.emit("resync", {"reason": "bus reconnected"})
