"""The Socket.IO channel for the portal web widget, with session persistence that works.

Registered in ``credentials.yml`` as ``connectors.socketio.SocketIOInput`` (same settings as the
stock ``socketio`` entry); it keeps the name ``socketio``, the path ``/socket.io`` and the events.

Stock Rasa 3.6 calls ``sio.enter_room(...)`` without ``await``. Since python-socketio 5.10 that
method is a coroutine, so with ``session_persistence: true`` the socket never joins its session's
room and every bot reply, addressed to that room, is lost (RasaHQ/rasa#13027). The fork of Rasa's
blueprint that awaits it lives behind the door (:class:`overrides.socketio.SocketIOFork`); this
channel decides what the fork leaves to it:

- holds a session by a server-issued token (:mod:`govservice.identity.channel_sessions`):
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
import logging
import re
import uuid
from typing import Any, Dict, Optional, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOOutput

from connectors.common import (
    BUSY_REPLY,
    EMPTY_REPLY,
    clean_text,
    client_metadata,
    paused_after_turn,
    show_reminders,
)
from govservice.identity.channel_sessions import SessionCheck, admit
from overrides.socketio import OnNewMessage, SocketIOFork, SocketMessage

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
    # Handed over at once: a socket whose token is refused simply gets a fresh session.
    return await asyncio.to_thread(admit, NAME, session_id, token, True, True)


class SocketIOInput(SocketIOFork):
    """Rasa's socket.io channel with the fixes described in the module docstring."""

    async def claim_session(self, sid: str, data: Dict[str, Any]) -> Optional[Tuple[str, Optional[str]]]:
        """The session a ``session_request`` gets and its token: the one asked for, if its token fits.

        Returns None, after telling the socket, when the session store cannot be reached.
        """
        try:
            return await self._claim(data)
        except Exception:  # the database is down: no session, and the citizen is told
            logger.exception("socket.io session check failed")
            await self.say_to_socket(sid, BUSY_REPLY)
            return None

    async def session_confirmed(self, session_id: str, app: Any) -> None:
        """The widget opened on a conversation: its unshown expiry reminders are shown at once."""
        if app is not None:
            await show_reminders(app, self.name(), session_id, SocketIOOutput(self.sio, self.bot_message_evt))

    async def handle_message(self, message: SocketMessage, on_new_message: OnNewMessage) -> None:
        """Check the event, run the turn, and answer bad input, failures and paused conversations."""
        data, sender_id = message.data, message.sender_id
        if not isinstance(data, dict):
            await self.say_to_socket(message.sid, BAD_EVENT_REPLY)
            return
        if sender_id is None or (self.session_persistence and data.get("session_id") != sender_id):
            await self.say_to_socket(message.sid, NO_SESSION_REPLY)
            return
        output = SocketIOOutput(self.sio, self.bot_message_evt)
        text = clean_text(data.get("message"))
        if text.empty:
            await output.send_text_message(sender_id, EMPTY_REPLY)
            return
        if text.note:
            await output.send_text_message(sender_id, text.note)
        metadata = client_metadata(data.get(self.metadata_key), f"{NAME}:{message.address}")
        user_message = UserMessage(text.text, output, sender_id, input_channel=self.name(), metadata=metadata)
        try:
            await on_new_message(user_message)
            paused = await paused_after_turn(message.app, sender_id)
        except Exception:  # noqa: BLE001 - the citizen gets an apology, the log the traceback
            logger.exception("socket.io turn failed")
            await output.send_text_message(sender_id, BUSY_REPLY)
            return
        if paused is not None and paused.notice:  # agents' words reach the socket on their own
            await output.send_text_message(sender_id, paused.notice)
        elif paused is None:
            await show_reminders(message.app, self.name(), sender_id, output)

    async def _claim(self, data: Dict[str, Any]) -> tuple[str, Optional[str]]:
        """The session a ``session_request`` asks for and its token, if the token fits; else a fresh one."""
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
