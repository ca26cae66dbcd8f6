"""A tracker store wrapper that redacts login answers, ID numbers, phones and codes before saving.

Actions see the raw values during the turn in which the citizen typed them; what is
persisted (in memory, SQL or Redis) never holds them. Configure in ``endpoints.yml``::

    tracker_store:
      type: bot.tracker_store.RedactingTrackerStore
      keep_events: 120  # optional: events kept per conversation, older ones archived (0: keep all)
      inner:            # optional: the real store; in-memory when omitted
        type: SQL
        dialect: sqlite
        db: var/tracker.db

Redaction is structural: it rewrites the texts people typed and the values of slots, never a
name or a key (an event type, an intent, an action, form or slot name), so a stored conversation
always goes on. Three rules:

* A message typed while a slot of :data:`SENSITIVE_SLOTS` is requested (an ID number, a name, a
  credit code, a one-time code, a contact) is hidden as a whole: its text, the text in its parse
  data and its entity values become :data:`HIDDEN`, whatever was typed.
* A value of those slots is hidden unless it is already a mask set by the action
  (``110105********002X``, ``张*``); the raw copy Rasa extracts from the text is always hidden.
* Every other text (messages, entity values, message metadata, bot replies, slot values) goes
  through :func:`govservice.identity.masking.redact_text`: ID numbers, credit codes and mobiles in any
  typed form, and 6-digit numbers after a code word.

It also keeps each stored conversation bounded (:mod:`bot.tracker_compaction`): older turns and
sessions move, redacted, to the archive in the project database, and ``retrieve_full_tracker``
answers with the archived history followed by the stored events.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore, create_tracker_store
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import tracker_compaction
from bot.stored_conversations import REWRITABLE, backing_store, replace_conversation
from govservice import conversation_archive
from govservice.identity.masking import redact_text

logger = logging.getLogger(__name__)

SENSITIVE_SLOTS = frozenset({"login_id", "login_name", "company_code", "login_rep_id", "login_code", "handoff_contact"})
"""Slots filled from the raw text of a prompt whose every answer is personal: the slots of the
login forms (bot/domain/identity.yml; a test checks none is missing) and the handoff contact
(a phone or e-mail address, read by the action in the turn it is typed)."""
HIDDEN = "（已隐去）"
"""What is stored instead of a message typed at a sensitive prompt, and of a raw sensitive value."""

# What the login actions store in a sensitive slot: a mask with at most 6 characters before the
# stars and 4 after (110105********002X, 913501********0Y43, 张*, ******).
_MASK_SHAPE = re.compile(r"[^*]{0,6}\*+[^*]{0,4}")
_STATE_RESETS = ("session_started", "restart", "reset_slots")


def _redacted(value: Any) -> Any:
    """``value`` with every string inside passed through ``redact_text``; keys are kept."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _hidden(value: Any) -> Any:
    """A typed value replaced as a whole; None and booleans say nothing and are kept."""
    return value if value is None or isinstance(value, bool) else HIDDEN


def _apply(mapping: Dict[str, Any], rules: Dict[str, Callable[[Any], Any]]) -> Dict[str, Any]:
    """``mapping`` with each rule applied to the value of its key; other keys as they are."""
    return {key: rules[key](value) if key in rules else value for key, value in mapping.items()}


def _entities(entities: Any, hide: bool) -> Any:
    """Entities with their values (and any matched text) hidden or redacted; entity names kept."""
    if not isinstance(entities, list):
        return entities
    clean = _hidden if hide else _redacted
    rules: Dict[str, Callable[[Any], Any]] = {"value": clean, "text": clean}
    return [_apply(entity, rules) if isinstance(entity, dict) else entity for entity in entities]


def _redact_event(event: Dict[str, Any], hide: bool, typed: Any) -> Dict[str, Any]:
    """One serialized event with its texts and values redacted; names and keys are never touched.

    Args:
        event: the serialized event.
        hide: a user message is hidden as a whole (it was typed at a sensitive prompt).
        typed: the text of the latest user message: a sensitive slot holding exactly that is the
            raw copy Rasa extracted, even when it looks like a mask.
    """
    kind = event.get("event")
    if kind == "user":
        text = _hidden if hide else _redacted
        parse_rules = {"text": text, "entities": lambda entities: _entities(entities, hide), "metadata": _redacted}
        return _apply(
            event,
            {
                "text": text,
                "metadata": _redacted,
                "parse_data": lambda parse: _apply(parse, parse_rules) if isinstance(parse, dict) else parse,
            },
        )
    if kind == "slot":
        value = event.get("value")
        if event.get("name") not in SENSITIVE_SLOTS:
            return _apply(event, {"value": _redacted})
        if isinstance(value, str) and _MASK_SHAPE.fullmatch(value) and value != typed:
            return event
        return _apply(event, {"value": _hidden})
    if kind == "entities":
        return _apply(event, {"entities": lambda entities: _entities(entities, False)})
    if kind in ("bot", "agent"):
        return _apply(event, {"text": _redacted, "data": _redacted})
    if kind == "action":
        return _apply(event, {"action_text": _redacted})
    return event


def _redact_from(events: Iterable[Dict[str, Any]], requested: Optional[str]) -> List[Dict[str, Any]]:
    """Redact ``events``; ``requested`` is the slot requested before the first of them."""
    result, typed = [], None
    for event in events:
        kind = event.get("event")
        result.append(_redact_event(event, isinstance(requested, str) and requested in SENSITIVE_SLOTS, typed))
        if kind == "user":
            typed = event.get("text")
        elif kind == "slot" and event.get("name") == REQUESTED_SLOT:
            requested = event.get("value")
        elif kind in _STATE_RESETS:
            requested = None
    return result


def redact_events(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Return serialized events (a whole conversation, from its start) with every sensitive value masked."""
    return _redact_from(events, None)


# Set on trackers this store hands out or saves: how many leading events are already redacted,
# and the slot requested after them (messages typed while a login slot is requested are hidden).
_CHECKED_ATTR = "_redaction_checkpoint"
# Set on a tracker whose older events a save archived: how many, so saving it again archives no event twice.
_ARCHIVED_ATTR = "_archived_events"


def _requested_slot(tracker: DialogueStateTracker) -> Optional[str]:
    slot = tracker.slots.get(REQUESTED_SLOT)
    return slot.value if slot is not None else None


def _checkpoint(tracker: DialogueStateTracker) -> Tuple[int, Optional[str]]:
    return len(tracker.events), _requested_slot(tracker)


def redacted_copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """``tracker`` with no sensitive values: the tracker itself when it holds none, else a copy.

    Events this store loaded or saved before are already redacted, so a turn only checks the
    events it added; most turns add nothing sensitive and need no copy.
    """
    events = list(tracker.events)
    start, requested = getattr(tracker, _CHECKED_ATTR, (0, None))
    if start > len(events):  # events were dropped (max_event_history): check them all
        start, requested = 0, None
    new_events = [event.as_dict() for event in events[start:]]
    redacted = _redact_from(new_events, requested)
    if redacted == new_events:
        return tracker
    kept: List[Event] = events[:start]
    kept += [Event.from_parameters(event) for event in redacted]
    return DialogueStateTracker.from_events(
        tracker.sender_id, kept, list(tracker.slots.values()), tracker.events.maxlen
    )


class RedactingTrackerStore(TrackerStore):
    """Wraps any Rasa tracker store and saves only redacted trackers."""

    def __init__(
        self,
        host: Optional[str] = None,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        inner: Optional[Dict[str, Any]] = None,
        keep_events: Any = tracker_compaction.DEFAULT_KEEP_EVENTS,
        **kwargs: Any,
    ) -> None:
        """Create the wrapped store from the ``inner`` endpoint settings.

        Only the inner store gets the event broker: it publishes what it saves, which is
        redacted. The wrapper keeps none, because Rasa's ``FailSafeTrackerStore`` gives the
        wrapper's broker to its in-memory fallback, which would publish the raw tracker while the
        inner store is down.

        Args:
            host: unused (Rasa passes the endpoint's ``url``).
            domain: the assistant's domain.
            event_broker: given to the wrapped store only, which publishes the redacted events.
            inner: endpoint settings of the wrapped store; in-memory when omitted.
            keep_events: events kept per conversation before older turns are archived; 0 keeps all.
            kwargs: passed on to Rasa's ``TrackerStore``.

        Raises:
            ValueError: ``keep_events`` is not a whole number of at least 0.
        """
        inner_config = EndpointConfig.from_dict(inner) if inner else None
        self._inner = create_tracker_store(inner_config, domain, event_broker)
        self.keep_events = tracker_compaction.keep_events_setting(keep_events)
        if self.keep_events and not isinstance(backing_store(self._inner), REWRITABLE):
            logger.warning("keep_events is ignored: %s cannot be rewritten", type(backing_store(self._inner)).__name__)
            self.keep_events = 0
        super().__init__(domain, None, **kwargs)

    @property
    def inner(self) -> TrackerStore:
        """The wrapped store."""
        return self._inner

    @property
    def domain(self) -> Domain:
        """The wrapped store's domain."""
        return self._inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        self._inner.domain = domain or Domain.empty()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Persist a redacted copy, compacted when it outgrew ``keep_events``."""
        clean = redacted_copy(tracker)
        compaction = tracker_compaction.plan(clean, self.keep_events)
        if compaction is None:
            await self._inner.save(clean)
        else:
            await self._compact(clean, compaction, getattr(tracker, _ARCHIVED_ATTR, 0))
            setattr(tracker, _ARCHIVED_ATTR, len(compaction.archived))
        if clean is tracker:  # a tracker that still holds raw values must be checked again next time
            setattr(tracker, _CHECKED_ATTR, _checkpoint(tracker))

    async def _compact(
        self, tracker: DialogueStateTracker, compaction: tracker_compaction.Compaction, already: int
    ) -> None:
        """Archive the older events, then store the kept ones in place of the conversation.

        The archive is written first: a failure in between leaves events both archived and
        stored (shown twice), never lost.

        Args:
            tracker: the redacted tracker being saved.
            compaction: what to archive and keep.
            already: how many of ``compaction.archived`` an earlier save of this tracker archived.
        """
        await self._inner.stream_events(tracker)  # the turn's new events, as a plain save would
        events = [event.as_dict() for event in compaction.archived[already:]]
        await asyncio.to_thread(conversation_archive.archive, tracker.sender_id, events)
        kept = tracker.init_copy()
        for event in compaction.kept:
            kept.update(event)
        replace_conversation(self._inner, kept)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """Load from the wrapped store; everything loaded was redacted when saved."""
        tracker = await self._inner.retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, _CHECKED_ATTR, _checkpoint(tracker))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """The whole conversation: the archived history, then every stored session.

        Events that only restored state after a compaction are left out: with them gone, the
        archived and the stored events are the conversation as it happened, each event once.
        """
        stored = await self._inner.retrieve_full_tracker(conversation_id)
        archived = await asyncio.to_thread(conversation_archive.archived, conversation_id)
        if not archived:
            return stored
        events = [Event.from_parameters(event) for event in archived]
        if stored is not None:
            events += [event for event in stored.events if not tracker_compaction.is_restoring(event)]
        return DialogueStateTracker.from_events(conversation_id, events, self.domain.slots)

    async def keys(self) -> Iterable[str]:
        """Conversation ids in the wrapped store."""
        return await self._inner.keys()
