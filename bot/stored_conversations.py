"""What Rasa 3.6's tracker stores cannot do for us: delete and rewrite one conversation.

Rasa's stores only append (SQL) or overwrite with a merge (Redis). Retention deletes
conversations, and compaction (:mod:`bot.tracker_compaction`) replaces a long conversation by
its kept part, so both work on the store that holds the data, under Rasa's fail-safe wrapper and
our redacting one, in the way of each store (in-memory, SQL, Redis; Mongo for deletion). The
archived history in the project database (:mod:`govservice.conversation_archive`) is deleted with
the conversation.
"""

from __future__ import annotations

import json
from typing import Optional

from rasa.core.tracker_store import (
    InMemoryTrackerStore,
    MongoTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from govservice import conversation_archive
from govservice.db import session_scope

# Wrappers and where they keep the store they wrap: Rasa's fail-safe and awaitable ones, our redacting one.
_WRAPPED = ("_tracker_store", "_inner")
REWRITABLE = (InMemoryTrackerStore, SQLTrackerStore, RedisTrackerStore)
"""Stores :func:`replace_conversation` can rewrite."""


def _wrapped(store: TrackerStore) -> Optional[TrackerStore]:
    for attribute in _WRAPPED:
        inner = getattr(store, attribute, None)
        if isinstance(inner, TrackerStore):
            return inner
    return None


def backing_store(store: TrackerStore) -> TrackerStore:
    """The store that holds the data, under any wrappers."""
    inner = _wrapped(store)
    while inner is not None:
        store, inner = inner, _wrapped(inner)
    return store


def _delete_stored(backing: TrackerStore, sender: str) -> bool:
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


async def delete_conversation(store: TrackerStore, sender: str) -> bool:
    """Remove every stored event of ``sender`` and its archived history; True when something was kept.

    Raises:
        NotImplementedError: a tracker store this project does not use (e.g. DynamoDB).
    """
    stored = _delete_stored(backing_store(store), sender)
    with session_scope() as session:
        archived = conversation_archive.delete(session, sender)
    return stored or archived > 0


def _sql_rewrite(backing: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    """Delete and write the conversation in one transaction, rows as Rasa's ``SQLTrackerStore.save`` makes them."""
    with backing.session_scope() as session:
        session.query(backing.SQLEvent).filter(backing.SQLEvent.sender_id == tracker.sender_id).delete()
        for event in tracker.events:
            data = event.as_dict()
            session.add(
                backing.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
            )
        session.commit()


def replace_conversation(store: TrackerStore, tracker: DialogueStateTracker) -> None:
    """Store ``tracker`` as the whole conversation of its sender, in place of what was stored.

    Event brokers are not told: nothing new happened (the caller streams a turn's new events).

    Raises:
        NotImplementedError: a store outside :data:`REWRITABLE`.
    """
    backing = backing_store(store)
    if isinstance(backing, SQLTrackerStore):
        _sql_rewrite(backing, tracker)
    elif isinstance(backing, RedisTrackerStore):
        # A plain SET: Rasa's save would merge the old events back in.
        key = backing.key_prefix + tracker.sender_id
        backing.red.set(key, backing.serialise_tracker(tracker), ex=backing.record_exp)
    elif isinstance(backing, InMemoryTrackerStore):
        backing.store[tracker.sender_id] = backing.serialise_tracker(tracker)
    else:
        raise NotImplementedError(f"cannot rewrite conversations in {type(backing).__name__}")
