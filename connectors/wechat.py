"""The WeChat official-account (公众号) channel: ``/webhooks/wechat/webhook``.

Registered in ``credentials.yml`` as ``connectors.wechat.WeChatInput``; settings come from
environment variables (``docs/wechat.md``). WeChat waits 5 s for a passive reply and retries a
message up to three times with the same MsgId, so each message is claimed once in the dedup
store, its turn runs in the background, and the answer goes out exactly once: passively when
the turn ends within the budget, else through the customer-service API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Set

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import wechat_protocol as proto
from connectors.common import BUSY_REPLY, EMPTY_REPLY, clean_sender, clean_text, paused_after_turn
from connectors.uploads import wechat_upload
from connectors.wechat_delivery import (
    EVENT_WINDOW_S,
    MESSAGE_WINDOW_S,
    WeChatSender,
    get_sender,
    run_api,
)
from connectors.wechat_output import WeChatCollector, WeChatServiceOutput
from connectors.wechat_settings import WeChatSettings

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class Forbidden(Exception):
    """The request is not authenticated as coming from WeChat."""


class _PendingTurn:
    """A turn in progress; the requests for its message wait on it.

    Exactly one of them, or else the customer-service API, takes the answer (``taken``).
    """

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.done = asyncio.Event()
        self.parts: List[str] = []
        self.waiters = 0
        self.taken = False


class WeChatInput(InputChannel):
    """WeChat official-account webhook: GET verification, POST messages (plain or AES mode)."""

    @classmethod
    def name(cls) -> str:
        """Mounted at ``/webhooks/wechat/``."""
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Settings from the environment; credentials.yml may set ``menu`` and ``passive_budget``."""
        return cls(WeChatSettings.from_env(credentials))

    def __init__(self, settings: WeChatSettings, sender: Optional[WeChatSender] = None) -> None:
        self.settings = settings
        self.sender = sender if sender is not None else get_sender()
        self.store = self.sender.store  # dedup, choices and windows live where the sender looks for windows
        self._pending: Dict[str, _PendingTurn] = {}
        self._tasks: Set[asyncio.Task] = set()  # strong references, or asyncio may drop running turns
        self._app: Any = None  # the Sanic app Rasa runs in (its tracker store), known at the first request
        if not self.sender.configured:
            logger.warning("WECHAT_APPID/WECHAT_SECRET not set: slow answers cannot be delivered later")

    def get_output_channel(self) -> OutputChannel:
        """For messages Rasa sends outside a webhook request (reminders, ``trigger_intent``): customer service."""
        return WeChatServiceOutput(self._deliver)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Routes: a health check, URL verification (GET) and messages (POST)."""
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            echo = self._verify_url(request.args)
            return response.text(echo) if echo is not None else response.text("forbidden", status=403)

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                return await self._receive(request, on_new_message)
            except Exception:  # WeChat must never see a 500 or a stack trace
                logger.exception("WeChat request failed")
                return response.text("success")

        return webhook

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Size limit, authentication and parsing (4xx on failure), then the answer."""
        started = time.monotonic()
        self._app = request.app
        body = await _read_limited(request, self.settings.max_body)
        if body is None:
            return response.text("payload too large", status=413)
        try:
            inbound = proto.to_inbound(self._open(request.args, body), self.settings.menu)
            if clean_sender(inbound.sender) is None:
                raise proto.InvalidMessage("FromUserName is not a usable sender id")
        except Forbidden:
            return response.text("forbidden", status=403)
        except proto.InvalidMessage as exc:
            return response.text(f"bad request: {exc}", status=400)
        try:
            reply = await self._answer(inbound, on_new_message, started)
        except Exception:  # the citizen gets the busy reply rather than WeChat's error page
            logger.exception("WeChat message handling failed")
            reply = BUSY_REPLY
        return self._passive(request.args.get("nonce", ""), inbound, reply)

    def _verify_url(self, args: Mapping[str, Any]) -> Optional[str]:
        """The echo for a valid verification request, else None."""
        s = self.settings
        echostr, timestamp, nonce = args.get("echostr", ""), args.get("timestamp", ""), args.get("nonce", "")
        if args.get("msg_signature") and s.safe_mode:  # the encrypted-echostr variant (WeChat Work style)
            if not proto.check_msg_signature(s.token, args.get("msg_signature", ""), timestamp, nonce, echostr):
                return None
            try:
                return proto.decrypt(s.aes_key, s.app_id, echostr)
            except proto.InvalidMessage:
                return None
        return echostr if proto.check_signature(s.token, args.get("signature", ""), timestamp, nonce) else None

    def _open(self, args: Mapping[str, Any], body: bytes) -> Dict[str, Any]:
        """Authenticate a POST and return its (decrypted) message fields."""
        s = self.settings
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if not proto.check_signature(s.token, args.get("signature", ""), timestamp, nonce):
            raise Forbidden()
        if not proto.is_fresh(timestamp, time.time(), s.max_age):
            raise Forbidden()
        encrypted = args.get("encrypt_type", "").lower() == "aes"
        if not s.safe_mode:
            if encrypted:
                raise proto.InvalidMessage("safe mode is not configured (WECHAT_AES_KEY)")
            return proto.parse_xml(body)
        if not encrypted:  # plain signatures do not cover the body: in safe mode only sealed bodies count
            raise Forbidden()
        ciphertext = proto.parse_xml(body).get("Encrypt")
        if not isinstance(ciphertext, str):
            raise proto.InvalidMessage("no Encrypt field")
        if not proto.check_msg_signature(s.token, args.get("msg_signature", ""), timestamp, nonce, ciphertext):
            raise Forbidden()
        return proto.parse_xml(proto.decrypt(s.aes_key, s.app_id, ciphertext))

    async def _answer(self, inbound: proto.Inbound, on_new_message: OnNewMessage, started: float) -> Optional[str]:
        """The passive reply text for a message, or None for "success" (nothing, or later)."""
        loop = asyncio.get_running_loop()
        is_new = await loop.run_in_executor(None, self._admit, inbound)
        if inbound.text is None:
            return inbound.reply
        message = clean_text(inbound.text)
        if message.empty:
            return EMPTY_REPLY
        if is_new:
            pending = self._pending[inbound.dedup_key] = _PendingTurn(inbound.sender)
            self._spawn(self._run_turn(inbound, message.text, message.note, pending, on_new_message))
        else:
            found = self._pending.get(inbound.dedup_key)
            if found is None:  # answered already, or the turn runs in another process
                return None
            pending = found
        return await self._wait(pending, self.settings.passive_budget - (time.monotonic() - started))

    def _admit(self, inbound: proto.Inbound) -> bool:
        """Open the customer-service window and claim the message; True the first time it is seen."""
        self.sender.open_window(inbound.sender, EVENT_WINDOW_S if inbound.is_event else MESSAGE_WINDOW_S)
        return self.store.claim(f"dedup:{inbound.dedup_key}", self.settings.dedup_ttl)

    async def _run_turn(
        self,
        inbound: proto.Inbound,
        text: str,
        note: Optional[str],
        pending: _PendingTurn,
        on_new_message: OnNewMessage,
    ) -> None:
        """Run one bot turn in the background and hand its answer to whoever delivers it."""
        try:
            texts = await self._turn_texts(inbound, text, on_new_message)
        except Exception:  # the citizen still gets an answer; the log has the details
            logger.exception("WeChat turn failed for a message of %d characters", len(text))
            texts = [BUSY_REPLY]
        # No texts: a paused conversation after its one notice; WeChat then gets "success".
        joined = "\n\n".join(texts + ([note] if note else []))
        pending.parts = proto.split_text(joined) or ([BUSY_REPLY] if joined.strip() else [])
        pending.done.set()
        self._pending.pop(inbound.dedup_key, None)
        self._settle(pending)

    async def _turn_texts(self, inbound: proto.Inbound, text: str, on_new_message: OnNewMessage) -> List[str]:
        """The bot's replies to one message; a reply "1" means the first of the last numbered choices."""
        loop = asyncio.get_running_loop()
        choices_key = f"choices:{inbound.sender}"
        stored = await loop.run_in_executor(None, self.store.get, choices_key)
        text = proto.pick_choice(text, json.loads(stored or "[]")) or text
        # The channel, never the client, says who sent it; a picture becomes an upload it fetched itself.
        metadata = {**inbound.metadata, "source": f"wechat:{inbound.sender}"}
        if "attachment" in metadata:
            upload = await wechat_upload(self.sender.client, inbound.sender, metadata.pop("attachment"))
            if upload.reply:
                return [upload.reply]
            text = str(upload.message)
        collector = WeChatCollector()
        message = UserMessage(text, collector, inbound.sender, input_channel="wechat", metadata=metadata)
        try:
            await on_new_message(message)
        except Exception:  # as in connectors/rest.py: a failed turn gets the busy reply, not silence
            logger.exception("Rasa failed on a WeChat message of %d characters", len(text))
        if collector.choices:
            ttl = self.settings.choices_ttl
            await loop.run_in_executor(None, self.store.put, choices_key, json.dumps(collector.choices), ttl)
        else:  # old numbers must not hijack a later "1" that answers something else
            await loop.run_in_executor(None, self.store.delete, choices_key)
        if collector.texts:
            return collector.texts
        return await self._paused_texts(inbound.sender)

    async def _paused_texts(self, openid: str) -> List[str]:
        """Rasa said nothing: paused for an agent (the notice once, issue 12 item 2), else busy.

        The agent's own words reach WeChat by customer-service messages from the console.
        """
        try:
            paused = await paused_after_turn(self._app, openid)
        except Exception:  # the tracker store failed: the busy reply is still honest
            logger.exception("reading the paused conversation failed")
            paused = None
        if paused is None:
            return [BUSY_REPLY]
        return [paused.notice] if paused.notice else []

    async def _wait(self, pending: _PendingTurn, timeout: float) -> Optional[str]:
        """Wait up to ``timeout`` for the turn; take its answer if nobody has."""
        pending.waiters += 1
        try:
            await asyncio.wait_for(pending.done.wait(), max(timeout, 0.0))
        except asyncio.TimeoutError:
            pass
        except asyncio.CancelledError:  # WeChat hung up: the answer must then go by customer service
            pending.waiters -= 1
            self._settle(pending)
            raise
        pending.waiters -= 1
        if not pending.done.is_set() or pending.taken:
            return None
        pending.taken = True
        if len(pending.parts) > 1:
            self._spawn(self._deliver(pending.sender, pending.parts[1:]))
        return pending.parts[0] if pending.parts else None

    def _settle(self, pending: _PendingTurn) -> None:
        """When a finished turn has nobody waiting for it, deliver it by customer service."""
        if pending.done.is_set() and pending.waiters == 0 and not pending.taken:
            pending.taken = True
            if pending.parts:
                self._spawn(self._deliver(pending.sender, pending.parts))

    async def _deliver(self, openid: str, parts: List[str]) -> None:
        result = await run_api(self.sender.send_texts, openid, parts)
        if not result.delivered:
            logger.warning("WeChat answer not delivered (%d of %d sent): %s", result.sent, len(parts), result.reason)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _passive(self, nonce: str, inbound: proto.Inbound, reply: Optional[str]) -> HTTPResponse:
        """The HTTP answer: a text reply (sealed in safe mode), or "success" for nothing now."""
        parts = proto.split_text(reply or "")
        if not parts:
            return response.text("success")
        now = int(time.time())
        xml = proto.text_reply_xml(inbound.sender, inbound.account, parts[0], now)
        s = self.settings
        if s.safe_mode:
            xml = proto.encrypted_reply(s.token, s.aes_key, s.app_id, xml, nonce, str(now))
        return response.text(xml, content_type="application/xml")


async def _read_limited(request: Request, limit: int) -> Optional[bytes]:
    """The body, or None as soon as it exceeds ``limit`` bytes (a 10 MB body is never buffered)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: List[bytes] = []
    size = 0
    while (chunk := await request.stream.read()) is not None:  # type: ignore[union-attr]
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
