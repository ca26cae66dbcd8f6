"""Conversation events for analytics: what happened in a conversation, never what was said.

Rasa's event broker publishes every event of every conversation (already redacted by
``bot.tracker_store.RedactingTrackerStore``); :mod:`govservice.events` consumes them and keeps
one row per event here. A row holds the event type, the intent or action name, the time, the
channel, the catalog key of the service item asked about (the ``service_item`` slot, which only
actions set, from the catalog) and the conversation only as a keyed hash of its sender id: no text,
no other slot value, no entity, nothing a person typed, so the table is not personal data about any
citizen. The embedded profile's SQL event broker reaches the same rows through
:mod:`govservice.analytics.feeder`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from typing import Any, Dict, Iterable, Mapping, Optional

from sqlalchemy import Column, DateTime, Index, Integer, String
from sqlalchemy.orm import Session

from govservice.db import insert_new
from govservice.orm import Base
from govservice.settings.secrets import keyed_hash

NAME_CHARS = 100
CHANNEL_CHARS = 32
# Events whose name is a domain name (an intent, an action, a form, a slot); others keep none.
_NAME_KEYS = {"user": None, "action": "name", "active_loop": "name", "slot": "name"}
ITEM_SLOT = "service_item"
"""The slot whose value (a catalog item key) is kept: what the dashboard counts as the item asked about."""
ITEM_KEY_CHARS = 60
# A catalog key's shape: anything else in the slot is not kept, whatever set it.
_ITEM_KEY = re.compile(rf"[A-Za-z0-9_.-]{{1,{ITEM_KEY_CHARS}}}")


class ConversationEvent(Base):
    """One event of a conversation, without its content."""

    __tablename__ = "conversation_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # SHA-256 of the message as published: a message RabbitMQ delivers twice is stored once.
    digest = Column(String(64), unique=True, nullable=False)
    sender_hash = Column(String(64), nullable=False, index=True)
    event_type = Column(String(32), nullable=False, index=True)
    name = Column(String(NAME_CHARS))
    channel = Column(String(CHANNEL_CHARS))
    occurred_at = Column(DateTime, nullable=False, index=True)
    item_key = Column(String(ITEM_KEY_CHARS))  # revision 0008_analytics

    # The dashboard's queries (govservice/analytics) select one event type within a date range and
    # read only these columns: from this index alone, never the table (a tenth of the time at
    # 10,000 conversations, bench section 14).
    __table_args__ = (
        Index("ix_conversation_events_type_time", "event_type", "occurred_at", "sender_hash", "name", "channel",
              "item_key"),
    )


def sender_hash(sender_id: str) -> str:
    """The conversation's keyed hash: events of one conversation group together, the id stays unknown."""
    return keyed_hash("conversation_event", sender_id)


def _name(event: Mapping[str, Any]) -> Optional[str]:
    kind = event.get("event")
    if kind == "user":
        intent = event.get("parse_data", {}).get("intent") if isinstance(event.get("parse_data"), dict) else None
        name = intent.get("name") if isinstance(intent, dict) else None
    else:
        key = _NAME_KEYS.get(str(kind))
        name = event.get(key) if key else None
    return name[:NAME_CHARS] if isinstance(name, str) else None


def _item_key(event: Mapping[str, Any]) -> Optional[str]:
    """The catalog key a ``service_item`` slot event sets, else None."""
    if event.get("event") != "slot" or event.get("name") != ITEM_SLOT:
        return None
    value = event.get("value")
    return value if isinstance(value, str) and _ITEM_KEY.fullmatch(value) else None


def _occurred_at(timestamp: Any) -> datetime.datetime:
    """UTC, naive (as every time the back office stores); now when the event has no usable time."""
    try:
        moment = datetime.datetime.fromtimestamp(float(timestamp), tz=datetime.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.replace(tzinfo=None)


def event_row(body: bytes) -> Optional[Dict[str, Any]]:
    """The row for one published message, or None when it is no conversation event.

    Args:
        body: the message as Rasa's Pika broker published it (a JSON event with ``sender_id``).
    """
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("sender_id"), str) or not event.get("event"):
        return None
    channel = event.get("input_channel") if event.get("event") == "user" else None
    return {
        "digest": hashlib.sha256(body).hexdigest(),
        "sender_hash": sender_hash(event["sender_id"]),
        "event_type": str(event["event"])[:32],
        "name": _name(event),
        "channel": channel[:CHANNEL_CHARS] if isinstance(channel, str) else None,
        "occurred_at": _occurred_at(event.get("timestamp")),
        "item_key": _item_key(event),
    }


def record_many(session: Session, bodies: Iterable[bytes]) -> None:
    """Store many published messages in one statement; one delivered again is kept once.

    One ``INSERT ... ON CONFLICT (digest) DO NOTHING`` instead of a savepoint and an insert per
    event: the consumer spent 21 ms of CPU per conversation turn storing events one by one (bench
    section 13), a third of the whole stack's.
    """
    rows = {row["digest"]: row for row in map(event_row, bodies) if row is not None}
    insert_new(session, ConversationEvent.__table__, list(rows.values()), ["digest"])
