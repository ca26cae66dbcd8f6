"""Two-stage fallback in Chinese: suggest what the citizen may have meant."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.service_guide import ASPECT_QUESTION, INTENT_ASPECT, resolve_service, service_button

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
