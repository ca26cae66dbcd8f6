"""Fault: the system RabbitMQ stopped and started (rabbitmqctl stop_app / start_app) under load.

The only test allowed to touch a system service, briefly; RabbitMQ is always started again.
Rasa's Pika broker publishes in the background, so turns are answered and stored while it is
down; its robust connection holds what it could not publish and sends it on reconnect. The test
checks that end to end: every normally answered turn reaches ``conversation_events`` through the
queue and the consumer (govservice.events) afterwards.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Dict, List, Tuple

import sqlalchemy

from govservice.conversation_events import sender_hash
from tests.faults.citizens import Turn
from tests.faults.scenario import run_fault
from tests.faults.stack import Stack, rabbitmqctl

DOWN_SECONDS = 8
CATCH_UP_SECONDS = 180
_USER_EVENTS = sqlalchemy.text(
    "SELECT count(*) FROM conversation_events WHERE sender_hash = :h AND event_type = 'user'"
)


def stop_and_start_rabbitmq() -> float:
    """Stop RabbitMQ for a few seconds; the seconds until it runs again."""
    started = time.monotonic()
    try:
        rabbitmqctl("stop_app")
        time.sleep(DOWN_SECONDS)
    finally:
        rabbitmqctl("start_app")
    return round(time.monotonic() - started, 1)


def events_short(database_url: str, turns: List[Turn]) -> Dict[str, Tuple[int, int]]:
    """Conversations with fewer recorded user events than normally answered turns: (recorded, answered)."""
    answered = Counter(turn.sender for turn in turns if turn.outcome == "ok")
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as conn:
            recorded = {sender: int(conn.execute(_USER_EVENTS, {"h": sender_hash(sender)}).scalar() or 0)
                        for sender in answered}
    finally:
        engine.dispose()
    return {sender: (recorded[sender], count) for sender, count in answered.items() if recorded[sender] < count}


def test_rabbitmq_stopped_and_started_under_load(stack: Stack) -> None:
    report = run_fault(stack, "RabbitMQ stopped and started", stop_and_start_rabbitmq, offsets=[6])
    report.assert_clean()
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while (short := events_short(stack.database_url, report.turns)) and time.monotonic() < deadline:
        time.sleep(2)
    assert not short, f"events that never reached conversation_events (recorded, answered): {short}"
