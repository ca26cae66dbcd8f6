"""The Socket.IO channel for the portal web widget, with session persistence that works.

Registered in ``credentials.yml`` as ``connectors.socketio.SocketIOInput`` (same settings as the
stock ``socketio`` entry); it keeps the name ``socketio``, the path ``/socket.io`` and the events.

Stock Rasa 3.6 calls ``sio.enter_room(...)`` without ``await``. Since python-socketio 5.10 that
method is a coroutine, so with ``session_persistence: true`` the socket never joins its session's
room and every bot reply, addressed to that room, is lost (RasaHQ/rasa#13027). This channel
awaits it, and also:

- accepts only session ids that are long random tokens: the id is the conversation's sender id
  and the room its replies go to, so a short or guessable one is replaced by a fresh one;
- applies the same input hygiene as the REST webhook (empty, over-long, odd messages);
- answers with a Chinese apology instead of silence when a turn fails.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.channels.socketio import SocketIOInput as StockSocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from connectors.common import BUSY_REPLY, EMPTY_REPLY, clean_text, too_deep

logger = logging.getLogger(__name__)

# A session id is a bearer token for the conversation (whoever knows it receives its replies),
# so it must be unguessable: the widget sends 32 hex digits (uuid4).
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")


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


class SocketIOInput(StockSocketIOInput):
    """Rasa's socket.io channel with the fixes described in the module docstring."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Attach a Socket.IO server at ``socketio_path`` and a health route at ``/webhooks/socketio/``."""
        # Same CORS choice as stock Rasa: python-socketio's own origin check is off and
        # Rasa's --cors setting governs the HTTP routes.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # used by get_output_channel for messages Rasa sends on its own

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        # Every handler takes missing or extra arguments: a client may send any event with no data or
        # several arguments ("connect" too), and a TypeError there would escape as a task error.
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Any = None, auth: Optional[Dict] = None, *_: Any) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            from rasa.core.channels.channel import decode_bearer_token

            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = valid_session_id(requested) or uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(entered):  # a coroutine since python-socketio 5.10
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None, *_: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                sender_id = valid_session_id(data.get("session_id"))
                if sender_id is None:
                    logger.warning("socket.io message without a valid session_id ignored; send session_request first")
                    return
            else:
                sender_id = sid
            output = SocketIOOutput(sio, self.bot_message_evt)
            message = clean_text(data.get("message"))
            if message.empty:
                await output.send_text_message(sender_id, EMPTY_REPLY)
                return
            if message.note:
                await output.send_text_message(sender_id, message.note)
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict) or too_deep(metadata):
                metadata = {}
            user_message = UserMessage(
                message.text, output, sender_id, input_channel=self.name(), metadata=metadata
            )
            try:
                await on_new_message(user_message)
            except Exception:  # noqa: BLE001 - the citizen gets an apology, the log the traceback
                logger.exception("socket.io turn failed")
                await output.send_text_message(sender_id, BUSY_REPLY)

        return socketio_webhook
