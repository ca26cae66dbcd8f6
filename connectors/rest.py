"""The REST webhook, hardened: bad JSON is a 4xx, odd messages get a Chinese reply.

Registered in ``credentials.yml`` as ``connectors.rest.RestInput``; it keeps the name
``rest`` so the URL stays ``/webhooks/rest/webhook``. Stock Rasa answers 500 to a
body of ``[]`` or ``null`` and silence when a turn fails.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.common import BUSY_REPLY, EMPTY_REPLY, MAX_JSON_DEPTH, clean_sender, clean_text, too_deep

logger = logging.getLogger(__name__)


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _reply(sender: str, text: str) -> Dict[str, Any]:
    return {"recipient_id": sender, "text": text}


class RestInput(InputChannel):
    """``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ...}``."""

    @classmethod
    def name(cls) -> str:
        """Keep the stock channel's name and URL."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: a health check and the webhook."""
        webhook = Blueprint("hardened_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
                return _error(400, "请求体不是合法的 JSON。")
            if not isinstance(body, dict):
                return _error(400, '请求体必须是 JSON 对象，例如 {"sender": "u1", "message": "你好"}。')
            if too_deep(body):
                return _error(400, f"请求体嵌套层数过多（最多{MAX_JSON_DEPTH}层）。")
            sender = clean_sender(body.get("sender"))
            if sender is None:
                return _error(400, "缺少 sender（会话标识），或格式不正确。")
            message = clean_text(body.get("message"))
            if message.empty:
                return response.json([_reply(sender, EMPTY_REPLY)])
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            replies = await self._run_turn(on_new_message, sender, message.text, metadata)
            if message.note:
                replies.append(_reply(sender, message.note))
            return response.json(replies)

        return webhook

    async def _run_turn(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        metadata: Any,
    ) -> List[Dict[str, Any]]:
        collector = CollectingOutputChannel()
        try:
            await on_new_message(
                UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            )
        except Exception:  # never a 500 or silence for the citizen; the log has the details
            logger.exception("REST turn failed for a message of %d characters", len(text))
        return collector.messages or [_reply(sender, BUSY_REPLY)]
