"""Helpers for action tests: trackers built with ``Tracker.from_dict``."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    text: str,
    intent: str,
    entities: List[Dict[str, Any]] | None = None,
    slots: Dict[str, Any] | None = None,
    ranking: List[Dict[str, Any]] | None = None,
    sender_id: str = "test-user",
    events: List[Dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose latest message is ``text`` classified as ``intent``."""
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": slots or {},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.9},
                "entities": entities or [],
                "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
            },
            "events": events if events is not None else [{"event": "user", "text": text, "input_channel": "rest"}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def service(value: str) -> Dict[str, Any]:
    """A ``service`` entity as the NLU pipeline emits it."""
    return {"entity": "service", "value": value, "extractor": "RegexEntityExtractor"}


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    """A fresh dispatcher."""
    return CollectingDispatcher()
