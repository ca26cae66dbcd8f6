"""The persisted tracker never holds a login answer, a raw ID number, phone number or one-time code,
and never loses a name or a key."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import HIDDEN, SENSITIVE_SLOTS, RedactingTrackerStore, redact_events, redacted_copy
from tests.store_backends import redis_client

pytestmark = pytest.mark.stores  # again against Redis and RabbitMQ with TEST_STORES=prod

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
  handoff_message: {type: text, mappings: [{type: custom}]}
forms:
  login_form:
    required_slots: [login_id, login_name, login_code]
"""
)


def _user(text: str, entities: List[Dict[str, Any]] | None = None) -> UserUttered:
    parse = {"text": text, "intent": {"name": "inform", "confidence": 1.0}, "entities": entities or []}
    return UserUttered(text, parse["intent"], entities or [], parse_data=parse)


def _answer(slot: str, typed: str, validated: Any, next_slot: str | None) -> List[Any]:
    """One login turn as Rasa records it: the message, the slot extracted from its text, the
    form's validation, the next question."""
    return [
        _user(typed),
        SlotSet(slot, typed),
        ActionExecuted("login_form"),
        SlotSet(slot, validated),
        SlotSet(REQUESTED_SLOT, next_slot),
        ActionExecuted("action_listen"),
    ]


def login_conversation(sender: str, typed_id: str = f"我的身份证号是{ID}") -> DialogueStateTracker:
    """A full login, as the processor's tracker holds it during the turns."""
    events = [
        ActionExecuted("action_listen"),
        _user("我有哪些证照"),
        ActionExecuted("login_form"),
        ActiveLoop("login_form"),
        SlotSet(REQUESTED_SLOT, "login_id"),
        ActionExecuted("action_listen"),
        *_answer("login_id", typed_id, "110105********002X", "login_name"),
        *_answer("login_name", "张三", "张*", "login_code"),
        BotUttered(f"如信息匹配，验证码已发送至尾号8000的手机。备用号码{PHONE}"),
        *_answer("login_code", f"验证码{CODE}", "******", None),
        ActiveLoop(None),
        SlotSet("logged_in", True),
        _user(f"我的手机是{PHONE}，身份证{ID}，谢谢"),
    ]
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


def _assert_clean(blob: str) -> None:
    assert ID not in blob and ID.lower() not in blob
    assert CODE not in blob
    assert PHONE not in blob
    assert "张三" not in blob


def test_redact_events_hides_login_answers_and_masks_ids_and_phones() -> None:
    events = redact_events([e.as_dict() for e in login_conversation("x").events])
    _assert_clean(json.dumps(events, ensure_ascii=False))
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert texts == ["我有哪些证照", HIDDEN, HIDDEN, HIDDEN, "我的手机是138****8000，身份证110105********002X，谢谢"]
    parsed = [e["parse_data"]["text"] for e in events if e["event"] == "user"]
    assert parsed == texts
    login_values = [e["value"] for e in events if e["event"] == "slot" and e["name"].startswith("login_")]
    assert login_values == [HIDDEN, "110105********002X", HIDDEN, "张*", HIDDEN, "******"]


@pytest.mark.parametrize(
    "typed", ["login", "login_form", "form", "action_listen", "requested_slot", "slot", "user", "text"]
)
def test_names_typed_at_a_login_prompt_leave_every_name_and_key_intact(typed: str) -> None:
    """Issue 12, item 1: "login" typed at the ID prompt turned login_form into ******_form."""
    tracker = login_conversation("names", typed_id=typed)
    raw = [e.as_dict() for e in tracker.events]
    redacted = redact_events(raw)
    assert [sorted(e) for e in redacted] == [sorted(e) for e in raw]  # the same keys
    for before, after in zip(raw, redacted, strict=True):
        assert {k: v for k, v in after.items() if k not in ("text", "value", "parse_data")} == {
            k: v for k, v in before.items() if k not in ("text", "value", "parse_data")
        }
        assert after.get("parse_data", {}).get("intent") == before.get("parse_data", {}).get("intent")
    assert [e.get("name") for e in redacted] == [e.get("name") for e in raw]
    assert HIDDEN in [e.get("text") for e in redacted]


def test_a_conversation_with_a_name_typed_at_the_prompt_still_loads_and_goes_on() -> None:
    store = RedactingTrackerStore(domain=DOMAIN)
    tracker = DialogueStateTracker.from_events(
        "goes-on",
        [ActionExecuted("login_form"), ActiveLoop("login_form"), SlotSet(REQUESTED_SLOT, "login_id"),
         ActionExecuted("action_listen"), _user("login_form"), SlotSet("login_id", "login_form"),
         ActionExecuted("login_form"), SlotSet("login_id", None), SlotSet(REQUESTED_SLOT, "login_id"),
         ActionExecuted("action_listen")],
        DOMAIN.slots,
    )
    asyncio.run(store.save(tracker))
    restored = asyncio.run(store.retrieve("goes-on"))
    assert restored.active_loop_name == "login_form"
    assert restored.get_slot(REQUESTED_SLOT) == "login_id"
    assert [e.action_name for e in restored.events if isinstance(e, ActionExecuted)] == [
        "login_form", "action_listen", "login_form", "action_listen"
    ]
    # the next turn is typed at the same prompt: hidden too
    restored.update(_user("我的身份证号是 1101 0519 4912 3100 2X"))
    asyncio.run(store.save(restored))
    latest = asyncio.run(store.retrieve("goes-on")).latest_message
    assert latest.text == HIDDEN and latest.parse_data["text"] == HIDDEN


@pytest.mark.parametrize("name", ["张三", "张三*", "*", "张*"])
def test_a_name_typed_at_the_name_prompt_is_never_stored(name: str) -> None:
    """Issue 12, item 13: names typed at the login prompt stayed raw; a star does not make a mask."""
    events = [SlotSet(REQUESTED_SLOT, "login_name"), *_answer("login_name", name, None, "login_name")]
    redacted = redact_events([e.as_dict() for e in events])
    assert redacted[1]["text"] == HIDDEN and redacted[1]["parse_data"]["text"] == HIDDEN
    assert [e["value"] for e in redacted if e.get("name") == "login_name"] == [HIDDEN, None]


def test_sensitive_slots_cover_every_slot_of_the_login_forms() -> None:
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    login_forms = sorted(name for name in domain.form_names if "login" in name)
    assert login_forms == ["company_login_form", "login_form"]
    for form in login_forms:
        assert set(domain.required_slots_for_form(form)) <= SENSITIVE_SLOTS
    assert {slot.name for slot in domain.slots} >= SENSITIVE_SLOTS


def test_spaced_and_full_width_numbers_are_masked_in_texts_and_slot_values() -> None:
    """Issue 12, item 11: the tracker kept 3501 0420 1010 1441 23 and １３８… raw."""
    spaced_id, wide_phone = "3501 0420 1010 1441 23", "１３８－１２３４－５６７８"
    events = [
        _user(f"身份证{spaced_id}，手机{wide_phone}", [{"entity": "phone_number", "value": wide_phone}]),
        SlotSet("handoff_message", f"请回电138 1234 5678，身份证{spaced_id}"),
        BotUttered("已收到，我们会联系138-1234-5678"),
    ]
    redacted = redact_events([e.as_dict() for e in events])
    blob = json.dumps(redacted, ensure_ascii=False)
    for raw in (spaced_id, wide_phone, "138 1234 5678", "138-1234-5678", "1234"):
        assert raw not in blob
    assert redacted[0]["text"] == "身份证350104********4123，手机138****5678"
    assert redacted[0]["parse_data"]["entities"][0] == {"entity": "phone_number", "value": "138****5678"}
    assert redacted[1]["value"] == "请回电138****5678，身份证350104********4123"
    assert redacted[2]["text"] == "已收到，我们会联系138****5678"


def test_the_contact_typed_for_a_message_is_hidden() -> None:
    events = [
        ActiveLoop("handoff_message_form"),
        SlotSet(REQUESTED_SLOT, "handoff_contact"),
        _user("zhang.san@example.cn 或 0591-87654321"),
        SlotSet("handoff_contact", "zhang.san@example.cn"),
    ]
    redacted = redact_events([e.as_dict() for e in events])
    assert redacted[2]["text"] == HIDDEN and redacted[3]["value"] == HIDDEN


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


def test_stored_tracker_holds_no_raw_secrets(inner_store: Optional[Dict[str, Any]]) -> None:
    """In memory (the embedded default) and on Redis (the production profile, TEST_STORES=prod)."""
    store = RedactingTrackerStore(domain=DOMAIN, inner=inner_store)
    sender = f"mem-{uuid.uuid4().hex[:8]}"
    asyncio.run(store.save(login_conversation(sender)))
    restored = asyncio.run(store.retrieve(sender))
    _assert_clean(json.dumps(restored.current_state(), ensure_ascii=False, default=str))
    assert restored.get_slot("logged_in") is True
    assert restored.get_slot("login_id") == "110105********002X"
    if inner_store is not None:  # what Redis itself holds, read past Rasa
        raw = redis_client().get(f"{inner_store['key_prefix']}:tracker:{sender}")
        assert raw and "login_form" in raw
        _assert_clean(raw)


def test_saving_the_same_raw_tracker_twice_stays_clean(inner_store: Optional[Dict[str, Any]]) -> None:
    """The processor may save one tracker more than once in a turn; the raw part is re-checked."""
    store = RedactingTrackerStore(domain=DOMAIN, inner=inner_store)
    tracker = login_conversation("twice")
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    _assert_clean(json.dumps(asyncio.run(store.retrieve("twice")).current_state(), ensure_ascii=False, default=str))


def test_a_clean_turn_after_retrieve_is_saved_without_a_copy(inner_store: Optional[Dict[str, Any]]) -> None:
    store = RedactingTrackerStore(domain=DOMAIN, inner=inner_store)
    asyncio.run(store.save(login_conversation("turns")))
    tracker = asyncio.run(store.retrieve("turns"))
    tracker.update(_user("谢谢"))
    assert redacted_copy(tracker) is tracker
    tracker.update(_user(f"我的手机是{PHONE}"))
    copy = redacted_copy(tracker)
    assert copy is not tracker
    _assert_clean(json.dumps(copy.current_state(), ensure_ascii=False, default=str))

