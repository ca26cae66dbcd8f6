"""WindowedRulePolicy reads the same trailing states as RulePolicy, and only those."""

from __future__ import annotations

import json

import pytest
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies import rule_window, trailing_states

DOMAIN = Domain.load("bot/domain")


def _turn(intent: str, *actions: str) -> list:
    user = UserUttered("x", {"name": intent, "confidence": 0.9})
    return [user, *(ActionExecuted(action) for action in actions), ActionExecuted("action_listen")]


def _long_conversation(turns: int) -> DialogueStateTracker:
    """A conversation with slots, a login form that opens and closes, and many turns."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for i in range(turns):
        events += _turn("greet", "utter_greet")
        if i == 3:
            events += [
                UserUttered("我有哪些证照", {"name": "query_certificates", "confidence": 0.9}),
                ActionExecuted("action_remember_request"),
                ActionExecuted("login_form"),
                ActiveLoop("login_form"),
                SlotSet("requested_slot", "login_id"),
                ActionExecuted("action_listen"),
            ]
        if i == 5:
            events += [ActiveLoop(None), SlotSet("logged_in", True), SlotSet("requested_slot", None)]
    return DialogueStateTracker.from_events("policy-test", events, DOMAIN.slots)


@pytest.mark.parametrize("turns", [0, 2, 4, 30])
@pytest.mark.parametrize("window", [1, 4, 9])
def test_trailing_states_are_the_tail_of_all_past_states(turns: int, window: int) -> None:
    tracker = _long_conversation(turns)
    full = tracker.past_states(DOMAIN)
    assert trailing_states(tracker, DOMAIN, window) == full[-window:]


def test_the_window_is_one_more_than_the_longest_rule() -> None:
    rule = json.dumps([{}, {"prev_action": {"action_name": "action_listen"}}, {"user": {"intent": "greet"}}])
    loop_rule = json.dumps([{}, {}])
    assert rule_window({RULES: {rule: "utter_greet"}, RULES_FOR_LOOP_UNHAPPY_PATH: {loop_rule: "x"}}) == 4
    assert rule_window(None) is None and rule_window({RULES: {}}) is None
