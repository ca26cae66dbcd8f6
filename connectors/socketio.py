"""The Socket.IO channel for the portal web widget, with session persistence that works.

Registered in ``credentials.yml`` as ``connectors.socketio.SocketIOInput`` (same settings as the
stock ``socketio`` entry); it keeps the name ``socketio``, the path ``/socket.io`` and the events.

Stock Rasa 3.6 calls ``sio.enter_room(...)`` without ``await``. Since python-socketio 5.10 that
method is a coroutine, so with ``session_persistence: true`` the socket never joins its session's
room and every bot reply, addressed to that room, is lost (RasaHQ/rasa#13027). This channel
awaits it, and also:

- holds a session by a server-issued token (:mod:`govservice.channel_sessions`):
  ``session_request {session_id, session}`` joins a live session only with its token, else the
  socket gets a fresh session; ``session_confirm`` answers ``{session_id, session}``; a socket
  may send only for the session it was confirmed for, so no other socket can join or speak in it;
- accepts only session ids that are long random tokens (a weak one is replaced by a fresh one);
- drops client metadata except a whitelist and sets ``metadata["source"]`` to ``socketio:<ip>``;
- applies the same input hygiene as the REST webhook (empty, over-long, odd messages), answers
  an event without usable data with a Chinese error, and a failed turn with an apology;
- says "已转人工，请稍候" once to a conversation paused for a human agent.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.channels.socketio import SocketIOInput as StockSocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from connectors.common import BUSY_REPLY, EMPTY_REPLY, clean_text, client_metadata, paused_after_turn
from connectors.rest import admit
from govservice.channel_sessions import SessionCheck

logger = logging.getLogger(__name__)
NAME = "socketio"

# The session id is the conversation's sender id and the room its replies go to: the widget
# sends 32 hex digits (uuid4); the token, not the id, proves the socket may use it.
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
NO_SESSION_REPLY = "会话尚未建立或已失效，请刷新页面后重试。"
BAD_EVENT_REPLY = '消息格式不正确，请发送 {"message": "您的问题", "session_id": "会话标识"}。'


def valid_session_id(raw: object) -> Optional[str]:
    """Return ``raw`` when it is an acceptable session id, else None.

    Args:
        raw: the ``session_id`` a client sent.

    Returns:
        The id, or None when it is missing, not a string, too short or has odd characters.
    """
    if isinstance(raw, str) and SESSION_ID_PATTERN.fullmatch(raw):
        return raw
    return None


async def _admit(session_id: str, token: object) -> SessionCheck:
    return await asyncio.to_thread(admit, NAME, session_id, token)


class SocketIOInput(StockSocketIOInput):
    """Rasa's socket.io channel with the fixes described in the module docstring."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Attach a Socket.IO server at ``socketio_path`` and a health route at ``/webhooks/socketio/``."""
        # python-socketio's own origin check is off, as in stock Rasa: Rasa's --cors setting
        # (an allow-list, scripts/run.sh) governs the HTTP routes, and a socket proves its
        # session with a token, never with a cookie.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # used by get_output_channel for messages Rasa sends on its own
        confirmed: Dict[str, str] = {}  # socket id -> the session it was confirmed for
        addresses: Dict[str, str] = {}  # socket id -> client address, for metadata["source"]
        apps: Dict[str, Sanic] = {}  # the app Rasa runs in, for its tracker store

        @socketio_webhook.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            apps["app"] = app

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def say_to_socket(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=self.namespace)

        @sio.on("connect", namespace=self.namespace)
        # Every handler takes missing or extra arguments: a client may send any event with no data or
        # several arguments ("connect" too), and a TypeError there would escape as a task error.
        async def connect(sid: str, environ: Any = None, auth: Optional[Dict] = None, *_: Any) -> bool:
            request = environ.get("sanic.request") if isinstance(environ, dict) else None
            addresses[sid] = str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "unknown")
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            from rasa.core.channels.channel import decode_bearer_token

            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            confirmed.pop(sid, None)
            addresses.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id, token = sid, None
            if self.session_persistence:
                try:
                    session_id, token = await self._claim(data)
                except Exception:  # the database is down: no session, and the citizen is told
                    logger.exception("socket.io session check failed")
                    await say_to_socket(sid, BUSY_REPLY)
                    return
                previous = confirmed.get(sid)
                if previous and previous != session_id:
                    await _maybe_await(sio.leave_room(sid, previous, namespace=self.namespace))
                await _maybe_await(sio.enter_room(sid, session_id, namespace=self.namespace))
            confirmed[sid] = session_id
            reply = {"session_id": session_id, "session": token}
            await sio.emit("session_confirm", reply, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None, *_: Any) -> None:
            if not isinstance(data, dict):
                await say_to_socket(sid, BAD_EVENT_REPLY)
                return
            sender_id = confirmed.get(sid) if self.session_persistence else sid
            if sender_id is None or (self.session_persistence and data.get("session_id") != sender_id):
                await say_to_socket(sid, NO_SESSION_REPLY)
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            message = clean_text(data.get("message"))
            if message.empty:
                await output.send_text_message(sender_id, EMPTY_REPLY)
                return
            if message.note:
                await output.send_text_message(sender_id, message.note)
            metadata = client_metadata(data.get(self.metadata_key), f"{NAME}:{addresses.get(sid, 'unknown')}")
            user_message = UserMessage(
                message.text, output, sender_id, input_channel=self.name(), metadata=metadata
            )
            try:
                await on_new_message(user_message)
                paused = await paused_after_turn(apps.get("app"), sender_id)
            except Exception:  # noqa: BLE001 - the citizen gets an apology, the log the traceback
                logger.exception("socket.io turn failed")
                await output.send_text_message(sender_id, BUSY_REPLY)
                return
            if paused is not None and paused.notice:  # agents' words reach the socket on their own
                await output.send_text_message(sender_id, paused.notice)

        return socketio_webhook

    async def _claim(self, data: Dict[str, Any]) -> tuple[str, Optional[str]]:
        """The session a ``session_request`` gets and its token: the one asked for, if its token fits."""
        requested = valid_session_id(data.get("session_id"))
        if requested is not None:
            check = await _admit(requested, data.get("session"))
            if check.ok:
                return requested, check.token
        while True:  # a fresh id is new to the store, so it is issued at once
            fresh = uuid.uuid4().hex
            check = await _admit(fresh, None)
            if check.ok:
                return fresh, check.token


async def _maybe_await(result: Any) -> None:
    """Await what python-socketio returns when it is a coroutine (it is since 5.10)."""
    if inspect.isawaitable(result):
        await result
