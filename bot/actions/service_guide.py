"""Answer 办事指南 questions about the service under discussion."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.backoffice import catalog
from bot.actions.session import current_subject, library_of
from govservice.applications import service as applications
from govservice.catalog import guide
from govservice.catalog.lookup import Identification, Resolution
from govservice.window import text as window_text
from govservice.window.decision import anchor, focus, is_long, is_policy
from govservice.window.themes import themes

if TYPE_CHECKING:  # annotations only: items come from the in-memory catalog, never from a session here
    from govservice.catalog.models import ServiceItem

# Which part of the guide each intent asks for; others keep the aspect under discussion.
INTENT_ASPECT = {
    "ask_materials": "materials",
    "ask_conditions": "conditions",
    "ask_fee": "fee",
    "ask_time_limit": "time_limit",
    "ask_location": "location",
    "ask_online": "online",
    "ask_process": "process",
    "apply_service": "overview",
}

ASPECT_QUESTION = {
    "materials": "要带什么材料",
    "conditions": "申请条件",
    "fee": "收费标准",
    "time_limit": "办理时限",
    "location": "办理地点",
    "online": "能否网上办",
    "process": "办理流程",
    "overview": "办事指南",
}

BUNDLE_ASPECTS = ("materials", "process", "overview")
"""What the 新生儿出生一件事 overview answers (its items, materials and single application)."""
SUGGEST_MIN_CHARS = 8
"""A question without an item this short ("在哪办", "那个怎么收费") has no subject of its own: FAQ
entries it resembles are noise, so it only gets "which item?"."""
POPULAR_TOPICS = ["居民身份证", "居住证", "机动车驾驶证", "住房公积金", "社会保障卡", "户口"]


def service_mentions(tracker: Tracker) -> List[str]:
    """Service entity values of the latest message, in order."""
    entities = tracker.latest_message.get("entities") or []
    return [str(e["value"]) for e in entities if e.get("entity") == "service"]


def _within_certificates(tracker: Tracker) -> bool:
    """Whether every service entity lies inside a certificate entity's words ("结婚证" tags both)."""
    entities = tracker.latest_message.get("entities") or []
    spans = [(e.get("start"), e.get("end")) for e in entities if e.get("entity") == "certificate"]
    services = [e for e in entities if e.get("entity") == "service"]
    return bool(services) and all(
        any(None not in (s, t) and s <= e.get("start", -1) and e.get("end", 1 << 30) <= t for s, t in spans)
        for e in services
    )


def certificate_words(tracker: Tracker) -> List[str]:
    """The certificate words as typed (synonym mapping may have changed the value)."""
    text = tracker.latest_message.get("text") or ""
    words = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "certificate":
            start, end = entity.get("start"), entity.get("end")
            words.append(text[start:end] if start is not None and end else str(entity["value"]))
    return words


def identified(text: str) -> Resolution:
    """The item retrieval finds in ``text`` when the NLU named none: one item, close candidates, or nothing."""
    return _resolution(catalog().identify(text))


def _resolution(found: Identification) -> Resolution:
    if found.item is not None:
        return Resolution(item=found.item, topic=found.item.topic)
    topics = {item.topic for item in found.candidates}
    return Resolution(candidates=found.candidates, topic=topics.pop() if len(topics) == 1 else None)


def resolve_service(tracker: Tracker) -> Resolution:
    """Work out the item meant, using the message, then retrieval over the catalog, then the context."""
    text = tracker.latest_message.get("text") or ""
    mentions = service_mentions(tracker)
    current = catalog().get(tracker.get_slot("service_item"))
    if current is not None and _within_certificates(tracker):
        # "要带结婚证吗" about the item discussed: 结婚证 is its material, not 婚姻登记.
        return Resolution(item=current, topic=current.topic)
    if mentions:
        resolution = catalog().resolve(mentions, text)
        return resolution if resolution.item is not None or resolution.ambiguous else identified(text)
    identification = catalog().identify(text)
    found = _resolution(identification)
    # An item the message names ("结昏登记要啥材料") is what it asks about, whatever was discussed
    # before; a certificate it names is a material of that ("要带结婚证吗").
    if identification.named and not certificate_words(tracker):
        return found
    within_topic = catalog().resolve([], text, fallback_topic=tracker.get_slot("service_topic"))
    if within_topic.item is not None:
        return within_topic
    if found.item is not None:
        return found
    # Close candidates do not replace the item under discussion: "要带户口本吗" asks about it.
    if current is not None:
        return Resolution(item=current, topic=current.topic)
    return found if found.ambiguous else within_topic


def personal_check(tracker: Tracker, item_key: str) -> Optional[str]:
    """For a logged-in citizen, the materials marked against their certificate library (else None)."""
    subject = current_subject(tracker)
    if subject is None:
        return None
    holder, kind = library_of(subject)
    return applications.materials_check_text(item_key, holder, kind)


def service_button(intent: str, key: str, title: str) -> Dict[str, str]:
    """A button that asks ``intent`` about item ``key``."""
    entities = json.dumps({"service": key}, ensure_ascii=False, separators=(",", ":"))
    return {"title": title, "payload": f"/{intent}{entities}"}


CERTIFICATE_OFFER = "如需查看您本人这本证的有效期，或现在就在线申请，请点下面的按钮（查看本人证照需先登录）。"


def offer_certificate_services(dispatcher: CollectingDispatcher, item: ServiceItem) -> None:
    """After a guide about a certificate, offer the citizen's own certificate and the application.

    A general question ("驾照到期了在哪换") gets the guide first; login is asked for only if the
    citizen then wants their own certificate checked.
    """
    certificate = item.outputs_certificate
    if not certificate:
        return
    check = {"title": "查看本人证照有效期", "payload": f'/query_certificate_expiry{{"certificate":"{certificate}"}}'}
    apply = service_button("apply_service", item.key, "在线申请")
    dispatcher.utter_message(text=CERTIFICATE_OFFER, buttons=[check, apply])


def _guide_text(item: ServiceItem, aspect: str, text: str) -> str:
    """The guide; a provincial (imported) guide also names the city's department for the question."""
    if getattr(item, "layer", "curated") != "imported":
        return guide.answer(item, aspect)
    match = themes().theme_of(text, item_department=item.department_code)
    return window_text.item_answer(item, aspect, match.theme if match else None)


class ActionAnswerService(Action):
    """Answer the asked aspect, or ask which service when it is unclear."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_answer_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Resolve the service, then answer or ask a clarifying question."""
        intent = tracker.latest_message.get("intent", {}).get("name")
        aspect = INTENT_ASPECT.get(intent) or tracker.get_slot("service_aspect") or "overview"
        text = str(tracker.latest_message.get("text") or "")
        if is_long(text) or is_policy(focus(text)):
            # A long post names things in its background too: the window answers its question sentences.
            chosen = _window_reply(dispatcher, tracker, aspect)
            if chosen is not None:
                return chosen
        resolution = resolve_service(tracker)
        if resolution.item is not None:
            personal = personal_check(tracker, resolution.item.key) if aspect == "materials" else None
            if personal:
                apply = service_button("apply_service", resolution.item.key, "在线申请")
                dispatcher.utter_message(text=personal, buttons=[apply])
            else:
                dispatcher.utter_message(text=_guide_text(resolution.item, aspect, text))
                offer_certificate_services(dispatcher, resolution.item)
            return [
                SlotSet("service_item", resolution.item.key),
                SlotSet("service_topic", resolution.item.topic),
                SlotSet("service_aspect", aspect),
            ]
        if resolution.ambiguous:
            ask_intent = _intent_for(aspect)
            # Candidates of one topic differ by variant; of several topics, by their names.
            buttons = [
                service_button(ask_intent, item.key, (resolution.topic and item.variant) or item.name)
                for item in resolution.candidates
            ]
            dispatcher.utter_message(text=_which_item_text(tracker, resolution), buttons=buttons)
            return [
                SlotSet("service_item", None),
                SlotSet("service_topic", resolution.topic),
                SlotSet("service_aspect", aspect),
            ]
        return _through_window(dispatcher, tracker, aspect)


def _which_item_text(tracker: Tracker, resolution: Resolution) -> str:
    """"Which item?" with the theme and department; the unresolved question is queued for staff."""
    from bot.actions import window  # imported here: the window adapter builds on this module

    window.queue_question(tracker, "which_item")
    text = str(tracker.latest_message.get("text") or "")
    first = resolution.candidates[0] if resolution.candidates else None
    match = themes().theme_of(text, *anchor(first))
    theme = themes().of_topic(resolution.topic) or (match.theme if match else None)
    extra = "\n" + window_text.theme_line(theme) if theme is not None else ""
    question = f"关于“{resolution.topic}”有以下几种情况，" if resolution.topic else "您说的可能是以下事项，"
    return f"{question}请问您要办理的是哪一项？{extra}"


def _window_reply(
    dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str
) -> Optional[List[Dict[str, Any]]]:
    """The window's answer to a long post or a policy question, unless it found nothing to say."""
    from bot.actions import window  # imported here: the window adapter builds on this module

    chosen = window.decide(tracker, aspect)
    if window.unplaced(chosen) or chosen.is_suggestion:
        return None
    return window.say(dispatcher, tracker, chosen)


def _through_window(dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str) -> List[Dict[str, Any]]:
    """No item named: the FAQ, the theme's routing or a policy reply; "which item?" only without any signal."""
    from bot.actions import newborn, window  # imported here: both build on this module

    if aspect in BUNDLE_ASPECTS and newborn.follows_the_bundle(tracker):
        newborn.explain_again(dispatcher)  # "那要带什么材料" right after the 新生儿出生一件事 overview
        return [SlotSet("service_aspect", aspect)]
    chosen = window.decide(tracker, aspect)
    if chosen.is_suggestion and len(focus(str(tracker.latest_message.get("text") or ""))) >= SUGGEST_MIN_CHARS:
        # A near FAQ entry ("能不能先提交后面再补" ~ 容缺受理) helps more than a bare "which item?": offer both.
        return window.say(dispatcher, tracker, chosen) + _ask_which_service(dispatcher, aspect)
    if window.unplaced(chosen) or chosen.is_suggestion:
        window.queue_question(tracker, "which_item")
        return _ask_which_service(dispatcher, aspect)
    return window.say(dispatcher, tracker, chosen)


def _intent_for(aspect: str) -> str:
    for intent, value in INTENT_ASPECT.items():
        if value == aspect:
            return intent
    return "apply_service"


def _ask_which_service(dispatcher: CollectingDispatcher, aspect: str | None) -> List[Dict[str, Any]]:
    question = ASPECT_QUESTION.get(aspect or "overview", "办事指南")
    buttons = [{"title": topic, "payload": f'/inform_service{{"service":"{topic}"}}'} for topic in POPULAR_TOPICS]
    dispatcher.utter_message(
        text=f"请问您想了解哪项业务的{question}？请告诉我事项名称，例如“身份证补领”“居住证”“公积金提取”。",
        buttons=buttons,
    )
    return [SlotSet("service_aspect", aspect)]
