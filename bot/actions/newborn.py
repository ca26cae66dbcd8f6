"""新生儿出生一件事: one conversation, shared data entered once, one confirmation, linked applications."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.application_answers import said_no, said_yes, wants_to_stop
from bot.actions.application_form import not_asked
from bot.actions.login import login_first
from bot.actions.session import channel_and_sender, current_subject
from govservice import life_events
from govservice.application_models import ApplicationError
from govservice.db import session_scope
from govservice.ids import opaque_id
from govservice.materials_check import HELD

ASKED = ("child_name", "child_gender", "birth_date", "birth_certificate_number")
QUESTIONS = {
    "child_name": "请输入新生儿的姓名（与出生医学证明一致）。",
    "child_gender": "新生儿的性别是？请回复“男”或“女”。",
    "birth_date": "新生儿的出生日期是？例如“2026-11-16”或“2026年11月16日”。",
    "birth_certificate_number": "请输入出生医学证明编号（证上右上角的字母和数字）。",
}
NB_SLOTS = ("nb_data", "nb_key", "nb_field", "nb_confirm", "nb_result")
_DATE = re.compile(r"(\d{4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})")


def parse_field(key: str, text: str) -> str:
    """One shared field from the citizen's answer; ApplicationError (Chinese) when it does not fit."""
    answer = (text or "").strip()
    if key == "child_gender":
        found = [g for g, words in (("男", ("男", "儿子")), ("女", ("女", "闺女"))) if any(w in answer for w in words)]
        if len(found) != 1:
            raise ApplicationError("请回复“男”或“女”。")
        return found[0]
    if key == "birth_date":
        match = _DATE.search(answer)
        if not match:
            raise ApplicationError("请按“2026-11-16”这样的格式输入出生日期。")
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"
    if key == "birth_certificate_number":
        return re.sub(r"[\s-]", "", answer).upper()
    if not 2 <= len(answer) <= 20:
        raise ApplicationError("姓名请输入2到20个字。")
    return answer


def next_missing(data: Dict[str, str]) -> Optional[str]:
    """The first shared field not entered yet."""
    return next((key for key in ASKED if not data.get(key)), None)


class ActionStartNewborn(Action):
    """Explain the bundle, prefill from the 出生医学证明 in the library, open the form."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_start_newborn"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Login first; then the plan and the form."""
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="“新生儿出生一件事”需要父母一方先登录，以便调取出生医学证明等电子证照。")
            return login_first("newborn_event")
        with session_scope() as session:
            prefill = life_events.newborn_prefill(session, subject.person_id)
            birth = life_events.check_newborn(session, subject.person_id, prefill.get("birth_certificate_number", ""))
            plan = life_events.render_newborn_plan(session, birth)
        dispatcher.utter_message(text=plan)
        if birth.status != HELD:
            dispatcher.utter_message(
                text="出生医学证明由出生医院签发后会自动汇聚到电子证照库；目前库中还没有，请签发后再来，"
                "或携带纸质出生医学证明到户籍窗口办理。"
            )
            return []
        known = "、".join(f"{life_events.NEWBORN_FIELDS[k]}：{v}" for k, v in prefill.items())
        dispatcher.utter_message(text=f"已从出生医学证明中读取：{known}。只需补充缺少的信息，最后确认一次即可。")
        return [
            *[SlotSet(slot, None) for slot in NB_SLOTS],
            SlotSet("nb_data", prefill),
            SlotSet("nb_key", opaque_id()),
            FollowupAction("newborn_form"),
        ]


class ValidateNewbornForm(FormValidationAction):
    """Each missing shared field once, then one confirmation that submits every application."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "validate_newborn_form"

    async def validate_nb_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Store one field; the slot stays empty until every field is known."""
        data = dict(tracker.get_slot("nb_data") or {})
        key = next_missing(data)
        if key is None:
            return {"nb_field": "done"}
        if not_asked(tracker, "nb_field", value):
            return {"nb_field": None}
        if wants_to_stop(tracker):
            dispatcher.utter_message(text="好的，已取消，没有提交任何内容。")
            return {"nb_field": "done", "nb_confirm": "no"}
        try:
            data[key] = parse_field(key, str(value))
        except ApplicationError as error:
            dispatcher.utter_message(text=str(error))
            return {"nb_field": None}
        return {"nb_field": None if next_missing(data) else "done", "nb_data": data}

    async def validate_nb_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Submit the linked applications in one transaction (idempotent per conversation form)."""
        if not_asked(tracker, "nb_confirm", value):
            return {"nb_confirm": None}
        if said_no(tracker):
            dispatcher.utter_message(text="好的，已取消，没有提交任何内容。")
            return {"nb_confirm": "no"}
        if not said_yes(tracker):
            dispatcher.utter_message(text="确认提交请回复“确认提交”，不办了请回复“取消”。")
            return {"nb_confirm": None}
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="您的登录已超时，请说“登录”重新登录后再确认（已填写内容会保留）。")
            return {"nb_confirm": None}
        channel, sender = channel_and_sender(tracker)
        try:
            apps = life_events.submit_newborn_bundle(
                None,
                idempotency_key=f"chat:{channel}:{sender}:{tracker.get_slot('nb_key')}",
                person_id=subject.person_id,
                channel=channel,
                sender=sender,
                shared_data=dict(tracker.get_slot("nb_data") or {}),
            )
        except ApplicationError as error:
            dispatcher.utter_message(text=f"提交未成功：{error}")
            return {"nb_confirm": None}
        return {"nb_confirm": "done", "nb_result": life_events.bundle_summary(apps)}


class ActionAskNbField(Action):
    """Ask for the next missing shared field."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_nb_field"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """One question."""
        key = next_missing(dict(tracker.get_slot("nb_data") or {}))
        dispatcher.utter_message(text=QUESTIONS[key] if key else "信息已填写完整。")
        return []


class ActionAskNbConfirm(Action):
    """Show the shared data once, for one confirmation."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_nb_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Everything that will be submitted to the three departments."""
        data = dict(tracker.get_slot("nb_data") or {})
        lines = [f"· {label}：{data.get(key, '')}" for key, label in life_events.NEWBORN_FIELDS.items() if key in data]
        text = "请核对以下信息，确认后将同时向公安、医保、人社部门提交申请：\n" + "\n".join(lines)
        buttons = [{"title": "确认提交", "payload": "确认提交"}, {"title": "不办了", "payload": "/cancel"}]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionNewbornDone(Action):
    """Report the linked applications (or that nothing was submitted) and clear the slots."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_newborn_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """One message."""
        result = tracker.get_slot("nb_result")
        if result:
            dispatcher.utter_message(text=result + "\n可随时问我“我的申请到哪一步了”。")
        elif tracker.get_slot("nb_confirm") != "no":
            dispatcher.utter_message(text="已取消“新生儿出生一件事”，没有提交任何内容。")
        return [SlotSet(slot, None) for slot in NB_SLOTS]
