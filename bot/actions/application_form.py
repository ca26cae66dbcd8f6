"""The application form: which questions it asks, how it asks them, and reading the answers."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.application_answers import interrupting_question, read_material, said_no, said_yes, wants_to_stop
from bot.actions.session import channel_and_sender, current_subject, library_of
from govservice.applications import service as applications
from govservice.applications.delivery import LIBRARY_ADDRESS, looks_like_address
from govservice.applications.forms import FormField, material_specs, next_field, next_material
from govservice.applications.states import ApplicationError
from govservice.applications.workflow import submission_key
from govservice.identity.auth import Subject

DONE = "done"
STOPPED = "好的，本次申请已取消，没有提交任何内容。需要时可以随时重新申请。"
LOGIN_CHANGED = "登录身份已变化（个人与企业登录不同），本次申请已取消，未提交任何内容。请以新的身份重新申请。"
MATERIAL_HINT = "请点击对话框的📎按钮上传（PDF、JPG、PNG，10MB以内），在微信中可直接发送图片。"


def not_asked(tracker: Tracker, slot: str, value: Any) -> bool:
    """True when ``value`` is no answer to ``slot``: slots cleared when the form starts, or not asked yet."""
    return value is None or tracker.get_slot("requested_slot") != slot


def plan_of(tracker: Tracker) -> Dict[str, Any]:
    """The application's plan kept in the conversation (empty when none is in progress)."""
    return tracker.get_slot("app_plan") or {}


def dict_slot(tracker: Tracker, name: str) -> Dict[str, Any]:
    """A copy of a dict-valued slot."""
    return dict(tracker.get_slot(name) or {})


class ValidateApplicationForm(FormValidationAction):
    """Interpret each answer; a question asked mid-form is answered and the form asks again."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "validate_application_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """Only the steps this item needs; none once the citizen has declined."""
        plan = plan_of(tracker)
        if not plan or tracker.get_slot("app_cancelled"):
            return []
        skip = set()
        if not plan.get("conditions"):
            skip.add("app_eligible")
        if not plan.get("fields"):
            skip.add("app_field")
        if not plan.get("collect"):
            skip.add("app_material")
        return [slot for slot in domain_slots if slot not in skip]

    def _decline(self, dispatcher: CollectingDispatcher, slot: str, text: str) -> Dict[str, Any]:
        dispatcher.utter_message(text=text)
        return {slot: "no", "app_cancelled": True}

    async def validate_app_eligible(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """符合 / 不符合 the item's conditions."""
        if not_asked(tracker, "app_eligible", value):
            return {"app_eligible": None}
        if interrupting_question(dispatcher, tracker, plan_of(tracker)):
            return {"app_eligible": None}
        if said_no(tracker):
            return self._decline(
                dispatcher,
                "app_eligible",
                "很抱歉，不符合申请条件的暂不能在线申请，本次未提交任何内容。如有疑问请拨打12345咨询。",
            )
        if said_yes(tracker):
            return {"app_eligible": "yes"}
        dispatcher.utter_message(text="请回复“符合”或“不符合”。")
        return {"app_eligible": None}

    async def validate_app_prefill_ok(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The prefilled identity data is confirmed, not retyped."""
        if not_asked(tracker, "app_prefill_ok", value):
            return {"app_prefill_ok": None}
        if interrupting_question(dispatcher, tracker, plan_of(tracker)):
            return {"app_prefill_ok": None}
        if said_no(tracker):
            return self._decline(
                dispatcher,
                "app_prefill_ok",
                "身份信息来自公安户籍和电子证照库，如有错误请携带居民身份证到户籍窗口更正。本次申请已取消，未提交任何内容。",
            )
        if said_yes(tracker):
            return {"app_prefill_ok": "yes"}
        dispatcher.utter_message(text="信息无误请回复“确认”，有误请回复“有误”。")
        return {"app_prefill_ok": None}

    async def validate_app_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """One item-specific field per turn until all are answered."""
        if not_asked(tracker, "app_field", value):
            return {"app_field": None}
        plan, answers = plan_of(tracker), dict_slot(tracker, "app_answers")
        field = next_field(plan, answers)
        if field is None:
            return {"app_field": DONE}
        if wants_to_stop(tracker):
            return self._decline(dispatcher, "app_field", STOPPED)
        if interrupting_question(dispatcher, tracker, plan):
            return {"app_field": None}
        try:
            answers[field.key] = self._answer(tracker, plan, field, str(value))
        except ApplicationError as error:
            dispatcher.utter_message(text=str(error))
            return {"app_field": None}
        return {"app_field": None if next_field(plan, answers) else DONE, "app_answers": answers}

    @staticmethod
    def _answer(tracker: Tracker, plan: Dict[str, Any], field: FormField, text: str) -> str:
        """The field's value; a yes to the address offered from the library stands for that address."""
        offered = field.prefill == "library_address" and plan.get("address")
        if offered and said_yes(tracker) and not looks_like_address(text):
            return LIBRARY_ADDRESS
        return field.parse(text)

    async def validate_app_material(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """One material per turn: an upload, or 承诺 where the item allows it."""
        if not_asked(tracker, "app_material", value):
            return {"app_material": None}
        plan, provided = plan_of(tracker), dict_slot(tracker, "app_provided")
        material = next_material(plan, provided)
        subject = current_subject(tracker)
        if material is None:
            return {"app_material": DONE}
        if subject is None:
            dispatcher.utter_message(text="您的登录已超时，请说“登录”重新登录后继续（已填写内容会保留）。")
            return {"app_material": None}
        given, problem = await read_material(tracker, subject.person_id, material)
        if given is None and wants_to_stop(tracker):
            return self._decline(dispatcher, "app_material", STOPPED)
        if given is None:
            if not problem and interrupting_question(dispatcher, tracker, plan):
                return {"app_material": None}
            dispatcher.utter_message(text=problem or f"还需要「{material['name']}」。{MATERIAL_HINT}")
            return {"app_material": None}
        provided[str(material["id"])] = list(given)
        word = "已记录告知承诺" if given[0] == "commitment" else "已收到上传文件"
        dispatcher.utter_message(text=f"「{material['name']}」{word}。")
        return {"app_material": None if next_material(plan, provided) else DONE, "app_provided": provided}

    async def validate_app_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Submit on an explicit yes; the idempotency key makes a repeated 确认 create nothing new."""
        if not_asked(tracker, "app_confirm", value):
            return {"app_confirm": None}
        plan = plan_of(tracker)
        if interrupting_question(dispatcher, tracker, plan):
            return {"app_confirm": None}
        if said_no(tracker):
            return self._decline(dispatcher, "app_confirm", STOPPED)
        if not said_yes(tracker):
            dispatcher.utter_message(text="确认提交请回复“确认提交”，不办了请回复“取消”。")
            return {"app_confirm": None}
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="您的登录已超时，请说“登录”重新登录后再确认提交（已填写内容会保留）。")
            return {"app_confirm": None}
        if (plan.get("applicant") == "company") != (subject.company_code is not None):
            dispatcher.utter_message(text=LOGIN_CHANGED)
            return {"app_confirm": "no", "app_cancelled": True}
        number = self._submit(dispatcher, tracker, plan, subject)
        return {"app_confirm": DONE if number else None, "app_number": number}

    def _submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, plan: Dict[str, Any], subject: Subject
    ) -> Optional[str]:
        channel, sender = channel_and_sender(tracker)
        holder, kind = library_of(subject)
        try:
            form_data = applications.submission_form_data(plan, dict_slot(tracker, "app_answers"), holder, kind)
            return applications.submit(
                idempotency_key=submission_key(channel, sender, str(tracker.get_slot("app_key"))),
                item_key=plan["item_key"],
                person_id=subject.person_id,
                company_code=subject.company_code,
                channel=channel,
                sender=sender,
                form_data=form_data,
                materials=material_specs(plan, dict_slot(tracker, "app_provided")),
            )
        except ApplicationError as error:
            dispatcher.utter_message(text=f"提交未成功：{error}")
            return None
