"""A tracker store wrapper that redacts ID numbers, phones and one-time codes before saving.

Actions see the raw values during the turn in which the citizen typed them; what is
persisted (in memory, SQL or Redis) never holds them. Configure in ``endpoints.yml``::

    tracker_store:
      type: bot.tracker_store.RedactingTrackerStore
      inner:            # optional: the real store; in-memory when omitted
        type: SQL
        dialect: sqlite
        db: var/tracker.db
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Set

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_patches import install_rasa_patches
from govservice.masking import install_log_redaction, redact_text

# Slots filled from the citizen's raw text during login; their raw values are secrets.
SENSITIVE_SLOTS = {"login_id", "login_code", "login_rep_id", "company_code"}
CODE_MASK = "******"


_SECRET_TOKEN = re.compile(r"[0-9A-Za-z]{4,}")


def _sensitive_values(events: List[Dict[str, Any]]) -> Set[str]:
    """Digit/letter runs typed into login slots: codes, and numbers too mangled to look like IDs."""
    values = set()
    for event in events:
        if event.get("event") == "slot" and event.get("name") in SENSITIVE_SLOTS:
            value = event.get("value")
            if isinstance(value, str) and "*" not in value:  # masked values are already safe
                values.update(_SECRET_TOKEN.findall(value))
    return values


def _scrub(value: Any, secrets: Iterable[str]) -> Any:
    if isinstance(value, str):
        value = redact_text(value)
        for secret in secrets:
            value = value.replace(secret, CODE_MASK)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    return value


def redact_events(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Return serialized events with every sensitive value masked.

    Raw values typed into login slots are replaced wherever they occur (the user's text,
    parse data, slot events); ID numbers, phone numbers and credit codes are masked anywhere.
    """
    secrets = sorted(_sensitive_values(events), key=len, reverse=True)
    return [_scrub(event, secrets) for event in events]


# Set on trackers this store hands out or saves: how many leading events are already redacted.
_CHECKED_ATTR = "_redacted_upto"


def _is_clean(events: List[Dict[str, Any]], secrets: Iterable[str]) -> bool:
    """True when redaction would change nothing in ``events`` (only a turn's new events: cheap)."""
    return _scrub(events, list(secrets)) == events


def redacted_copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """``tracker`` with no sensitive values: the tracker itself when it holds none, else a copy.

    Events this store loaded or saved before are already redacted, so a turn only checks the
    events it added; most turns add nothing sensitive and need no copy.
    """
    events = list(tracker.events)
    start = min(getattr(tracker, _CHECKED_ATTR, 0), len(events))
    new_events = [event.as_dict() for event in events[start:]]
    secrets = _sensitive_values(new_events)
    if _is_clean(new_events, secrets):
        return tracker
    redacted = redact_events([event.as_dict() for event in events])
    return DialogueStateTracker.from_dict(
        tracker.sender_id, redacted, list(tracker.slots.values()), tracker._max_event_history
    )


class RedactingTrackerStore(TrackerStore):
    """Wraps any Rasa tracker store and saves only redacted trackers."""

    def __init__(
        self,
        host: Optional[str] = None,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        inner: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        """Create the wrapped store from the ``inner`` endpoint settings."""
        install_log_redaction()
        install_rasa_patches()
        inner_config = EndpointConfig.from_dict(inner) if inner else None
        self._inner = create_tracker_store(inner_config, domain, event_broker)
        super().__init__(domain, event_broker, **kwargs)

    @property
    def domain(self) -> Domain:
        """The wrapped store's domain."""
        return self._inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        self._inner.domain = domain or Domain.empty()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Persist a redacted copy."""
        clean = redacted_copy(tracker)
        await self._inner.save(clean)
        if clean is tracker:  # a tracker that still holds raw values must be checked again next time
            setattr(tracker, _CHECKED_ATTR, len(tracker.events))

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """Load from the wrapped store; everything loaded was redacted when saved."""
        tracker = await self._inner.retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, _CHECKED_ATTR, len(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """Load every session from the wrapped store."""
        return await self._inner.retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[str]:
        """Conversation ids in the wrapped store."""
        return await self._inner.keys()
