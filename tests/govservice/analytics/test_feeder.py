"""The SQL event broker's rows reach conversation_events without content, and leave the broker's table."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.tracker_store import RedactingTrackerStore
from govservice.analytics.feeder import RAW_EVENTS, broker_url, feed_once, main, source_engine
from govservice.conversation_events import ConversationEvent, sender_hash
from govservice.db import ensure_schema, session_scope
from govservice.events import BrokerConfigError
from tests.bot.test_tracker_store import DOMAIN, _assert_clean, login_conversation

ID = "11010519491231002X"


def _broker(tmp_path: Path) -> SQLEventBroker:
    return SQLEventBroker(db=str(tmp_path / "rasa_events.db"))


def _source(tmp_path: Path) -> Engine:
    return source_engine(f"sqlite:///{tmp_path / 'rasa_events.db'}")


def _raw_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(RAW_EVENTS)))


def _stored(sender: str) -> List[ConversationEvent]:
    with session_scope() as session:
        query = select(ConversationEvent).where(ConversationEvent.sender_hash == sender_hash(sender))
        return list(session.scalars(query.order_by(ConversationEvent.occurred_at, ConversationEvent.id)))


def _event(sender: str, **event: Any) -> Dict[str, Any]:
    return {"sender_id": sender, "timestamp": 1764670000.0, **event}


def test_the_broker_url_is_rasas(tmp_path: Path) -> None:
    config = EndpointConfig(type="sql", dialect="sqlite", db=str(tmp_path / "e.db"))
    assert broker_url(config) == f"sqlite:///{tmp_path / 'e.db'}"
    for other in (None, EndpointConfig(type="pika", url="localhost")):
        with pytest.raises(BrokerConfigError):
            broker_url(other)


def test_rows_are_stored_as_the_rabbitmq_path_stores_them_and_deleted(tmp_path: Path) -> None:
    ensure_schema()
    sender, broker, source = f"feed-{uuid.uuid4().hex}", _broker(tmp_path), _source(tmp_path)
    parse = {"intent": {"name": "ask_materials"}, "text": f"身份证{ID}", "entities": []}
    broker.publish(_event(sender, event="user", text=f"身份证{ID}", parse_data=parse, input_channel="rest"))
    broker.publish(_event(sender, event="slot", name="service_item", value="id_card_renew", timestamp=1764670001.0))
    broker.publish(_event(sender, event="slot", name="login_id", value=ID, timestamp=1764670002.0))
    assert feed_once(source) == 3
    assert _raw_count(source) == 0  # the raw rows, with the message text, are gone
    rows = _stored(sender)
    assert [(r.event_type, r.name, r.channel, r.item_key) for r in rows] == [
        ("user", "ask_materials", "rest", None), ("slot", "service_item", None, "id_card_renew"),
        ("slot", "login_id", None, None)]
    assert feed_once(source) == 0


def test_a_row_fed_again_after_a_crash_is_kept_once(tmp_path: Path) -> None:
    ensure_schema()
    sender, broker, source = f"again-{uuid.uuid4().hex}", _broker(tmp_path), _source(tmp_path)
    broker.publish(_event(sender, event="action", name="action_listen"))
    with source.connect() as connection:
        data = connection.scalar(select(RAW_EVENTS.c.data))
    feed_once(source)
    with source.begin() as connection:  # the crash: stored, but the raw row was not deleted
        connection.execute(RAW_EVENTS.insert().values(sender_id=sender, data=data))
    assert feed_once(source) == 1 and len(_stored(sender)) == 1


def test_rows_after_the_table_was_emptied_are_fed_too(tmp_path: Path) -> None:
    """SQLite gives Rasa's table (no AUTOINCREMENT) the same ids again once it is empty."""
    ensure_schema()
    sender, broker, source = f"reuse-{uuid.uuid4().hex}", _broker(tmp_path), _source(tmp_path)
    for second in range(3):
        broker.publish(_event(sender, event="action", name=f"action_{second}", timestamp=1764670000.0 + second))
        assert feed_once(source, batch=2) == 1
    assert [row.name for row in _stored(sender)] == ["action_0", "action_1", "action_2"]


def test_a_batch_that_fails_to_store_stays_in_the_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sender, broker, source = f"fail-{uuid.uuid4().hex}", _broker(tmp_path), _source(tmp_path)
    broker.publish(_event(sender, event="action", name="action_listen"))

    def down(*_: Any) -> None:
        raise ConnectionError("database down")

    monkeypatch.setattr("govservice.conversation_events.record_many", down)
    with pytest.raises(ConnectionError):
        feed_once(source)
    assert _raw_count(source) == 1


def test_the_redacting_store_publishes_redacted_events_to_the_sql_broker(tmp_path: Path) -> None:
    broker = _broker(tmp_path)
    store = RedactingTrackerStore(domain=DOMAIN, event_broker=broker)
    tracker = login_conversation(f"sqlpub-{uuid.uuid4().hex[:8]}")
    asyncio.run(store.save(tracker))
    with _source(tmp_path).connect() as connection:
        published = [json.loads(data) for data in connection.scalars(select(RAW_EVENTS.c.data))]
    assert [event["event"] for event in published] == [event.type_name for event in tracker.events]
    _assert_clean(json.dumps(published, ensure_ascii=False))


def test_check_says_whether_the_endpoints_have_an_sql_broker(tmp_path: Path) -> None:
    def write(text: str) -> str:
        (tmp_path / "e.yml").write_text(text, encoding="utf-8")
        return str(tmp_path / "e.yml")

    assert main(["--check", "--endpoints", write("event_broker:\n  type: sql\n  db: x.db\n")]) == 0
    assert main(["--check", "--endpoints", write("event_broker:\n  type: pika\n  url: localhost\n")]) == 1
    assert main(["--endpoints", write("tracker_store:\n  type: in_memory\n")]) == 2
