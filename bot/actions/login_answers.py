"""Reading a message at a login prompt: an answer to validate, or something else to take as it is.

At any prompt of the login forms a question is answered and a new request is remembered, and
the form asks again; only what looks like an answer (digits for a number or a code, a name)
is validated, so a question never gets "身份证号码应为18位". 取消 and 转人工 never reach here:
the slot mappings leave them to the rules.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.application_answers import MIN_CONFIDENCE, interrupting_question, latest_intent
from bot.actions.personal import PERSONAL_INTENTS
from bot.actions.service_guide import certificate_words, resolve_service
from govservice.catalog import lexicon
from govservice.identity import auth

MIN_IDENTIFIER_DIGITS = 6
"""Fewer digits than this is no attempt at an ID number or credit code, but a message to read."""
IDENTIFIER_SLOTS = {
    "login_id": "18位公民身份号码",
    "login_rep_id": "法定代表人的18位公民身份号码",
    "company_code": "18位统一社会信用代码",
}
"""The slots that take an identifier, and how the prompt names it."""
RESUME_ACTIONS = {
    "apply_service": "action_start_application",
    "query_applications": "action_my_applications",
    "withdraw_application": "action_withdraw_application",
    "rate_service": "action_start_rating",
    "newborn_event": "action_start_newborn",
    "export_my_data": "action_export_my_data",
    "delete_my_data": "action_ask_delete_my_data",
    "subscribe_reminders": "action_subscribe_reminders",
    "unsubscribe_reminders": "action_unsubscribe_reminders",
    "what_can_i_do": "action_recommend_services",
}
"""Requests that need login and continue with their own action once it succeeds."""


def _not_asked(tracker: Tracker, slot: str, value: Any) -> bool:
    """True when ``value`` is no answer to ``slot``.

    Rasa fills every free-text slot with the first message when the form activates (no slot
    is requested yet), and resets slots to None before a login; neither is an answer.
    """
    return value is None or tracker.get_slot("requested_slot") != slot


def _answer_shaped(slot: str, text: str) -> bool:
    """Whether ``text`` looks like an answer to ``slot``: digits for a number or a code, else a name.

    Anything else ("男的能领吗", "转人工", "我要评价") is read as what it is, never validated as an
    identifier, so the citizen is not told "身份证号码应为18位" for a question.
    """
    if slot == "login_name":
        return auth.normalize_name(text) is not None
    digits = len(re.findall(r"[0-9０-９]", text))
    return digits >= (1 if slot == "login_code" else MIN_IDENTIFIER_DIGITS)


def _new_request(tracker: Tracker) -> Optional[str]:
    """The request ("intent|argument…") a message makes instead of answering, if it needs login too."""
    intent, confidence = latest_intent(tracker)
    if confidence < MIN_CONFIDENCE:
        return None
    if intent in PERSONAL_INTENTS:
        return "|".join([intent, *certificate_words(tracker)])
    if intent in RESUME_ACTIONS:
        item = resolve_service(tracker).item if intent == "apply_service" else None
        return "|".join([intent, *([item.key] if item else [])])
    return None


def no_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, value: Any
) -> Optional[Dict[str, Any]]:
    """The slot events when the message is no answer to ``slot``, else None to go on validating.

    A question asked mid-login is answered (a 办事指南 question from the guide, others from the
    FAQ store), and another request that needs login ("我的驾驶证什么时候到期", "我要评价")
    replaces the remembered one; either way the form asks its question again. 取消 and 转人工
    never reach here: the slot mappings leave them to the rules.
    """
    if _not_asked(tracker, slot, value):
        return {slot: None}
    text = str(value)
    if _answer_shaped(slot, text):
        return None
    # "验证码是多少" is about the login itself, not a 办事指南 question about fees.
    about_login = lexicon.has_any(text, "login_words")
    if not about_login and interrupting_question(dispatcher, tracker, {}, resume="好的，我们继续登录："):
        return {slot: None}
    pending = _new_request(tracker)
    if pending is not None and not about_login:
        query = pending.split("|")[0] in PERSONAL_INTENTS
        dispatcher.utter_message(text=f"好的，登录后马上为您办理这个{'查询' if query else '请求'}。")
        return {slot: None, "pending_request": pending}
    if slot in IDENTIFIER_SLOTS and not re.search(r"[0-9０-９]", text):
        # "你好", "好的": no attempt at a number, so no "应为18位" but what is wanted, and the way out.
        dispatcher.utter_message(text=f"请直接输入{IDENTIFIER_SLOTS[slot]}；如需先咨询其他事项，可以直接提问，或说“取消”。")
        return {slot: None}
    return None
