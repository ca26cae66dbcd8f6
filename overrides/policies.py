"""RulePolicy that reads only as much of the conversation as its longest rule can match.

Rasa's RulePolicy turns the whole conversation into states on every prediction (its
``max_history`` is fixed to None), although a rule of L states is only compared with the last L
states of the conversation: ``RulePolicy._is_rule_applicable`` returns True for every turn
further back than the rule's length. The work per turn therefore grew with the conversation
(bench section 4) and was the largest single cost in the Rasa server under load (py-spy,
bench/README.md). This policy computes states only for the last ``window`` prior trackers, where
``window`` exceeds the longest learned rule, so it predicts exactly what RulePolicy predicts.
With ``RASA_OVERRIDES=off`` it is RulePolicy.

It is a Rasa component named in ``config.yml`` (``overrides.policies.WindowedRulePolicy``): it
must import, and be trained, without :func:`overrides.install`.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from overrides import enabled


def rule_window(lookup: Optional[Dict[str, Any]]) -> Optional[int]:
    """One more state than the longest learned rule, or None before training.

    Args:
        lookup: the trained policy's lookup (rule keys are JSON lists of states).

    Returns:
        How many trailing states decide every rule match, or None when there are no rules.
    """
    keys: List[str] = []
    for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
        keys.extend((lookup or {}).get(table) or {})
    if not keys:
        return None
    # One extra state keeps a conversation-start state in view for the longest rule.
    return max(len(json.loads(key)) for key in keys) + 1


def trailing_states(tracker: DialogueStateTracker, domain: Domain, window: int) -> List[State]:
    """The last ``window`` states of ``tracker``, equal to the tail of ``tracker.past_states(domain)``.

    Every prior tracker is still replayed (slots and loops depend on all earlier events), but
    only the last ``window`` are turned into states.
    """
    events: Iterable[Any] = tracker.applied_events()
    total = sum(isinstance(event, ActionExecuted) for event in events) + 1
    first = max(0, total - window)
    states: List[State] = []
    for index, (prior, _) in enumerate(tracker.generate_all_prior_trackers()):
        if index >= first:
            states.append(domain._clean_state(domain.get_active_state(prior)))
    return states


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class WindowedRulePolicy(RulePolicy):
    """RulePolicy with per-turn work bounded by its longest rule (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the policy; a loaded one knows its window from the persisted rules."""
        super().__init__(*args, **kwargs)
        self._window = rule_window(self.lookup)

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[str, Any]] = None,
    ) -> List[State]:
        """Like RulePolicy's, over the last states only; the full history while training or when off."""
        if self._window is None or not enabled():
            return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)
        states = trailing_states(tracker, domain, self._window)
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)  # type: ignore[union-attr]
        return states
