"""Input hygiene shared by the channels: odd messages, client metadata, CORS origins, paused conversations."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

from sanic.request import Request

from govservice import settings
from govservice.notifications import reminders

logger = logging.getLogger(__name__)
LISTEN_ACTION = "action_listen"

MAX_MESSAGE_CHARS = settings.current().max_message_chars
MAX_SENDER_CHARS = 128

EMPTY_REPLY = "您好像还没有输入内容。请告诉我您想办理或咨询的事项，例如“身份证丢了怎么补办”。"
BUSY_REPLY = "抱歉，系统暂时繁忙，没能处理您的消息，请稍后再发一次。如急需办理，请拨打12345政务服务便民热线。"


def truncated_note(length: int) -> str:
    """Tell the citizen that only the start of a long message was read."""
    return f"（您的消息共{length}字，较长，我只读取了前{MAX_MESSAGE_CHARS}字。请尽量一次只问一个问题。）"


@dataclass
class CleanMessage:
    """A user message ready for the bot, and a note for the citizen if it was changed."""

    text: str
    note: str | None = None

    @property
    def empty(self) -> bool:
        """True when there is nothing to send to the bot."""
        return not self.text


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(raw: object) -> CleanMessage:
    """Normalise a channel's message text.

    Over-long messages are cut so that one paste cannot hold the CPU for every other
    conversation; the citizen is told.

    Args:
        raw: whatever the channel delivered as the message text.

    Returns:
        The text to process, possibly empty, with an optional note.
    """
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    # A lone surrogate (escaped in JSON) is no character: it cannot be encoded as UTF-8 for the
    # tracker store or the text tools behind the actions (found by the server fuzz).
    text = _SURROGATES.sub("", text.replace("\x00", "")).strip()
    if len(text) > MAX_MESSAGE_CHARS:
        return CleanMessage(text[:MAX_MESSAGE_CHARS], truncated_note(len(text)))
    return CleanMessage(text)


def clean_sender(raw: object) -> str | None:
    """Return a usable sender id, or None when the channel gave none.

    Only printable text: a lone surrogate (U+D800 to U+DFFF, escaped in JSON) cannot be encoded for the tracker
    store, whose error handler then stops the whole Rasa server (found by the channel fuzz).
    """
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    sender = str(raw).strip()
    return sender if 0 < len(sender) <= MAX_SENDER_CHARS and sender.isprintable() else None


# --- what a REST or socket.io client may send besides its text (issue 12, items 5 and 13) -----

MAX_JSON_DEPTH = 16
"""Deeper request bodies are refused: Python's JSON and the tracker store recurse on them."""
NESTED_REPLY = "请求内容嵌套层数过多，无法处理。请只发送 sender、message 和 session 等简单字段。"
CLIENT_METADATA_KEYS = ("location",)
"""The only metadata a web client may send: a position for "最近的办事大厅" (bot/actions/halls.py).
Anything else, an ``attachment`` URL above all, is dropped: only a channel produces attachments."""


def json_depth(value: object) -> int:
    """How deeply ``value`` nests lists and dicts (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:  # enough to refuse; no need to walk a huge body
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _location(raw: object) -> Optional[Dict[str, float]]:
    if not isinstance(raw, dict):
        return None
    try:
        lat, lon = float(raw["latitude"]), float(raw["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return {"latitude": lat, "longitude": lon} if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def client_metadata(raw: object, source: str) -> Dict[str, Any]:
    """The metadata a message from a web client carries on: the whitelist, checked, and ``source``.

    Args:
        raw: the metadata the client sent (anything).
        source: who the channel saw, e.g. ``rest:203.0.113.5``; set here, never taken from ``raw``.
    """
    metadata: Dict[str, Any] = {"source": source}
    location = _location(raw.get("location")) if isinstance(raw, dict) else None
    if location is not None:
        metadata["location"] = location
    return metadata


def client_address(request: Request) -> str:
    """The client's address as Sanic sees it (forwarded headers only behind a configured proxy)."""
    return str(request.remote_addr or request.ip or "unknown")


def allowed_origins() -> List[str]:
    """Origins whose pages may call the Rasa server from a browser: ``ALLOWED_ORIGINS``, else the portal's.

    ``ALLOWED_ORIGINS`` is a space- or comma-separated list such as
    ``https://www.example.gov.cn https://m.example.gov.cn`` (an entry with regex characters is a
    pattern, as Sanic-CORS reads it; scripts/test.sh allows any local port). ``*`` is refused:
    Rasa answers with credentials allowed, so any site could then read the replies.
    """
    configured = settings.current()
    origins = [o.rstrip("/") for o in configured.allowed_origins.replace(",", " ").split() if o and o != "*"]
    port = configured.portal_port
    return origins or [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]



# --- a conversation paused for a human agent (issue 12, item 2) ----------------------------

PAUSED_REPLY = "已转人工，请稍候。您的消息已转给人工客服，客服会在这里回复您。"
AGENT_KEY = "handoff_agent"  # marks an agent's words in the tracker (staff/console/rasa_client.py)


@dataclass
class PausedTurn:
    """What a citizen sees after a message to a paused conversation.

    Attributes:
        notice: :data:`PAUSED_REPLY` for the first message since the pause when no agent has
            spoken yet; None after that, so it is said once.
        agent_texts: what agents wrote since the citizen's previous message (REST cannot push).
    """

    notice: Optional[str] = None
    agent_texts: List[str] = field(default_factory=list)


def paused_turn(events: Sequence[Mapping[str, Any]]) -> Optional[PausedTurn]:
    """Read a tracker's events (as dicts) after a message; None when the bot is not paused.

    Args:
        events: the conversation's events, oldest first, the citizen's message last among users.
    """
    pauses = [i for i, e in enumerate(events) if e.get("event") in ("pause", "resume")]
    if not pauses or events[pauses[-1]].get("event") != "pause":
        return None
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    latest = users[-1] if users else len(events)
    if latest < pauses[-1]:  # this very message asked for a person: the bot has answered it
        return PausedTurn()
    previous = users[-2] if len(users) > 1 else -1
    since_pause = events[pauses[-1] + 1 : latest]
    first = not any(e.get("event") in ("user", "bot") for e in since_pause)
    agent_texts = [
        str(e.get("text") or "")
        for e in events[previous + 1 : latest]
        if e.get("event") == "bot" and (e.get("metadata") or {}).get(AGENT_KEY) and e.get("text")
    ]
    return PausedTurn(PAUSED_REPLY if first else None, agent_texts)


async def paused_after_turn(app: Any, sender: str) -> Optional[PausedTurn]:
    """:func:`paused_turn` of ``sender``'s stored conversation; None when not paused or unknown.

    Args:
        app: the Sanic app Rasa runs the channel in (its ``ctx.agent`` has the tracker store).
        sender: the conversation id.
    """
    store = getattr(getattr(getattr(app, "ctx", None), "agent", None), "tracker_store", None)
    if store is None:
        return None
    tracker = await store.retrieve(sender)
    if tracker is None or not tracker.is_paused():
        return None
    return paused_turn([event.as_dict() for event in tracker.events])


async def show_reminders(app: Any, channel: str, sender: str, output: Any) -> None:
    """After a turn, show the conversation's unshown expiry reminders (the widget cannot be reached unasked).

    Runs the bot's own action (:data:`govservice.notifications.reminders.SHOW_REMINDERS_ACTION`)
    through the agent, under the conversation's lock, so the reminder and its renewal button are part
    of the conversation.
    Never raises: a failure leaves the reminder for the next turn.
    """
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None:
        return
    try:
        if not await asyncio.to_thread(reminders.has_unshown, channel, sender):
            return
        async with agent.lock_store.lock(sender):
            # Then listen, as after any turn: the next message's rules expect action_listen before it.
            for action in (reminders.SHOW_REMINDERS_ACTION, LISTEN_ACTION):
                await agent.execute_action(sender, action, output, None, None)
    except Exception:  # noqa: BLE001 - the citizen's reply went out; the reminder waits for the next turn
        logger.exception("showing expiry reminders failed")


def main() -> None:
    """Print the allowed origins for ``rasa run --cors`` (scripts/run.sh)."""
    print(" ".join(allowed_origins()))


if __name__ == "__main__":
    main()
