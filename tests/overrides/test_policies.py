"""WindowedRulePolicy reads the same trailing states as RulePolicy, only those, and predicts what it predicts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from govservice.settings import reload as reload_settings
from overrides import SWITCH
from overrides.policies import WindowedRulePolicy, rule_window, trailing_states

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


def _policies(lookup: dict) -> tuple[WindowedRulePolicy, RulePolicy]:
    """Our policy and Rasa's, loaded with the same learned rules."""
    storage, context = LocalModelStorage(Path(tempfile.mkdtemp())), ExecutionContext(GraphSchema({}), "policy-test")
    config = {**RulePolicy.get_default_config(), "core_fallback_threshold": 0.3, "enable_fallback_prediction": True}
    ours = WindowedRulePolicy(config, storage, Resource("windowed"), context, lookup=lookup)
    return ours, RulePolicy(config, storage, Resource("rule"), context, lookup=lookup)


GREET_RULE = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
"""A rule of one state, anywhere in a conversation: greet is answered with utter_greet."""
GREET_LOOKUP = {RULES: {json.dumps(GREET_RULE): "utter_greet"}, RULES_FOR_LOOP_UNHAPPY_PATH: {}}


@pytest.mark.parametrize("switch", ["on", "off"])
@pytest.mark.parametrize("turns", [0, 5, 30])
def test_predictions_equal_rulepolicys_on_and_off(monkeypatch: pytest.MonkeyPatch, switch: str, turns: int) -> None:
    monkeypatch.setenv(SWITCH, switch)
    reload_settings()
    tracker = _long_conversation(turns)
    tracker.update(UserUttered("你好", {"name": "greet", "confidence": 0.9}), DOMAIN)
    ours, rasas = _policies(GREET_LOOKUP)
    predicted = ours.predict_action_probabilities(tracker, DOMAIN)
    expected = rasas.predict_action_probabilities(tracker, DOMAIN)
    assert predicted.probabilities == expected.probabilities
    for field in ("events", "optional_events", "is_no_user_prediction", "hide_rule_turn", "action_metadata"):
        assert getattr(predicted, field) == getattr(expected, field)
    # The rule answers unless the login form (opened at turn 3, closed at turn 5) holds the turn.
    best = DOMAIN.action_names_or_texts[predicted.probabilities.index(max(predicted.probabilities))]
    assert best == ("login_form" if tracker.active_loop_name else "utter_greet")


@pytest.mark.parametrize("turns", [0, 5, 30])
def test_states_are_the_window_when_on_and_rasas_whole_history_when_off(
    monkeypatch: pytest.MonkeyPatch, turns: int
) -> None:
    tracker = _long_conversation(turns)
    ours, rasas = _policies(GREET_LOOKUP)
    full = rasas._prediction_states(tracker, DOMAIN)
    monkeypatch.setenv(SWITCH, "on")
    reload_settings()
    assert ours._prediction_states(tracker, DOMAIN) == full[-2:]  # the rule has 1 state, the window 2
    monkeypatch.setenv(SWITCH, "off")
    reload_settings()
    assert ours._prediction_states(tracker, DOMAIN) == full
