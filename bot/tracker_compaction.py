"""Bounded trackers: the older part of a conversation is archived, the store keeps what the next turns need.

A WeChat citizen keeps one sender id for years, and every turn of Rasa 3.6 reads, replays,
featurises and writes the whole stored tracker: turn latency grew with the conversation (bench
section 4b; a profile showed deserialising, ``applied_events`` walks, the rule states and the
serialising on save, all linear in the number of events). The redacting tracker store therefore
keeps at most about ``keep_events`` events per conversation:

* When a new session starts, the previous sessions are archived whole (session-based loading:
  Rasa's ``SessionStarted`` resets the tracker, so nothing before it decides a prediction; the
  kept part starts at that event, as Rasa's SQL store loads a session).
* When the current session holds more than ``keep_events`` events, the turns before roughly the
  last ``keep_events // 2`` events are archived, and the kept turns are preceded by events that
  restore the state at the cut: the slots that had been set and a paused conversation. Events that
  restore carry :data:`RESTORED_KEY` in their metadata; they are never archived.

Cuts fall only where the assistant was listening (before the ``action_listen`` that precedes a
user message), never inside an active form (Rasa collapses a form's turns back to its trigger
message, so cutting there would change the states the policies see), and keep at least
:data:`MIN_TURNS` turns: the rules (overrides/policies.py) read only the last few states, so the
compacted tracker predicts exactly what the whole one would. Archived events go to the project
database (:mod:`govservice.conversation_archive`), already redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

DEFAULT_KEEP_EVENTS = 120
"""Events kept per conversation before compaction (``keep_events`` in endpoints.yml; 0 turns it off).

A turn adds about six events; the bench (section 4b) measured turn 1,000 against turn 10 with it."""
MIN_TURNS = 3
"""Turns always kept: their states (two or more each) exceed the rule window of the trained
rules (4 states; tests/bot/test_tracker_compaction.py checks it against the model)."""
RESTORED_KEY = "restored_state"
"""Metadata key of the events that restore the state at a cut; they are not history."""


@dataclass
class Compaction:
    """What a save moves out of the tracker store and what it keeps.

    Attributes:
        archived: the events moved to the archive, oldest first (events that restored an earlier
            cut are left out: they were never said or done).
        kept: the events the store keeps, starting with those restoring the state at the cut.
    """

    archived: List[Event]
    kept: List[Event]


def keep_events_setting(value: Any) -> int:
    """``keep_events`` from the endpoint settings (an int, or text from a ``${VAR}``).

    Raises:
        ValueError: not a whole number of at least 0.
    """
    whole = isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).strip().isdigit()
    if not whole:
        raise ValueError(f"tracker_store 的 keep_events 必须是不小于 0 的整数，现在是 {value!r}")
    return int(value)


def is_restoring(event: Event) -> bool:
    """True for an event a compaction added to restore state; it is not part of the history."""
    return bool((event.metadata or {}).get(RESTORED_KEY))


def last_session_start(events: Sequence[Event]) -> int:
    """Index of the ``SessionStarted`` that opened the latest session; 0 without one.

    The ``action_session_start`` before it stays with the previous session: Rasa's SQL store
    loads a session from its ``SessionStarted`` on, so a kept part starting there loads whole.
    """
    for index in range(len(events) - 1, 0, -1):
        if isinstance(events[index], SessionStarted):
            return index
    return 0


def turn_starts(events: Sequence[Event], start: int) -> List[int]:
    """Indices from ``start`` on where the assistant listened for a user message with no form active.

    Each is the ``action_listen`` right before a ``UserUttered``: the turn boundaries where a cut
    leaves complete turns and no form half-way (see the module docstring).
    """
    boundaries: List[int] = []
    active: Optional[str] = None
    for index, event in enumerate(events[:-1]):
        if isinstance(event, ActiveLoop):
            active = event.name
        elif isinstance(event, (SessionStarted, Restarted)):
            active = None
        if (
            index >= start
            and active is None
            and isinstance(event, ActionExecuted)
            and event.action_name == ACTION_LISTEN_NAME
            and isinstance(events[index + 1], UserUttered)
        ):
            boundaries.append(index)
    return boundaries


def cut_index(events: Sequence[Event], keep_events: int) -> int:
    """Where to cut ``events``: everything before the index is archived; 0 to keep all.

    Previous sessions go as soon as a new one starts; within the session, only once it holds more
    than ``keep_events`` events, and then down to about half of it (a cut costs a rewrite, so it
    happens once every few dozen turns), keeping at least :data:`MIN_TURNS` turns.
    """
    if keep_events <= 0:
        return 0
    session = last_session_start(events)
    if len(events) - session <= keep_events:
        return session
    boundaries = turn_starts(events, session + 1)
    # Cutting at the i-th of n boundaries keeps n - i turns: at least MIN_TURNS.
    boundaries = boundaries[: max(0, len(boundaries) - MIN_TURNS + 1)]
    if not boundaries:
        return session
    target = len(events) - keep_events // 2
    fitting = [index for index in boundaries if index >= target]
    return fitting[0] if fitting else boundaries[-1]


def restoring_events(tracker: DialogueStateTracker, at: float) -> List[Event]:
    """Events that bring a fresh tracker to the state of ``tracker``: its set slots and a pause.

    Args:
        tracker: the conversation replayed up to the cut.
        at: the timestamp they carry (the first kept event's, so times stay in order).
    """
    mark = {RESTORED_KEY: True}
    events: List[Event] = [
        SlotSet(name, slot.value, timestamp=at, metadata=dict(mark))
        for name, slot in tracker.slots.items()
        if slot.has_been_set
    ]
    if tracker.is_paused():
        events.append(ConversationPaused(timestamp=at, metadata=dict(mark)))
    return events


def plan(tracker: DialogueStateTracker, keep_events: int) -> Optional[Compaction]:
    """The compaction of ``tracker`` this save should do; None when the tracker stays as it is."""
    events = list(tracker.events)
    cut = cut_index(events, keep_events)
    if cut <= 0:
        return None
    before = tracker.init_copy()
    for event in events[:cut]:
        before.update(event)
    # A cut at a session start needs no restoring: SessionStarted resets the tracker anyway.
    restored = [] if isinstance(events[cut], SessionStarted) else restoring_events(before, events[cut].timestamp)
    archived = [event for event in events[:cut] if not is_restoring(event)]
    return Compaction(archived, restored + events[cut:])
