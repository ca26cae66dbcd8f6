"""Deleting conversations from Rasa's tracker store: expired ones, and those citizens asked to delete.

Reads through Rasa's tracker store API (``keys``, ``retrieve_full_tracker``, which our redacting
wrapper answers with the archived history too). Rasa 3.6 has no delete, so
:func:`bot.stored_conversations.delete_conversation` removes the stored conversation in the way of
each store (in-memory, SQL, Redis, Mongo) and its archived history. With a lock store, each
deletion holds the conversation's lock, so it never interleaves with a turn in flight.
"""

from __future__ import annotations

import datetime
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional

import yaml
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.stored_conversations import backing_store, delete_conversation
from govservice import conversation_archive
from govservice.clock import stored
from govservice.db import session_scope
from govservice.privacy import retention

DOMAIN_PATH = Path(__file__).resolve().parent / "domain"


@dataclass
class SweepReport:
    """What one pass over the tracker store did."""

    conversations_checked: int = 0
    conversations_deleted: int = 0
    logged_in_deleted: int = 0
    erased_on_request: int = 0


def _sender(key: object, store: TrackerStore) -> str:
    """A conversation id from ``keys()`` (Redis returns the prefixed key as bytes)."""
    text = key.decode() if isinstance(key, bytes) else str(key)
    if isinstance(store, RedisTrackerStore) and text.startswith(store.key_prefix):
        return text[len(store.key_prefix) :]
    return text


async def conversation_ids(store: TrackerStore) -> List[str]:
    """Every conversation in the store or with archived history only (e.g. a Redis key that expired)."""
    backing = backing_store(store)
    found = {_sender(key, backing) for key in await store.keys()}
    with session_scope() as session:
        found.update(conversation_archive.senders(session))
    return sorted(found)


def last_activity(tracker: DialogueStateTracker) -> Optional[datetime.datetime]:
    """The time of the conversation's latest event, as stored (naive UTC)."""
    if not tracker.events:
        return None
    # Event timestamps are epoch seconds; stored times are naive UTC (govservice.clock).
    latest = max(event.timestamp for event in tracker.events)
    return stored(datetime.datetime.fromtimestamp(latest, datetime.timezone.utc))


def was_logged_in(tracker: DialogueStateTracker) -> bool:
    """True when the citizen logged in at some point of the conversation."""
    return any(isinstance(e, SlotSet) and e.key == "logged_in" and e.value is True for e in tracker.events)


async def _delete(store: TrackerStore, sender: str, lock_store: Optional[LockStore]) -> bool:
    async with AsyncExitStack() as stack:
        if lock_store is not None:
            await stack.enter_async_context(lock_store.lock(sender))
        return await delete_conversation(store, sender)


async def sweep(
    store: TrackerStore, policy: retention.Policy, now: datetime.datetime, lock_store: Optional[LockStore] = None
) -> SweepReport:
    """Delete the conversations that outlived ``policy``."""
    report = SweepReport()
    for sender in await conversation_ids(store):
        tracker = await store.retrieve_full_tracker(sender)
        last = last_activity(tracker) if tracker else None
        if last is None:
            continue
        report.conversations_checked += 1
        logged_in = was_logged_in(tracker)
        if policy.is_expired(last, logged_in, now) and await _delete(store, sender, lock_store):
            report.conversations_deleted += 1
            report.logged_in_deleted += int(logged_in)
    return report


async def erase_requested(store: TrackerStore, now: datetime.datetime, lock_store: Optional[LockStore] = None) -> int:
    """Carry out the conversation deletions citizens asked for; how many were pending."""
    with session_scope() as session:
        pending = retention.pending_erasures(session)
    for _, sender in pending:
        await _delete(store, sender, lock_store)
    with session_scope() as session:
        retention.mark_erased(session, [row_id for row_id, _ in pending], now)
    return len(pending)


async def run(
    store: TrackerStore, policy: retention.Policy, now: datetime.datetime, lock_store: Optional[LockStore] = None
) -> SweepReport:
    """Requested deletions first, then the expired conversations."""
    erased = await erase_requested(store, now, lock_store)
    report = await sweep(store, policy, now, lock_store)
    report.erased_on_request = erased
    return report


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        return os.path.expandvars(value)
    if isinstance(value, dict):
        return {key: _expand(item) for key, item in value.items()}
    return value


def tracker_store_config(endpoints_path: str) -> Optional[EndpointConfig]:
    """The ``tracker_store`` section of an endpoints file, with ``${VAR}`` expanded in it only.

    Rasa's own reader expands the whole file, so it would need every other section's variables
    (``ACTION_SERVER_URL``…) just to find the tracker store.
    """
    with open(endpoints_path, encoding="utf-8") as file:
        section = (yaml.safe_load(file) or {}).get("tracker_store")
    return EndpointConfig.from_dict(_expand(section)) if section else None


async def run_configured(endpoints_path: str, policy: retention.Policy, now: datetime.datetime) -> SweepReport:
    """One pass over the tracker store configured in ``endpoints_path`` (the CLI's way in).

    An in-memory store lives inside the Rasa server: from another process it is empty, so nothing
    is done here and requested deletions stay pending for the server's task (:mod:`connectors.retention`).
    """
    store = create_tracker_store(tracker_store_config(endpoints_path), Domain.load(str(DOMAIN_PATH)))
    if isinstance(backing_store(store), InMemoryTrackerStore):
        return SweepReport()  # requested deletions stay pending for the server's task
    return await run(store, policy, now)
