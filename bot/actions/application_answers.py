"""Reading a citizen's answers inside the application form: yes/no, questions and materials."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Mapping, Optional, Tuple

import requests
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.backoffice import catalog
from bot.actions.service_guide import INTENT_ASPECT, resolve_service, service_mentions
from govservice import guide, lexicon
from govservice.application_models import ApplicationError, Attachment
from govservice.db import session_scope
from govservice.materials_check import store_attachment

MIN_CONFIDENCE = 0.5
DOWNLOAD_TIMEOUT = 5.0


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


def interrupting_question(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    plan: Mapping[str, Any],
    resume: str = "好的，我们继续刚才的申请：",
) -> bool:
    """Answer a 办事指南 question asked mid-form; True when the message was such a question.

    The question is about the item named in it, else the item being applied for, else the item
    under discussion; when none is known (or the name fits several items) the citizen is asked
    to name it, rather than the question being taken as an answer to the form.

    Args:
        dispatcher: where the answer goes.
        tracker: the conversation; its latest message is the candidate question.
        plan: the application plan (``item_key``), or empty outside an application.
        resume: said after the answer, before the form asks its question again.
    """
    name, confidence = latest_intent(tracker)
    text = _text(tracker)
    if name not in INTENT_ASPECT or name == "apply_service" or confidence < MIN_CONFIDENCE:
        return False
    if not lexicon.is_question(text):
        return False
    mentions = service_mentions(tracker)
    current = plan.get("item_key")
    if mentions:
        resolution = catalog().resolve(mentions, text, prefer=current or tracker.get_slot("service_item"))
        item, candidates = resolution.item, resolution.candidates
    else:
        item, candidates = catalog().get(current) or resolve_service(tracker).item, []
    if item is not None:
        dispatcher.utter_message(text=guide.answer(item, INTENT_ASPECT[name]))
    else:
        dispatcher.utter_message(text=guide.which_item_question(candidates))
    dispatcher.utter_message(text=resume)
    return True


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _wechat_image(tracker: Tracker) -> Optional[Dict[str, Any]]:
    metadata = tracker.latest_message.get("metadata") or {}
    attachment = metadata.get("attachment") if isinstance(metadata, dict) else None
    return attachment if isinstance(attachment, dict) and attachment.get("url") else None


def _download(url: str) -> Tuple[bytes, str]:
    reply = requests.get(url, timeout=DOWNLOAD_TIMEOUT)
    reply.raise_for_status()
    return reply.content, reply.headers.get("Content-Type", "image/jpeg").split(";")[0]


async def read_material(
    tracker: Tracker, person_id: str, material: Mapping[str, Any]
) -> Tuple[Optional[Tuple[str, Optional[str]]], Optional[str]]:
    """How the latest message provides ``material``: ``(("upload", id) | ("commitment", None), None)``.

    Returns ``(None, message)`` with a Chinese message when it provides nothing usable, and
    ``(None, None)`` when it was not about the material at all.
    """
    attachment_id = _entity(tracker, "attachment_id")
    if attachment_id:
        with session_scope() as session:
            found = session.get(Attachment, attachment_id)
            if found is None or found.uploaded_by != person_id:
                return None, "没有找到这个上传文件，请重新上传。"
        return ("upload", attachment_id), None
    image = _wechat_image(tracker)
    if image is not None:
        try:
            data, content_type = await asyncio.to_thread(_download, str(image["url"]))
            with session_scope() as session:
                stored = store_attachment(
                    session, data, f"wechat-{image.get('media_id', 'image')}.jpg", content_type, person_id
                )
                return ("upload", stored.id), None
        except (requests.RequestException, ApplicationError) as exc:
            return None, f"图片接收失败（{exc if isinstance(exc, ApplicationError) else '网络错误'}），请重新发送。"
    if lexicon.has_any(_text(tracker), "commitment"):
        if material.get("commitment"):
            return ("commitment", None), None
        return None, f"「{material['name']}」不支持告知承诺，需要上传。"
    return None, None
