"""The persisted tracker never holds a raw ID number, phone number or one-time code."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Dict, List

import pytest
import sqlalchemy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingTrackerStore, redact_events, redacted_copy

ID = "11010519491231002X"
CODE = "483920"
PHONE = "13800138000"
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  login_id: {type: text, mappings: [{type: custom}]}
  login_name: {type: text, mappings: [{type: custom}]}
  login_code: {type: text, mappings: [{type: custom}]}
  logged_in: {type: bool, mappings: [{type: custom}]}
"""
)


def _user(text: str, entities: List[Dict[str, Any]] | None = None) -> UserUttered:
    parse = {"text": text, "intent": {"name": "inform", "confidence": 1.0}, "entities": entities or []}
    return UserUttered(text, parse["intent"], entities or [], parse_data=parse)


def login_conversation(sender: str) -> DialogueStateTracker:
    """A full login, as the processor's tracker holds it during the turns."""
    events = [
        ActionExecuted("action_listen"),
        _user("我有哪些证照"),
        ActionExecuted("login_form"),
        ActionExecuted("action_listen"),
        _user(f"我的身份证号是{ID}", [{"entity": "id_number", "value": ID, "start": 7, "end": 25}]),
        SlotSet("login_id", f"我的身份证号是{ID}"),
        SlotSet("login_id", "110105********002X"),
        _user("张三"),
        SlotSet("login_name", "张*"),
        BotUttered(f"如信息匹配，验证码已发送至尾号8000的手机。备用号码{PHONE}"),
        ActionExecuted("action_listen"),
        _user(f"验证码{CODE}"),
        SlotSet("login_code", f"验证码{CODE}"),
        SlotSet("login_code", "******"),
        SlotSet("logged_in", True),
    ]
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


def _assert_clean(blob: str) -> None:
    assert ID not in blob and ID.lower() not in blob
    assert CODE not in blob
    assert PHONE not in blob


def test_redact_events_masks_ids_codes_and_phones_everywhere() -> None:
    events = redact_events([e.as_dict() for e in login_conversation("x").events])
    _assert_clean(json.dumps(events, ensure_ascii=False))
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert "我的身份证号是110105********002X" in texts
    assert "验证码******" in texts
    assert "我有哪些证照" in texts  # ordinary text is untouched


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_persisted_sql_tracker_holds_no_raw_secrets(backend: str, tmp_path, postgres_url: str) -> None:
    sender = f"redact-{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        inner = {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
        url = f"sqlite:///{tmp_path}/tracker.db"
    else:
        inner = {"type": "SQL", "dialect": "postgresql", "url": "localhost", "port": 5432,
                 "db": "test", "username": "postgres", "password": ""}
        url = "postgresql://postgres@localhost:5432/test"
    store = RedactingTrackerStore(domain=DOMAIN, inner=inner)
    tracker = login_conversation(sender)
    asyncio.run(store.save(tracker))
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(sqlalchemy.text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}).all()
        assert len(rows) == len(tracker.events)
        _assert_clean("\n".join(row[0] for row in rows))
        conn.execute(sqlalchemy.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
    engine.dispose()
    # what comes back still works: slots are set, with masked values
    restored = asyncio.run(RedactingTrackerStore(domain=DOMAIN, inner=inner).retrieve(sender))
    assert restored is None or restored.get_slot("login_id") in (None, "110105********002X")


def test_in_memory_default_store_holds_no_raw_secrets() -> None:
    store = RedactingTrackerStore(domain=DOMAIN)
    asyncio.run(store.save(login_conversation("mem")))
    restored = asyncio.run(store.retrieve("mem"))
    _assert_clean(json.dumps(restored.current_state(), ensure_ascii=False, default=str))
    assert restored.get_slot("logged_in") is True
    assert restored.get_slot("login_id") == "110105********002X"


def test_saving_the_same_raw_tracker_twice_stays_clean() -> None:
    """The processor may save one tracker more than once in a turn; the raw part is re-checked."""
    store = RedactingTrackerStore(domain=DOMAIN)
    tracker = login_conversation("twice")
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    _assert_clean(json.dumps(asyncio.run(store.retrieve("twice")).current_state(), ensure_ascii=False, default=str))


def test_a_clean_turn_after_retrieve_is_saved_without_a_copy() -> None:
    store = RedactingTrackerStore(domain=DOMAIN)
    asyncio.run(store.save(login_conversation("turns")))
    tracker = asyncio.run(store.retrieve("turns"))
    tracker.update(_user("谢谢"))
    assert redacted_copy(tracker) is tracker
    tracker.update(_user(f"我的手机是{PHONE}"))
    copy = redacted_copy(tracker)
    assert copy is not tracker
    _assert_clean(json.dumps(copy.current_state(), ensure_ascii=False, default=str))

