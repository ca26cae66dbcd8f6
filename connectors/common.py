"""Input hygiene shared by every channel: empty, over-long and odd messages."""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", "500"))
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
    text = text.replace("\x00", "").strip()
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


MAX_JSON_DEPTH = 32


def too_deep(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether lists and objects in ``value`` nest more than ``limit`` levels.

    Rasa serialises message metadata into the tracker recursively: a few hundred levels hit
    Python's recursion limit there, and the conversation silently falls back to memory.
    """
    level = [value]
    for _ in range(limit):
        level = [child for item in level if isinstance(item, (list, dict))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return any(isinstance(item, (list, dict)) for item in level)
