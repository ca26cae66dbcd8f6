"""Deleting conversations from Rasa's tracker store: expired ones, and those citizens asked to delete.

Reads through Rasa's tracker store API (``keys``, ``retrieve_full_tracker``). Rasa 3.6 has no
delete, so :func:`delete_conversation` removes the stored conversation in the way of each store
(in-memory, SQL, Redis, Mongo), behind our redacting wrapper. With a lock store, each deletion
holds the conversation's lock, so it never interleaves with a turn in flight.
"""

from __future__ import annotations

import datetime
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import (
    InMemoryTrackerStore,
    MongoTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
    create_tracker_store,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from govservice import retention
from govservice.clock import stored
from govservice.db import session_scope

DOMAIN_PATH = Path(__file__).resolve().parent / "domain"


@dataclass
class SweepReport:
    """What one pass over the tracker store did."""

    conversations_checked: int = 0
    conversations_deleted: int = 0
    logged_in_deleted: int = 0
    erased_on_request: int = 0


# Wrappers and where they keep the store they wrap: Rasa's FailSafeTrackerStore, our redacting one.
_WRAPPED = ("_tracker_store", "_inner")


def _wrapped(store: TrackerStore) -> Optional[TrackerStore]:
    for attribute in _WRAPPED:
        inner = getattr(store, attribute, None)
        if isinstance(inner, TrackerStore):
            return inner
    return None


def _backing_store(store: TrackerStore) -> TrackerStore:
    """The store that holds the data, under Rasa's fail-safe wrapper and our redacting one."""
    inner = _wrapped(store)
    while inner is not None:
        store, inner = inner, _wrapped(inner)
    return store


def _sender(key: object, store: TrackerStore) -> str:
    """A conversation id from ``keys()`` (Redis returns the prefixed key as bytes)."""
    text = key.decode() if isinstance(key, bytes) else str(key)
    if isinstance(store, RedisTrackerStore) and text.startswith(store.key_prefix):
        return text[len(store.key_prefix) :]
    return text


async def delete_conversation(store: TrackerStore, sender: str) -> bool:
    """Remove every stored event of ``sender``; True when something was stored.

    Raises:
        NotImplementedError: a tracker store this project does not use (e.g. DynamoDB).
    """
    backing = _backing_store(store)
    if isinstance(backing, InMemoryTrackerStore):
        return backing.store.pop(sender, None) is not None
    if isinstance(backing, SQLTrackerStore):
        with backing.session_scope() as session:
            deleted = session.query(backing.SQLEvent).filter(backing.SQLEvent.sender_id == sender).delete()
            session.commit()
        return bool(deleted)
    if isinstance(backing, RedisTrackerStore):
        return bool(backing.red.delete(backing.key_prefix + sender))
    if isinstance(backing, MongoTrackerStore):
        return bool(backing.conversations.delete_one({"sender_id": sender}).deleted_count)
    raise NotImplementedError(f"cannot delete conversations from {type(backing).__name__}")


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
    backing = _backing_store(store)
    for key in list(await store.keys()):
        sender = _sender(key, backing)
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
    if isinstance(_backing_store(store), InMemoryTrackerStore):
        return SweepReport()  # requested deletions stay pending for the server's task
    return await run(store, policy, now)
