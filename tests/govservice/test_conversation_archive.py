"""The archive keeps each conversation's older events in order, reads them back and deletes them."""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from govservice import conversation_archive
from govservice.db import session_scope
from govservice.seed import init_db

STAMP = datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.timezone.utc).timestamp()  # 03-02 00:30 in Shanghai


@pytest.fixture()
def session(tmp_path) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/archive.db"
    init_db(url, imported=[])
    with session_scope(url) as s:
        yield s


def _events(sender: str, count: int) -> list:
    return [{"event": "user", "text": f"{sender}-{i}", "timestamp": STAMP + i} for i in range(count)]


def test_appends_keep_the_order_per_conversation_and_deletes_take_one_conversation(session: Session) -> None:
    conversation_archive.append(session, "a", _events("a", 3))
    conversation_archive.append(session, "b", _events("b", 2))
    conversation_archive.append(session, "a", _events("a", 5)[3:])
    assert [e["text"] for e in conversation_archive.events_of(session, "a")] == [f"a-{i}" for i in range(5)]
    assert conversation_archive.senders(session) == ["a", "b"]
    assert conversation_archive.delete(session, "a") == 5
    assert conversation_archive.events_of(session, "a") == [] and len(conversation_archive.events_of(session, "b")) == 2


def test_transcript_lines_name_citizen_bot_and_agent_in_shanghai_time() -> None:
    events = [
        {"event": "user", "text": "你好", "timestamp": STAMP},
        {"event": "action", "name": "utter_greet", "timestamp": STAMP},
        {"event": "bot", "text": "您好", "timestamp": STAMP},
        {"event": "bot", "text": "我是客服", "metadata": {conversation_archive.AGENT_KEY: "小王"}, "timestamp": STAMP},
        {"event": "bot", "text": "  ", "timestamp": STAMP},
    ]
    assert conversation_archive.transcript(events, "%Y-%m-%d %H:%M") == [
        {"who": "citizen", "text": "你好", "time": "2026-03-02 00:30"},
        {"who": "bot", "text": "您好", "time": "2026-03-02 00:30"},
        {"who": "agent", "text": "我是客服", "time": "2026-03-02 00:30"},
    ]
