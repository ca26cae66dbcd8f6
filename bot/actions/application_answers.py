"""Reading a citizen's answers inside the application form: yes/no, questions and materials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.backoffice import catalog
from bot.actions.service_guide import INTENT_ASPECT, resolve_service, service_mentions
from govservice.applications import service as applications
from govservice.catalog import guide, lexicon
from govservice.faq import search as faq_search
from govservice.faq import service as faq

if TYPE_CHECKING:  # annotations only: items come from the in-memory catalog, never from a session here
    from govservice.catalog.models import ServiceItem

MIN_CONFIDENCE = 0.5


def latest_intent(tracker: Tracker) -> Tuple[Optional[str], float]:
    """The latest message's intent name and confidence."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def said_yes(tracker: Tracker) -> bool:
    """The latest message agrees ("确认", "符合", the affirm intent)."""
    name, confidence = latest_intent(tracker)
    return (name == "affirm" and confidence >= MIN_CONFIDENCE) or lexicon.is_affirmative(_text(tracker))


def said_no(tracker: Tracker) -> bool:
    """The latest message declines."""
    name, confidence = latest_intent(tracker)
    return (name == "deny" and confidence >= MIN_CONFIDENCE) or lexicon.is_negative(_text(tracker))


def wants_to_stop(tracker: Tracker) -> bool:
    """True for “不办了” typed where an address or a file was expected (the NLU may call it deny)."""
    return lexicon.wants_to_stop(_text(tracker))


UNPLACED_INTENTS = frozenset({"nlu_fallback", "ask_faq", "help", "bot_challenge"})
"""Intents of a question the guide cannot place on one aspect: the FAQ store is asked first."""


def _question_aspect(tracker: Tracker) -> Optional[str]:
    """The guide aspect a question asks for; "" for a question the NLU cannot place; None for no question.

    Only a message worded as a question counts (lexicon ``question_marks``): an ID number, a name
    or "符合" is an answer even when the classifier guesses a question intent.
    """
    name, confidence = latest_intent(tracker)
    if name == "apply_service" or not lexicon.is_question(_text(tracker)):
        return None
    if name in INTENT_ASPECT and confidence >= MIN_CONFIDENCE:
        return INTENT_ASPECT[name]
    if name in UNPLACED_INTENTS or name in INTENT_ASPECT or name == "out_of_scope":
        return ""
    return None


def _current_item(tracker: Tracker, plan: Mapping[str, Any]) -> Optional[ServiceItem]:
    """The item being applied for, else the item of the application a login will resume."""
    pending = str(tracker.get_slot("pending_request") or "").split("|")
    remembered = pending[1] if pending[0] == "apply_service" and len(pending) > 1 else None
    for key in (plan.get("item_key"), remembered):
        item = catalog().get(key) if key else None
        if item is not None:
            return item
    return None


def _answer_unplaced(dispatcher: CollectingDispatcher, tracker: Tracker, item: Optional[ServiceItem]) -> None:
    """A question the NLU could not place ("男的能领吗"): the FAQ store, else the item's guide."""
    text = _text(tracker)
    name, confidence = latest_intent(tracker)
    if name == "out_of_scope" and confidence >= MIN_CONFIDENCE:
        dispatcher.utter_message(response="utter_out_of_scope")
        return
    found = faq.answer_question(text, intent_is_faq=name == "ask_faq")
    if found.kind == faq_search.ANSWER:
        dispatcher.utter_message(text=found.text)
    elif item is not None:
        aspect = "conditions" if lexicon.has_any(text, "eligibility") else "overview"
        dispatcher.utter_message(text=guide.answer(item, aspect))
    else:
        dispatcher.utter_message(text=guide.which_item_question([]))
        # An unresolved "which item?" goes to the unanswered queue, so staff see the gap. Imported
        # here: bot.actions.faq imports this module through my_applications.
        from bot.actions.faq import queue_question

        queue_question(tracker, "fallback")


def interrupting_question(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    plan: Mapping[str, Any],
    resume: str = "好的，我们继续刚才的申请：",
) -> bool:
    """Answer a question asked at a form's prompt; True when the message was such a question.

    The question is about the item named in it, else the item being applied for (or the one a
    login will resume), else the item under discussion; when none is known (or the name fits
    several items) the citizen is asked to name it. A question the NLU cannot place on an aspect
    is looked up in the FAQ store, else answered from the item's guide. Either way it is never
    taken as an answer to the form, which then asks its question again.

    Args:
        dispatcher: where the answer goes.
        tracker: the conversation; its latest message is the candidate question.
        plan: the application plan (``item_key``), or empty outside an application.
        resume: said after the answer, before the form asks its question again.
    """
    aspect = _question_aspect(tracker)
    if aspect is None:
        return False
    text = _text(tracker)
    mentions = service_mentions(tracker)
    current = _current_item(tracker, plan)
    item, candidates = current, []
    if mentions:
        prefer = current.key if current else tracker.get_slot("service_item")
        resolution = catalog().resolve(mentions, text, prefer=prefer)
        item, candidates = resolution.item, resolution.candidates
    elif current is None:
        item = resolve_service(tracker).item
    if not aspect:
        _answer_unplaced(dispatcher, tracker, item)
    elif item is not None:
        dispatcher.utter_message(text=guide.answer(item, aspect))
    else:
        dispatcher.utter_message(text=guide.which_item_question(candidates))
    dispatcher.utter_message(text=resume)
    return True


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


async def read_material(
    tracker: Tracker, person_id: str, material: Mapping[str, Any]
) -> Tuple[Optional[Tuple[str, Optional[str]]], Optional[str]]:
    """How the latest message provides ``material``: ``(("upload", id) | ("commitment", None), None)``.

    Returns ``(None, message)`` with a Chinese message when it provides nothing usable, and
    ``(None, None)`` when it was not about the material at all.

    A file is only ever an ``attachment_id`` that a channel produced for this person: the upload
    endpoint (connectors/uploads.py) or the WeChat channel, which fetches a picture by its media
    id through the WeChat API. Nothing here fetches a URL: message metadata may come from a client.
    """
    attachment_id = _entity(tracker, "attachment_id")
    if attachment_id:
        if not applications.owns_attachment(attachment_id, person_id):
            return None, "没有找到这个上传文件，请重新上传。"
        return ("upload", attachment_id), None
    if lexicon.has_any(_text(tracker), "commitment"):
        if material.get("commitment"):
            return ("commitment", None), None
        return None, f"「{material['name']}」不支持告知承诺，需要上传。"
    return None, None
