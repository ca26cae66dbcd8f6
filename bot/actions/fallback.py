"""Where a message ends when no rule answers it outright: the FAQ, the window, the fallback.

``ask_faq``, ``nlu_fallback``, ``out_of_scope`` and ``greet`` all go through the window's decision
(:mod:`bot.actions.window`), so a government question the NLU misread is still answered or
routed, and only a message with no government signal at all is called out of scope.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import window as window_action
from bot.actions.faq import NOT_FOUND, answer_from_store, queue_question, say_answer
from bot.actions.service_guide import ASPECT_QUESTION, INTENT_ASPECT, resolve_service, service_button
from govservice.window import decision

MAX_SUGGESTIONS = 3
# Intents worth suggesting back; chit-chat ones would be an odd "did you mean".
SUGGESTIBLE = set(INTENT_ASPECT) | {"help"}


class ActionAskAffirmation(Action):
    """Replace Rasa's English default with "您是不是想问" and up to three choices."""

    def name(self) -> str:
        """Name registered with Rasa; overrides the built-in default action."""
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Offer the top intents, about the service in context when there is one."""
        ranking = tracker.latest_message.get("intent_ranking") or []
        intents = [r["name"] for r in ranking if r.get("name") in SUGGESTIBLE][:MAX_SUGGESTIONS]
        item = resolve_service(tracker).item
        buttons = []
        for intent in intents:
            if intent == "help":
                buttons.append({"title": "我能办哪些事", "payload": "/help"})
            elif item is not None:
                title = f"{item.name}：{ASPECT_QUESTION[INTENT_ASPECT[intent]]}"
                buttons.append(service_button(intent, item.key, title))
            else:
                buttons.append({"title": ASPECT_QUESTION[INTENT_ASPECT[intent]], "payload": f"/{intent}"})
        buttons.append({"title": "都不是", "payload": "/deny"})
        dispatcher.utter_message(text="抱歉，我不太确定您的意思。您是不是想问：", buttons=buttons)
        return []


class ActionAnswerFaq(Action):
    """A general question (实名认证, 忘记密码, 大厅时间…) or a picked suggestion."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """A picked entry; else the window (item, FAQ, routing, policy); the store's "none" is queued."""
        if str(tracker.latest_message.get("text") or "").startswith("/"):
            answer = answer_from_store(tracker, intent_is_faq=True)
            if not say_answer(dispatcher, answer):
                dispatcher.utter_message(text=NOT_FOUND)
            return []
        chosen = window_action.decide(tracker)
        if chosen.kind in (decision.FALLBACK, decision.GREETING):
            queue_question(tracker, "fallback")
            dispatcher.utter_message(text=NOT_FOUND)
            return []
        return window_action.say(dispatcher, tracker, chosen)


class ActionFaqFallback(Action):
    """Low NLU confidence: the window decides; with no government signal, Rasa's two-stage fallback."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_faq_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Every question the assistant could not answer confidently is queued for the editors."""
        chosen = window_action.decide(tracker)
        if chosen.kind == decision.FALLBACK:
            queue_question(tracker, "fallback")
            return [FollowupAction("action_two_stage_fallback")]
        return window_action.say(dispatcher, tracker, chosen)


class ActionOutOfScope(Action):
    """The NLU says out of scope; the window checks for any government signal first."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """An item, FAQ answer, routing or policy reply when the message is governmental, else out of scope."""
        return window_action.answer(dispatcher, tracker)


class ActionGreet(Action):
    """A greeting, or a request behind a greeting ("您好，在线办理居住证"), which is the request."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """The greeting reply unless the message carries a question (government or, per the NLU, not)."""
        chosen = window_action.decide(tracker)
        if chosen.kind == decision.FALLBACK:
            dispatcher.utter_message(response="utter_greet")
            return []
        return window_action.say(dispatcher, tracker, chosen)
