"""The buffered SQL event broker: Rasa's table, every event in order, off the caller's thread."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.event_broker import BufferedSQLEventBroker
from govservice.analytics.feeder import broker_url, has_sql_broker


def _event(n: int) -> Dict[str, Any]:
    return {"sender_id": f"s{n % 3}", "event": "action", "name": f"action_{n}", "timestamp": 1764670000.0 + n}


def _stored(path: Path) -> List[Dict[str, Any]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("select sender_id, data from events order by id").fetchall()
    return [dict(json.loads(data), stored_sender=sender) for sender, data in rows]


def test_every_event_is_stored_in_order_in_rasas_table(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    broker = asyncio.run(BufferedSQLEventBroker.from_endpoint_config(
        EndpointConfig(type="bot.event_broker.BufferedSQLEventBroker", dialect="sqlite", db=str(path))))
    assert isinstance(broker, SQLEventBroker)
    events = [_event(n) for n in range(120)]
    for event in events:
        broker.publish(event)
    asyncio.run(broker.close())  # writes what is queued
    stored = _stored(path)
    assert [e["name"] for e in stored] == [e["name"] for e in events]
    assert all(e["stored_sender"] == e["sender_id"] for e in stored)


def test_publishing_does_not_wait_for_the_database(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    broker = BufferedSQLEventBroker(dialect="sqlite", db=str(path))
    # Another connection holds the write lock: Rasa's own broker would block here for its timeout.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("begin exclusive")
    started = time.perf_counter()
    for n in range(10):
        broker.publish(_event(n))
    assert time.perf_counter() - started < 0.5
    assert threading.current_thread() is not broker.writer
    holder.execute("rollback")
    holder.close()
    asyncio.run(broker.close())
    assert [e["name"] for e in _stored(path)] == [f"action_{n}" for n in range(10)]


def test_the_feeder_reads_the_buffered_brokers_table(tmp_path: Path) -> None:
    config = EndpointConfig(type="bot.event_broker.BufferedSQLEventBroker", dialect="sqlite", db=str(tmp_path / "e.db"))
    assert broker_url(config).endswith("e.db")
    endpoints = tmp_path / "endpoints.yml"
    broker = "event_broker:\n  type: bot.event_broker.BufferedSQLEventBroker\n  db: e.db\n"
    endpoints.write_text(broker, encoding="utf-8")
    assert has_sql_broker(str(endpoints))
