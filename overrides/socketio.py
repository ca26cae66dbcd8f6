"""The fork of Rasa 3.6's socket.io blueprint and handlers (``rasa.core.channels.socketio``).

Stock Rasa calls ``sio.enter_room(...)`` without ``await``. Since python-socketio 5.10 that
method is a coroutine, so with ``session_persistence: true`` the socket never joins its session's
room and every bot reply, addressed to that room, is lost (RasaHQ/rasa#13027). Rasa's handlers
also let any socket join any session and fail with a TypeError on events without the expected
arguments. :class:`SocketIOFork` keeps Rasa's wiring (the ``SocketBlueprint``, the settings and
attributes of Rasa's ``SocketIOInput``, JWT on connect, ``session_request`` /
``session_confirm``) and leaves two decisions to the channel that subclasses it
(``connectors.socketio.SocketIOInput``): which session a socket may use
(:meth:`SocketIOFork.claim_session`) and what a message does (:meth:`SocketIOFork.handle_message`).
"""

from __future__ import annotations

import inspect
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class SocketMessage:
    """One ``user_message_evt`` event, as the fork hands it to the channel.

    Attributes:
        sid: the socket's id (a room of its own).
        sender_id: the conversation: the confirmed session, the socket id without persistence,
            or None when a persistent socket has no confirmed session yet.
        address: the client's address, as the socket connected.
        data: what the client sent, unchecked.
        app: the Sanic app Rasa runs in (its ``ctx`` holds the agent), once the server started.
    """

    sid: str
    sender_id: Optional[str]
    address: str
    data: Any
    app: Optional[Sanic]


async def maybe_await(result: Any) -> None:
    """Await what python-socketio returns when it is a coroutine (it is since 5.10)."""
    if inspect.isawaitable(result):
        await result


def client_address(environ: Any) -> str:
    """The client's address from the connect event's WSGI-like environment, or ``unknown``."""
    request = environ.get("sanic.request") if isinstance(environ, dict) else None
    return str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "unknown")


class SocketIOFork(RasaSocketIOInput):
    """Rasa's socket.io channel with its blueprint forked (see the module docstring)."""

    async def claim_session(self, sid: str, data: Dict[str, Any]) -> Optional[Tuple[str, Optional[str]]]:
        """The session a persistent socket asked for in ``data`` and its token, or None to refuse.

        Rasa's behaviour (the requested id or a fresh one, no token); channels override it.
        """
        return str(data.get("session_id") or uuid.uuid4().hex), None

    async def session_confirmed(self, session_id: str, app: Optional[Sanic]) -> None:
        """Called once ``session_confirm`` has gone out (the widget opened); Rasa does nothing here."""

    async def handle_message(self, message: SocketMessage, on_new_message: OnNewMessage) -> None:
        """Run a turn for ``message``; channels override it to check and answer bad input."""
        raise NotImplementedError

    async def say_to_socket(self, sid: str, text: str) -> None:
        """Send ``text`` as a bot message to this socket only."""
        if self.sio is not None:
            await self.sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=self.namespace)

    def token_allows(self, auth: Any) -> bool:
        """Rasa's JWT check on connect: always true without a ``jwt_key``."""
        if not self.jwt_key:
            return True
        token = auth.get("token") if isinstance(auth, dict) else None
        return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Attach a Socket.IO server at ``socketio_path`` and a health route at ``/webhooks/socketio/``."""
        # python-socketio's own origin check is off, as in stock Rasa: Rasa's --cors setting
        # governs the HTTP routes, and a socket proves its session with a token, never a cookie.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # used by get_output_channel for messages Rasa sends on its own
        confirmed: Dict[str, str] = {}  # socket id -> the session it was confirmed for
        addresses: Dict[str, str] = {}  # socket id -> client address
        apps: Dict[str, Sanic] = {}  # the app Rasa runs in

        @webhook.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            apps["app"] = app

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        # Every handler takes missing or extra arguments: a client may send any event with no data
        # or several arguments ("connect" too), and a TypeError there would escape as a task error.
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Any = None, auth: Any = None, *_: Any) -> bool:
            addresses[sid] = client_address(environ)
            return self.token_allows(auth)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            confirmed.pop(sid, None)
            addresses.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            session_id, token = sid, None
            if self.session_persistence:
                claimed = await self.claim_session(sid, data if isinstance(data, dict) else {})
                if claimed is None:
                    return
                session_id, token = claimed
                previous = confirmed.get(sid)
                if previous and previous not in (session_id, sid):  # never the socket's own room
                    await maybe_await(sio.leave_room(sid, previous, namespace=self.namespace))
                await maybe_await(sio.enter_room(sid, session_id, namespace=self.namespace))
            confirmed[sid] = session_id
            reply = {"session_id": session_id, "session": token}
            await sio.emit("session_confirm", reply, room=sid, namespace=self.namespace)
            await self.session_confirmed(session_id, apps.get("app"))

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def user_message(sid: str, data: Any = None, *_: Any) -> None:
            sender_id = confirmed.get(sid) if self.session_persistence else sid
            message = SocketMessage(sid, sender_id, addresses.get(sid, "unknown"), data, apps.get("app"))
            await self.handle_message(message, on_new_message)

        return webhook
