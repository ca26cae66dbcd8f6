"""The REST webhook, hardened: bad JSON is a 4xx, odd messages get a Chinese reply.

Registered in ``credentials.yml`` as ``connectors.rest.RestInput``; it keeps the name
``rest`` so the URL stays ``/webhooks/rest/webhook``. Stock Rasa answers 500 to a
body of ``[]`` or ``null`` and silence when a turn fails. Besides:

- a conversation is held by a server-issued token (:mod:`govservice.identity.channel_sessions`): every
  reply message carries it as ``session``, and every later message of the ``sender`` must send it
  back, so a client-chosen sender id alone never reaches someone else's login;
- client metadata is dropped except a whitelist (:func:`connectors.common.client_metadata`), and
  the channel sets ``metadata["source"]`` to ``rest:<client address>`` for the login limits;
- a conversation paused for a human agent answers "已转人工，请稍候" once, then the agents' words.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.common import (
    BUSY_REPLY,
    EMPTY_REPLY,
    MAX_JSON_DEPTH,
    NESTED_REPLY,
    clean_sender,
    clean_text,
    client_address,
    client_metadata,
    json_depth,
    paused_after_turn,
    show_reminders,
)
from govservice.identity import channel_sessions

logger = logging.getLogger(__name__)
NAME = "rest"


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _reply(sender: str, text: str) -> Dict[str, Any]:
    return {"recipient_id": sender, "text": text}


async def _hand_over(sender: str, token: str) -> None:
    """Mark the new token handed over; if the database is down, the reply still goes out."""
    try:
        await asyncio.to_thread(channel_sessions.hand_over, NAME, sender, token)
    except Exception:  # noqa: BLE001 - the reply matters more; a later message with the token confirms it
        logger.exception("REST token hand-over not recorded")


def parse_body(raw: bytes) -> Any:
    """The JSON body, or a ``(status, Chinese message)`` pair saying why it is refused."""
    try:
        body = json.loads(raw or b"")
    except RecursionError:  # nested past Python's own limit
        return 400, NESTED_REPLY
    except (ValueError, UnicodeDecodeError):
        return 400, "请求体不是合法的 JSON。"
    if json_depth(body) > MAX_JSON_DEPTH:
        return 400, NESTED_REPLY
    if not isinstance(body, dict):
        return 400, '请求体必须是 JSON 对象，例如 {"sender": "u1", "message": "你好"}。'
    return body


class RestInput(InputChannel):
    """``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ..., "session": ...}``."""

    @classmethod
    def name(cls) -> str:
        """Keep the stock channel's name and URL."""
        return NAME

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: a health check and the webhook."""
        webhook = Blueprint("hardened_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = parse_body(request.body)
            if isinstance(body, tuple):
                return _error(*body)
            sender = clean_sender(body.get("sender"))
            if sender is None:
                return _error(400, "缺少 sender（会话标识），或格式不正确。")
            try:
                admitted = await asyncio.to_thread(channel_sessions.admit, NAME, sender, body.get("session"))
            except Exception:  # the database is down: the channel's normal shape, never a 5xx
                logger.exception("REST session check failed")
                return response.json([_reply(sender, BUSY_REPLY)])
            if not admitted.ok:
                return _error(403, channel_sessions.REFUSED_TEXT)
            message = clean_text(body.get("message"))
            if message.empty:
                replies = [_reply(sender, EMPTY_REPLY)]
            else:
                metadata = client_metadata(body.get("metadata"), f"{NAME}:{client_address(request)}")
                replies = await self._run_turn(request, on_new_message, sender, message.text, metadata)
                if message.note:
                    replies.append(_reply(sender, message.note))
            if admitted.status == channel_sessions.ISSUED and admitted.token is not None:
                await _hand_over(sender, admitted.token)
            return response.json([{**reply, "session": admitted.token} for reply in replies])

        return webhook

    async def _run_turn(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        metadata: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        collector = CollectingOutputChannel()
        try:
            await on_new_message(
                UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            )
        except Exception:  # never a 500 or silence for the citizen; the log has the details
            logger.exception("REST turn failed for a message of %d characters", len(text))
            return [_reply(sender, BUSY_REPLY)]
        if collector.messages:
            await show_reminders(request.app, self.name(), sender, collector)
            return collector.messages
        try:
            paused = await paused_after_turn(request.app, sender)
        except Exception:  # the tracker store failed: the busy reply below is still honest
            logger.exception("reading the paused conversation failed")
            paused = None
        if paused is None:
            return [_reply(sender, BUSY_REPLY)]
        # Paused for an agent: Rasa stored the message for the agent and predicted nothing.
        texts = paused.agent_texts + ([paused.notice] if paused.notice else [])
        return [_reply(sender, text) for text in texts]
