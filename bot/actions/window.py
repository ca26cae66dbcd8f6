"""The 一窗 adapter: run the window's decision for the latest message and say it.

Every path that used to end in "out of scope", a bare "which item?" or a fallback goes through
:func:`answer`, so a government question always gets its theme, department and related items,
and every miss is queued for staff (redacted in :func:`govservice.faq.unanswered.redact`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.backoffice import catalog
from bot.actions.faq import queue_question, say_answer

__all__ = ["queue_question", "decide", "say", "answer", "unplaced"]
from bot.actions.service_guide import INTENT_ASPECT, service_button
from govservice.catalog.text import normalize, topic_cues
from govservice.faq import search as faq_search
from govservice.faq import service as faq
from govservice.window import decision as window
from govservice.window import text as window_text

SOFT_INTENTS = frozenset({"greet", "goodbye", "thanks", "bot_challenge", "help", "ask_faq"})
"""Intents that say little about a message's subject: the runner-up may be the NLU's real opinion."""


def identify(text: str) -> window.Identified:
    """The catalog's item identification (``Catalog.identify`` once retrieval provides it)."""
    current = catalog()
    identify_fn = getattr(current, "identify", None)
    if identify_fn is not None:
        return identify_fn(text)  # type: ignore[no-any-return]
    normalized = normalize(text)
    mentions = sorted((cue for cue in topic_cues() if cue in normalized), key=len, reverse=True)
    return current.resolve(mentions, text)


def faq_answer(text: str, intent_is_faq: bool = False) -> faq_search.FaqAnswer:
    """The FAQ store's answer to ``text``: the function the console preview calls too."""
    return faq.answer_question(text, intent_is_faq=intent_is_faq)


def nlu_out_of_scope(tracker: Tracker) -> bool:
    """The NLU's out_of_scope: its best guess (below the fallback threshold too), or its runner-up.

    The runner-up counts after a greeting or a general question ("教我用英语说早上好": greet, then
    out_of_scope), intents that say little about a message's subject.
    """
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    ranking = [r.get("name") for r in tracker.latest_message.get("intent_ranking") or []]
    names = [name for name in ranking if name != "nlu_fallback"] or [intent]
    return names[0] == "out_of_scope" or (names[0] in SOFT_INTENTS and names[1:2] == ["out_of_scope"])


def decide(tracker: Tracker, default_aspect: Optional[str] = None) -> window.Decision:
    """The window's decision for the latest message."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = str(tracker.latest_message.get("text") or "")
    return window.decide(
        text,
        identify=identify,
        faq=lambda question: faq_answer(question, intent_is_faq=intent == "ask_faq"),
        nlu_out_of_scope=nlu_out_of_scope(tracker),
        default_aspect=default_aspect or INTENT_ASPECT.get(str(intent), "overview"),
    )


def unplaced(decision: window.Decision) -> bool:
    """True when the window found nothing governmental to answer (greeting, out of scope, fallback)."""
    return decision.kind in (window.FALLBACK, window.OUT_OF_SCOPE, window.GREETING)


def _intent_for(aspect: str) -> str:
    return next((intent for intent, value in INTENT_ASPECT.items() if value == aspect), "apply_service")


def _item_buttons(items: List[Any], aspect: str) -> List[Dict[str, str]]:
    intent = _intent_for(aspect) if aspect != "overview" else "inform_service"
    return [service_button(intent, item.key, item.name) for item in items]


def say(dispatcher: CollectingDispatcher, tracker: Tracker, decision: window.Decision) -> List[Dict[str, Any]]:
    """Utter the decided answer; queue it for staff when it is a miss. Returns the slot events."""
    if decision.is_miss:
        queue_question(tracker, f"window_{decision.kind}")
    reply = window_text.render(decision, list(catalog().items.values()))
    if reply is None:
        if decision.faq is not None and decision.kind == window.FAQ:
            say_answer(dispatcher, decision.faq)
        else:
            response = "utter_greet" if decision.kind == window.GREETING else "utter_out_of_scope"
            dispatcher.utter_message(response=response)
        return []
    buttons = _item_buttons(reply.items, decision.aspect) + ([window_text.HANDOFF_BUTTON] if reply.handoff else [])
    dispatcher.utter_message(text=reply.text, buttons=buttons)
    if decision.kind == window.ITEM and decision.item is not None:
        return [SlotSet("service_item", decision.item.key), SlotSet("service_topic", decision.item.topic),
                SlotSet("service_aspect", decision.aspect)]
    if decision.kind == window.CHOOSE:
        return [SlotSet("service_item", None), SlotSet("service_topic", reply.topic),
                SlotSet("service_aspect", decision.aspect)]
    return [SlotSet("service_aspect", decision.aspect)] if reply.items else []


def answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, default_aspect: Optional[str] = None
) -> List[Dict[str, Any]]:
    """Decide and say, in one call, for the actions that end in the window."""
    return say(dispatcher, tracker, decide(tracker, default_aspect))
