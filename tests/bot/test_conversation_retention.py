"""Conversations leave Rasa's tracker store when they expire or when the citizen asks, in every store we use."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any, Dict

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversation_retention import erase_requested, run_configured, sweep
from bot.tracker_store import RedactingTrackerStore
from govservice import conversation_archive
from govservice.db import ensure_schema, session_scope
from govservice.privacy import retention
from govservice.privacy.data_deletion import request_erasure

NOW = datetime.datetime(2026, 3, 2, 10, 0)
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  logged_in:
    type: bool
    influence_conversation: false
    mappings: [{type: custom}]
"""
)


@pytest.fixture(autouse=True)
def _tables() -> None:
    """The back-office tables deletion touches (the erasure queue, the conversation archive).

    The archive starts empty: a sweep also checks history left only there, by other tests too.
    """
    ensure_schema()
    with session_scope() as session:
        session.query(conversation_archive.ArchivedEvent).delete()


def _conversation(sender: str, days_ago: float, logged_in: bool) -> DialogueStateTracker:
    at = (NOW - datetime.timedelta(days=days_ago)).replace(tzinfo=datetime.timezone.utc).timestamp()
    events = [ActionExecuted("action_listen", timestamp=at), UserUttered("你好", {"name": "greet"}, timestamp=at)]
    if logged_in:
        events.append(SlotSet("logged_in", True, timestamp=at))
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


def _stores(tmp_path: Path) -> Dict[str, Any]:
    sql = {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    return {
        "in-memory": lambda: InMemoryTrackerStore(DOMAIN),
        "redacting over in-memory": lambda: RedactingTrackerStore(domain=DOMAIN),
        "redacting over SQL": lambda: RedactingTrackerStore(domain=DOMAIN, inner=sql),
        # What the Rasa server holds: its fail-safe wrapper around the configured store.
        "fail-safe over redacting over SQL": lambda: FailSafeTrackerStore(
            RedactingTrackerStore(domain=DOMAIN, inner=sql)
        ),
    }


@pytest.mark.parametrize(
    "kind", ["in-memory", "redacting over in-memory", "redacting over SQL", "fail-safe over redacting over SQL"]
)
async def test_expired_conversations_go_with_a_shorter_limit_for_logged_in_ones(kind: str, tmp_path: Path) -> None:
    store: TrackerStore = _stores(tmp_path)[kind]()
    ages = {"anon-old": (181, False), "anon-mid": (40, False), "login-old": (31, True), "login-new": (29, True)}
    for sender, (days, logged_in) in ages.items():
        await store.save(_conversation(sender, days, logged_in))
    report = await sweep(store, retention.Policy(days=180, logged_in_days=30), NOW, InMemoryLockStore())
    assert (report.conversations_checked, report.conversations_deleted, report.logged_in_deleted) == (4, 2, 1)
    assert sorted(await store.keys()) == ["anon-mid", "login-new"]


async def test_requested_erasures_are_carried_out_once(catalog, tmp_path: Path) -> None:
    sql = {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "t.db")}
    store = RedactingTrackerStore(domain=DOMAIN, inner=sql)
    gone, kept = f"gone-{uuid.uuid4().hex}", f"kept-{uuid.uuid4().hex}"
    for sender in (gone, kept):
        await store.save(_conversation(sender, 0, True))
    with session_scope() as session:
        request_erasure(session, [gone], NOW)
    assert await erase_requested(store, NOW, InMemoryLockStore()) >= 1
    assert sorted(await store.keys()) == [kept]
    with session_scope() as session:
        assert gone not in [sender for _, sender in retention.pending_erasures(session)]


async def test_an_erasure_request_erases_the_archived_history_too(catalog, tmp_path: Path) -> None:
    sql = {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "t.db")}
    store = RedactingTrackerStore(domain=DOMAIN, inner=sql)
    sender = f"archived-{uuid.uuid4().hex}"
    await store.save(_conversation(sender, 0, True))
    with session_scope() as session:
        said_long_ago = UserUttered("很久以前的话", {"name": "greet"}, timestamp=1.0)
        conversation_archive.append(session, sender, [said_long_ago.as_dict()])
        request_erasure(session, [sender], NOW)
    full = await store.retrieve_full_tracker(sender)
    assert full is not None and full.events[0].as_dict()["text"] == "很久以前的话"
    assert await erase_requested(store, NOW, InMemoryLockStore()) >= 1
    with session_scope() as session:
        assert conversation_archive.events_of(session, sender) == []
    assert await store.retrieve_full_tracker(sender) is None


async def test_history_left_only_in_the_archive_expires_too(tmp_path: Path) -> None:
    store = RedactingTrackerStore(domain=DOMAIN)
    sender = f"only-archived-{uuid.uuid4().hex}"
    old = (NOW - datetime.timedelta(days=200)).replace(tzinfo=datetime.timezone.utc).timestamp()
    with session_scope() as session:
        conversation_archive.append(session, sender, [UserUttered("你好", {"name": "greet"}, timestamp=old).as_dict()])
    await sweep(store, retention.Policy(), NOW)
    with session_scope() as session:
        assert conversation_archive.events_of(session, sender) == []


async def test_the_cli_path_reads_the_sql_store_of_an_endpoints_file(catalog, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "action_endpoint:\n  url: ${NOT_SET_ANYWHERE}\n"
        "tracker_store:\n  type: bot.tracker_store.RedactingTrackerStore\n"
        f"  inner:\n    type: SQL\n    dialect: sqlite\n    db: {db}\n"
    )
    store = RedactingTrackerStore(domain=DOMAIN, inner={"type": "SQL", "dialect": "sqlite", "db": str(db)})
    await store.save(_conversation("cli-old", 200, False))
    await store.save(_conversation("cli-new", 1, False))
    report = await run_configured(str(endpoints), retention.Policy(), NOW)
    assert report.conversations_deleted == 1 and list(await store.keys()) == ["cli-new"]
