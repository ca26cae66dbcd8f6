"""Login forms (person and company), their validation, and what happens after."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.login_answers import RESUME_ACTIONS, no_answer
from bot.actions.personal import PERSONAL_INTENTS, answer_personal_request
from bot.actions.service_guide import certificate_words
from bot.actions.session import channel_and_sender, current_subject
from govservice.catalog import lexicon
from govservice.identity import auth
from govservice.identity import service as identity
from govservice.identity.id_numbers import IdentifierError, normalize_citizen_id, normalize_credit_code
from govservice.identity.masking import mask_credit_code, mask_id_number

CODE_MASK = "******"
# Fills the remaining slots so the form ends; action_login_complete then reports failure.
NOT_LOGGED_IN = "未登录"
LOGIN_SLOTS = ("login_id", "login_name", "company_code", "login_rep_id", "login_code", "login_ref")
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def _identifier_text(value: Any) -> str:
    """The likely identifier inside a message such as "我的身份证号是 1101 05…"."""
    text = str(value or "")
    match = re.search(r"[0-9A-Za-z]{15,20}", text) or re.search(r"[0-9０-９][0-9０-９\s-]{5,}[0-9０-９XxＸｘ]", text)
    return match.group(0) if match else text


class LoginValidation(FormValidationAction, ABC):
    """Shared code-step validation for both login forms; abstract, so not registered."""

    @abstractmethod
    def name(self) -> str:
        """Name registered with Rasa."""

    def _request_code(self, dispatcher: CollectingDispatcher, ref: Optional[str], proof: Optional[str]) -> str:
        result = identity.request_code(ref or "", proof)
        dispatcher.utter_message(text=result.message)
        return result.status

    async def validate_login_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Check the one-time code; resend on request; end the form when locked."""
        skip = no_answer(dispatcher, tracker, "login_code", value)
        if skip is not None:
            return skip
        text = str(value)
        ref = tracker.get_slot("login_ref")
        if lexicon.has_any(text, "resend_code"):
            self._request_code(dispatcher, ref, None)
            return {"login_code": None}
        match = _CODE.search(text)
        if match is None:
            dispatcher.utter_message(text="验证码是短信中的6位数字，请直接输入这6位数字；说“取消”可停止登录。")
            return {"login_code": None}
        channel, sender = channel_and_sender(tracker)
        result = identity.verify_code(ref or "", match.group(0), channel, sender)
        if result.status == "ok":
            return {"login_code": CODE_MASK, "logged_in": True}
        dispatcher.utter_message(text=result.message)
        # Locked, or the login itself has ended: asking for the code again would go nowhere.
        return {"login_code": NOT_LOGGED_IN if result.status in ("locked", "no_code") else None}


def _parse_identifier(
    normalize: Callable[[str], str], value: Any, dispatcher: CollectingDispatcher
) -> Optional[str]:
    """The normalized identifier in ``value``, or None after telling the citizen what is wrong."""
    try:
        return normalize(_identifier_text(value))
    except IdentifierError as error:
        dispatcher.utter_message(text=error.message)
        return None


def client_source(tracker: Tracker) -> Optional[str]:
    """The client as the channel saw it (metadata ``source``, set by the channel, never by the client)."""
    metadata = tracker.latest_message.get("metadata")
    source = metadata.get("source") if isinstance(metadata, dict) else None
    return source if isinstance(source, str) and source else None


def _begin_login(tracker: Tracker, kind: str, subject_id: str) -> str:
    channel, sender = channel_and_sender(tracker)
    return identity.begin_login(kind, subject_id, channel, sender, source=client_source(tracker))


def _after_send(status: str, proof_slot: str, value: str) -> Dict[str, Any]:
    """Go on to the code step after a send; ask again after "too soon"; else end the form."""
    if status == "sent":
        return {proof_slot: value}
    if status == "too_soon":
        return {proof_slot: None}
    return {proof_slot: value, "login_code": NOT_LOGGED_IN}


class ValidateLoginForm(LoginValidation):
    """ID number, then name, then the code sent to the phone on file."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "validate_login_form"

    async def validate_login_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the ID number and start a login; the slot keeps only a masked copy."""
        skip = no_answer(dispatcher, tracker, "login_id", value)
        if skip is not None:
            return skip
        id_number = _parse_identifier(normalize_citizen_id, value, dispatcher)
        if id_number is None:
            return {"login_id": None}
        return {"login_id": mask_id_number(id_number), "login_ref": _begin_login(tracker, "person", id_number)}

    async def validate_login_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Check the name looks like one, then send the code if it matches."""
        skip = no_answer(dispatcher, tracker, "login_name", value)
        if skip is not None:
            return skip
        name = auth.normalize_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(text="请输入身份证上的姓名（2至20个汉字，如“张三”）。")
            return {"login_name": None}
        status = self._request_code(dispatcher, tracker.get_slot("login_ref"), name)
        return _after_send(status, "login_name", name[0] + "*" * (len(name) - 1))


class ValidateCompanyLoginForm(LoginValidation):
    """Credit code, then the legal representative's ID number, then the code."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "validate_company_login_form"

    async def validate_company_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the unified social credit code and start a company login."""
        skip = no_answer(dispatcher, tracker, "company_code", value)
        if skip is not None:
            return skip
        code = _parse_identifier(normalize_credit_code, value, dispatcher)
        if code is None:
            return {"company_code": None}
        return {"company_code": mask_credit_code(code), "login_ref": _begin_login(tracker, "company", code)}

    async def validate_login_rep_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Validate the representative's ID number and send the code if it matches."""
        skip = no_answer(dispatcher, tracker, "login_rep_id", value)
        if skip is not None:
            return skip
        rep_id = _parse_identifier(normalize_citizen_id, value, dispatcher)
        if rep_id is None:
            return {"login_rep_id": None}
        status = self._request_code(dispatcher, tracker.get_slot("login_ref"), rep_id)
        return _after_send(status, "login_rep_id", mask_id_number(rep_id))


def _reset_login_slots() -> List[Dict[str, Any]]:
    return [SlotSet(slot, None) for slot in LOGIN_SLOTS]


def login_first(pending: str) -> List[Dict[str, Any]]:
    """Start the login form and remember ``pending`` ("intent|argument…") to resume afterwards."""
    return [*_reset_login_slots(), SlotSet("pending_request", pending), FollowupAction("login_form")]


def _resume(pending: str) -> List[Dict[str, Any]]:
    """Events that continue a remembered request that has its own action."""
    intent, *args = pending.split("|")
    events: List[Dict[str, Any]] = [FollowupAction(RESUME_ACTIONS[intent])]
    if intent == "apply_service" and args:
        events.insert(0, SlotSet("service_item", args[0]))
    return events


class ActionRememberRequest(Action):
    """Before a login: clear old login slots and remember a personal request to resume."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_remember_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Keep the intent and the certificate words (never identifiers) of the request."""
        intent = tracker.latest_message.get("intent", {}).get("name")
        pending = None
        if intent in PERSONAL_INTENTS:
            pending = "|".join([intent, *certificate_words(tracker)])
            dispatcher.utter_message(text="查询您本人的电子证照需要先登录，登录后马上为您查询。")
        return [*_reset_login_slots(), SlotSet("pending_request", pending)]


class ActionLoginComplete(Action):
    """Report the login result, then carry on with the request that needed it."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_login_complete"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Greet the person by masked name and ID, and answer the pending request."""
        subject = current_subject(tracker)
        events = _reset_login_slots()
        if subject is None:
            dispatcher.utter_message(text="登录未完成。办事指南咨询无需登录；如需查询个人证照，可稍后说“登录”重试。")
            return [*events, SlotSet("logged_in", False), SlotSet("pending_request", None)]
        name = identity.person_name(subject.person_id) or ""
        masked = name[:1] + "*" * (len(name) - 1)
        dispatcher.utter_message(text=f"登录成功，欢迎您，{masked}（{mask_id_number(subject.person_id)}）。")
        pending = tracker.get_slot("pending_request")
        done = [*events, SlotSet("logged_in", True), SlotSet("pending_request", None)]
        if pending and pending.split("|")[0] in RESUME_ACTIONS:
            return done + _resume(pending)
        if pending:
            intent, *words = pending.split("|")
            answer_personal_request(dispatcher, tracker, intent, words, subject)
        return done
