"""Analytics rows from published events: names, times and channels, never what a citizen typed."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict

from sqlalchemy import select

from govservice.conversation_events import ConversationEvent, event_row, record_many, sender_hash
from govservice.db import ensure_schema, session_scope

ID = "11010519491231002X"


def _published(**event: Any) -> bytes:
    return json.dumps({"sender_id": "citizen-1", "timestamp": 1764670000.25, **event}, ensure_ascii=False).encode()


def _user_event(text: str = "身份证丢了怎么补办") -> bytes:
    parse: Dict[str, Any] = {"intent": {"name": "ask_materials", "confidence": 0.9}, "text": text,
                             "entities": [{"entity": "id_number", "value": ID}]}
    return _published(event="user", text=text, parse_data=parse, input_channel="rest",
                      metadata={"source": "rest:127.0.0.1"})


def test_a_user_event_keeps_its_intent_and_channel_and_nothing_typed() -> None:
    row = event_row(_user_event(f"我的身份证号是{ID}"))
    assert row is not None
    assert (row["event_type"], row["name"], row["channel"]) == ("user", "ask_materials", "rest")
    assert row["sender_hash"] == sender_hash("citizen-1") and "citizen-1" not in row["sender_hash"]
    assert ID not in json.dumps(row, default=str) and "身份证" not in json.dumps(row, default=str, ensure_ascii=False)
    assert row["occurred_at"].isoformat() == "2025-12-02T10:06:40.250000"


def test_actions_forms_and_slots_keep_their_names_only() -> None:
    assert event_row(_published(event="action", name="action_show_guide"))["name"] == "action_show_guide"
    assert event_row(_published(event="active_loop", name="login_form"))["name"] == "login_form"
    slot = event_row(_published(event="slot", name="login_id", value=ID))
    assert slot["name"] == "login_id" and ID not in json.dumps(slot, default=str)
    bot = event_row(_published(event="bot", text=f"您的号码 {ID}"))
    assert bot["name"] is None and bot["channel"] is None


def test_the_service_item_slot_keeps_its_catalog_key_and_nothing_else_does() -> None:
    row = event_row(_published(event="slot", name="service_item", value="id_card_renew"))
    assert row is not None and row["item_key"] == "id_card_renew"
    for event in ({"name": "service_item", "value": f"我的身份证{ID}"}, {"name": "service_item", "value": None},
                  {"name": "service_topic", "value": "居民身份证"}, {"name": "login_id", "value": "id_card_renew"}):
        assert event_row(_published(event="slot", **event))["item_key"] is None
    assert event_row(_user_event())["item_key"] is None


def test_anything_else_is_not_a_conversation_event() -> None:
    for body in (b"not json", b"[]", json.dumps({"event": "user"}).encode(), json.dumps({"sender_id": "x"}).encode()):
        assert event_row(body) is None


def test_a_bad_timestamp_becomes_the_time_of_arrival() -> None:
    row = event_row(json.dumps({"sender_id": "s", "event": "restart", "timestamp": "soon"}).encode())
    assert row is not None and row["occurred_at"].year >= 2025


def test_a_message_delivered_twice_is_stored_once() -> None:
    ensure_schema()
    sender = f"twice-{uuid.uuid4().hex}"
    body = _published(event="action", name="action_listen", sender_id=sender)
    other = _published(event="user", text="你好", sender_id=sender, timestamp=1764670001.0)
    with session_scope() as session:
        record_many(session, [body, body, b"{}"])  # twice in one batch
    with session_scope() as session:
        record_many(session, [body, other])  # again in a later batch (a lost acknowledgement)
        record_many(session, [])
    with session_scope() as session:
        query = select(ConversationEvent).where(ConversationEvent.sender_hash == sender_hash(sender))
        rows = session.execute(query.order_by(ConversationEvent.occurred_at)).scalars().all()
        assert sorted((r.event_type, r.name or "") for r in rows) == [("action", "action_listen"), ("user", "")]
