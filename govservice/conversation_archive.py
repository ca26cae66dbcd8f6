"""Archived conversation history: the older part of long conversations, moved out of the tracker store.

The redacting tracker store keeps a bounded tracker per conversation (:mod:`bot.tracker_compaction`)
and writes the events it takes out here, already redacted, in the order they happened. The
history stays available where the law allows: to the citizen's data export
(:mod:`govservice.privacy.personal_data`) and to staff (the handoff transcript), and it is deleted with the
conversation (retention and "删除我的数据", :mod:`bot.conversation_retention`). Functions flush,
never commit.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, Iterable, List, Mapping, Optional

from sqlalchemy import Column, Float, Integer, String, Text
from sqlalchemy.orm import Session

from govservice.clock import office_text
from govservice.db import session_scope
from govservice.orm import Base

AGENT_KEY = "handoff_agent"
"""Marks an agent's words in a bot event's metadata (set by the staff console)."""
SPEAKERS = {"user": "citizen", "bot": "bot"}


class ArchivedEvent(Base):
    """One archived Rasa event of a conversation, as the tracker store held it (redacted JSON)."""

    __tablename__ = "conversation_archive"

    # The id orders a conversation's events: they are written in the order they happened.
    id = Column(Integer, primary_key=True, autoincrement=True)
    sender = Column(String(255), nullable=False, index=True)  # Rasa's conversation id
    type_name = Column(String(64), nullable=False)
    timestamp = Column(Float)
    data = Column(Text, nullable=False)


def append(session: Session, sender: str, events: Iterable[Mapping[str, Any]]) -> int:
    """Archive serialized ``events`` of ``sender`` after those already archived; how many."""
    rows = [
        ArchivedEvent(
            sender=sender,
            type_name=str(event.get("event")),
            timestamp=event.get("timestamp"),
            data=json.dumps(event, ensure_ascii=False),
        )
        for event in events
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def events_of(session: Session, sender: str) -> List[Dict[str, Any]]:
    """Every archived event of ``sender``, oldest first."""
    rows = session.query(ArchivedEvent.data).filter(ArchivedEvent.sender == sender).order_by(ArchivedEvent.id)
    return [json.loads(data) for (data,) in rows]


def archive(sender: str, events: Iterable[Mapping[str, Any]]) -> int:
    """:func:`append` in its own transaction (blocking: the tracker store runs it off the event loop)."""
    with session_scope() as session:
        return append(session, sender, events)


def archived(sender: str) -> List[Dict[str, Any]]:
    """:func:`events_of` in its own transaction (blocking, as :func:`archive`)."""
    with session_scope() as session:
        return events_of(session, sender)


def delete(session: Session, sender: str) -> int:
    """Delete the archived history of ``sender``; how many events were deleted."""
    deleted = session.query(ArchivedEvent).filter(ArchivedEvent.sender == sender).delete(synchronize_session=False)
    session.flush()
    return int(deleted)


def senders(session: Session) -> List[str]:
    """Every conversation id with archived history."""
    return [sender for (sender,) in session.query(ArchivedEvent.sender).distinct().order_by(ArchivedEvent.sender)]


def message_line(event: Mapping[str, Any], fmt: str = "%m-%d %H:%M:%S") -> Optional[Dict[str, str]]:
    """A transcript line of a message event: ``who`` (citizen, bot or agent), ``text``, ``time``; else None.

    Args:
        event: a serialized Rasa event.
        fmt: how ``time`` is written, in the office's time zone.
    """
    text = event.get("text")
    kind = event.get("event")
    if kind not in SPEAKERS or not isinstance(text, str) or not text.strip():
        return None
    who = SPEAKERS[str(kind)]
    if kind == "bot" and (event.get("metadata") or {}).get(AGENT_KEY):
        who = "agent"
    stamp = event.get("timestamp")
    moment = ""
    if isinstance(stamp, (int, float)):
        moment = office_text(datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc), fmt)
    return {"who": who, "text": text, "time": moment}


def transcript(events: Iterable[Mapping[str, Any]], fmt: str = "%m-%d %H:%M:%S") -> List[Dict[str, str]]:
    """The message lines of ``events``, in their order."""
    lines = (message_line(event, fmt) for event in events)
    return [line for line in lines if line is not None]
