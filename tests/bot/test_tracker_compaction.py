"""Compaction keeps what the next turns need, archives the rest once, and works on every store we use."""

from __future__ import annotations

import asyncio
import json
import tarfile
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stored_conversations import delete_conversation
from bot.tracker_compaction import (
    MIN_TURNS,
    cut_index,
    is_restoring,
    keep_events_setting,
    plan,
    turn_starts,
)
from bot.tracker_store import RedactingTrackerStore
from govservice import conversation_archive
from govservice.db import ensure_schema, session_scope
from overrides.policies import rule_window
from tests.bot.inprocess_agent import MODEL

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, ask]
slots:
  topic:
    type: text
    mappings: [{type: custom}]
  logged_in:
    type: bool
    influence_conversation: false
    mappings: [{type: custom}]
forms:
  some_form:
    required_slots: [topic]
"""
)
START = 1_700_000_000.0
REDIS_URL = {"host": "localhost", "port": 6379, "db": 7}


def _turn(index: int) -> List[Event]:
    """One turn: listen, a message, an answer; every fifth turn sets a slot. Timestamps are unique."""
    at = START + index
    events: List[Event] = [
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(f"问题{index}", {"name": "ask", "confidence": 1.0}, timestamp=at + 0.1),
        ActionExecuted("utter_answer", timestamp=at + 0.2),
        BotUttered(f"回答{index}", timestamp=at + 0.3),
    ]
    if index % 5 == 0:
        events.append(SlotSet("topic", f"事项{index}", timestamp=at + 0.4))
    return events


def _session_start(index: int) -> List[Event]:
    at = START + index
    return [ActionExecuted("action_session_start", timestamp=at), SessionStarted(timestamp=at + 0.05)]


def _tracker(events: List[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("t", events, DOMAIN.slots)


def _conversation(turns: int) -> List[Event]:
    return [event for index in range(turns) for event in _turn(index)] + [
        ActionExecuted("action_listen", timestamp=START + turns)
    ]


def test_cuts_fall_where_the_assistant_listened_for_a_message_and_lose_nothing() -> None:
    events = _conversation(40)
    compaction = plan(_tracker(events), keep_events=60)
    assert compaction is not None
    history = [event for event in compaction.kept if not is_restoring(event)]
    assert isinstance(history[0], ActionExecuted) and history[0].action_name == "action_listen"
    assert isinstance(history[1], UserUttered)
    assert compaction.archived + history == events
    assert len(compaction.kept) <= 60


def test_the_kept_part_restores_the_slots_and_a_pause() -> None:
    events = _conversation(30)
    events.insert(10, ConversationPaused(timestamp=START + 2.35))
    compaction = plan(_tracker(events), keep_events=40)
    assert compaction is not None
    kept = _tracker(compaction.kept)
    whole = _tracker(events)
    assert kept.current_slot_values() == whole.current_slot_values()
    assert kept.is_paused() and whole.is_paused()


def test_no_cut_falls_inside_an_active_form() -> None:
    events = _conversation(40)
    form_start, form_end = events.index(_turn(10)[2]), events.index(_turn(35)[2])
    events.insert(form_end, ActiveLoop(None, timestamp=START + 35.25))
    events.insert(form_start, ActiveLoop("some_form", timestamp=START + 10.25))
    boundaries = turn_starts(events, 0)
    assert all(not (form_start < index <= form_end + 1) for index in boundaries)
    assert cut_index(events, 60) not in range(form_start, form_end + 2)


def test_at_least_min_turns_are_kept_however_small_the_bound() -> None:
    compaction = plan(_tracker(_conversation(20)), keep_events=2)
    assert compaction is not None
    assert sum(isinstance(event, UserUttered) for event in compaction.kept) == MIN_TURNS


def test_a_new_session_archives_the_previous_ones_whole() -> None:
    events = _conversation(5) + _session_start(6) + _conversation(1)[:-1]
    compaction = plan(_tracker(events), keep_events=100)
    assert compaction is not None
    # The session's action_session_start goes with the previous session: stores load from SessionStarted.
    assert compaction.kept == events[len(_conversation(5)) + 1 :]
    assert compaction.archived == events[: len(_conversation(5)) + 1]


def test_short_conversations_and_keep_events_0_stay_as_they_are() -> None:
    assert plan(_tracker(_conversation(5)), keep_events=100) is None
    assert plan(_tracker(_conversation(50)), keep_events=0) is None


@pytest.mark.parametrize("value, expected", [(120, 120), ("40", 40), (0, 0)])
def test_keep_events_setting_reads_whole_numbers(value: Any, expected: int) -> None:
    assert keep_events_setting(value) == expected


@pytest.mark.parametrize("value", [-1, "many", True, 1.5, None])
def test_keep_events_setting_refuses_anything_else_in_chinese(value: Any) -> None:
    with pytest.raises(ValueError, match="keep_events 必须是不小于 0 的整数"):
        keep_events_setting(value)


@pytest.mark.model
def test_min_turns_cover_the_trained_rule_window(tmp_path: Path) -> None:
    with tarfile.open(MODEL) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("rule_policy.json"))
        lookup = json.load(archive.extractfile(member))["lookup"]  # type: ignore[arg-type]
    window = rule_window(lookup)
    # Each kept turn gives at least two states (before the listen and before the answer).
    assert window is not None and 2 * MIN_TURNS > window


@pytest.fixture()
def stores(tmp_path: Path, postgres_url: str) -> Iterator[Dict[str, Callable[[], RedactingTrackerStore]]]:
    """The redacting store over each inner store we use; Redis under a unique prefix, deleted after."""
    ensure_schema()
    prefix = f"flat{uuid.uuid4().hex[:8]}"
    inner: Dict[str, Any] = {
        "in-memory": None,
        "sqlite": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")},
        "postgresql": {"type": "SQL", "url": postgres_url},
        "redis": {"type": "redis", "url": REDIS_URL["host"], "port": 6379, "db": 7, "key_prefix": prefix},
    }
    yield {kind: (lambda config=config: RedactingTrackerStore(domain=DOMAIN, inner=config, keep_events=40))
           for kind, config in inner.items()}
    import redis

    client = redis.Redis(**REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


async def _talk(store: RedactingTrackerStore, sender: str, turns: int, new_session_at: int) -> List[Event]:
    """Save turn after turn as Rasa does (load, add the turn, save); every event said, in order."""
    said: List[Event] = []
    for index in range(turns):
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
        turn = (_session_start(index - 1) if index == new_session_at else []) + _turn(index)
        for event in turn:
            tracker.update(event)
        said += turn
        await store.save(tracker)
        stored = await store.inner.retrieve_full_tracker(sender)
        assert stored is not None and len(stored.events) <= 40 + len(turn) + len(DOMAIN.slots)
    return said


@pytest.mark.parametrize("kind", ["in-memory", "sqlite", "postgresql", "redis"])
async def test_a_long_conversation_stays_bounded_whole_and_erasable(kind: str, stores: Dict[str, Any]) -> None:
    store, sender = stores[kind](), f"long-{uuid.uuid4().hex[:8]}"
    said = await _talk(store, sender, turns=60, new_session_at=30)
    with session_scope() as session:
        archived = conversation_archive.events_of(session, sender)
    assert archived, "a 60-turn conversation with keep_events 40 was compacted"
    full = await store.retrieve_full_tracker(sender)
    assert full is not None
    # archived + stored = every event said, in order, none twice
    assert [event.as_dict() for event in full.events] == [event.as_dict() for event in said]
    current = await store.retrieve(sender)
    replayed = DialogueStateTracker.from_events(sender, said, DOMAIN.slots)
    assert current is not None and current.current_slot_values() == replayed.current_slot_values()
    assert await delete_conversation(store, sender)
    with session_scope() as session:
        assert conversation_archive.events_of(session, sender) == []
    assert await store.retrieve(sender) is None and await store.retrieve_full_tracker(sender) is None


def test_saving_the_same_tracker_twice_archives_nothing_twice() -> None:
    ensure_schema()
    store, sender = RedactingTrackerStore(domain=DOMAIN, keep_events=40), f"twice-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(sender, _conversation(30), DOMAIN.slots)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))
    with session_scope() as session:
        archived = conversation_archive.events_of(session, sender)
    stamps = [event["timestamp"] for event in archived]
    assert stamps and len(stamps) == len(set(stamps))


# A conversation through the trained assistant: questions with follow-ups, a login form left
# half-way and cancelled, halls by district, thanks. No code is sent (no name is typed).
SCRIPT = [
    "你好", "居住证要什么材料", "要多少钱", "那护照呢", "我要登录", "11010519491231002X", "取消",
    "最近的办事大厅在哪", "我在滨江区", "公积金提取能网上办吗", "新生儿落户流程", "帮助", "谢谢",
]


RANDOM_SLOTS = {"login_ref"}  # an opaque random reference, different in every conversation


def _said(events: List[Dict[str, Any]]) -> List[Any]:
    """What a conversation did, without times: event kinds, names, slot values, intents and texts."""
    return [
        (
            e["event"],
            e.get("name"),
            None if e.get("name") in RANDOM_SLOTS else e.get("value"),
            e.get("text"),
            (e.get("parse_data") or {}).get("intent", {}).get("name"),
        )
        for e in events
    ]


def _replies(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{key: value for key, value in message.items() if key != "recipient_id"} for message in messages]


@pytest.mark.model
def test_a_compacted_conversation_gets_the_same_replies_as_a_whole_one(catalog: Any) -> None:
    from tests.bot.inprocess_agent import Assistant

    loop = asyncio.new_event_loop()
    try:
        assistant = Assistant(loop, RedactingTrackerStore(keep_events=0))
        whole, compacted = f"whole-{uuid.uuid4().hex[:6]}", f"compact-{uuid.uuid4().hex[:6]}"
        for text in SCRIPT * 6:
            assistant.store.keep_events = 0
            expected = _replies(assistant.say(whole, text))
            assistant.store.keep_events = 24
            assert _replies(assistant.say(compacted, text)) == expected, text
        assert not assistant.store_errors
        with session_scope() as session:
            assert not conversation_archive.events_of(session, whole)
            archived = conversation_archive.events_of(session, compacted)
        stored = assistant.stored_json(compacted)["events"]
        assert len(archived) > len(stored) and len(stored) <= 24 + 20
        history = archived + [e for e in stored if not (e.get("metadata") or {}).get("restored_state")]
        assert _said(history) == _said(assistant.stored_json(whole)["events"])
    finally:
        loop.close()
