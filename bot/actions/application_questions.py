"""The application form's questions, written from the plan: conditions, prefill, fields, materials, summary."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.application_form import MATERIAL_HINT, dict_slot, plan_of
from govservice.applications.forms import next_field, next_material, summary_text

CANCEL_BUTTON = {"title": "不办了", "payload": "/cancel"}


def choices(*titles: str) -> List[Dict[str, str]]:
    """Buttons whose payload is their own text, read by the form's validation like typed text."""
    return [{"title": t, "payload": t} for t in titles]


class AskAction(Action, ABC):
    """Utter the question for one slot of the application form; abstract, so not registered."""

    @abstractmethod
    def name(self) -> str:
        """``action_ask_<slot>``."""

    @abstractmethod
    def question(self, tracker: Tracker, plan: Dict[str, Any]) -> Dict[str, Any]:
        """Keyword arguments of ``utter_message`` that ask for the slot."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Utter the question."""
        dispatcher.utter_message(**self.question(tracker, plan_of(tracker)))
        return []


class ActionAskAppEligible(AskAction):
    """The item's conditions, to confirm."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_app_eligible"

    def question(self, tracker: Tracker, plan: Dict[str, Any]) -> Dict[str, Any]:
        """List the conditions; buttons 符合 / 不符合."""
        lines = [f"{i}. {c}" for i, c in enumerate(plan.get("conditions", []), start=1)]
        text = f"第一步：请确认您符合{plan.get('item_name', '')}的申请条件：\n" + "\n".join(lines)
        return {"text": text, "buttons": choices("符合", "不符合")}


class ActionAskAppPrefillOk(AskAction):
    """What was filled in from identity and the certificate library, to confirm rather than retype."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_app_prefill_ok"

    def question(self, tracker: Tracker, plan: Dict[str, Any]) -> Dict[str, Any]:
        """Show the prefilled data, masked."""
        lines = [f"· {label}：{value}" for label, value in plan.get("prefill", {}).items()]
        text = "以下信息已根据您的身份信息和电子证照自动填写，无需重复录入，请核对：\n" + "\n".join(lines)
        return {"text": text, "buttons": choices("确认无误", "有误")}


class ActionAskAppField(AskAction):
    """The next item-specific field."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_app_field"

    def question(self, tracker: Tracker, plan: Dict[str, Any]) -> Dict[str, Any]:
        """The field's own question, with its choices as buttons."""
        field = next_field(plan, dict_slot(tracker, "app_answers"))
        if field is None:
            return {"text": "信息已填写完整。"}
        address = plan.get("address")
        if field.prefill == "library_address" and address:
            text = (
                f"将寄到您{address['source']}上登记的地址：{address['masked']}。"
                f"地址无误请回复“地址无误”；要寄到其他地方，请直接输入新的{field.label}。"
            )
            return {"text": text, "buttons": choices("地址无误")}
        return {"text": field.ask, "buttons": choices(*field.choices) or None}


class ActionAskAppMaterial(AskAction):
    """The next material to upload (or to replace by a commitment)."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_app_material"

    def question(self, tracker: Tracker, plan: Dict[str, Any]) -> Dict[str, Any]:
        """Name the material; offer 告知承诺 where allowed."""
        material = next_material(plan, dict_slot(tracker, "app_provided"))
        if material is None:
            return {"text": "材料已齐全。"}
        text = f"请提供「{material['name']}」。{MATERIAL_HINT}"
        buttons = None
        if material.get("commitment"):
            text += "\n该材料支持告知承诺：回复“承诺”即视为您承诺所述情况真实，无需提交证明。"
            buttons = choices("我承诺")
        return {"text": text, "buttons": buttons}


class ActionAskAppConfirm(AskAction):
    """The summary, and an explicit confirmation before anything is submitted."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_app_confirm"

    def question(self, tracker: Tracker, plan: Dict[str, Any]) -> Dict[str, Any]:
        """Everything that will be submitted."""
        text = summary_text(plan, dict_slot(tracker, "app_answers"), dict_slot(tracker, "app_provided"))
        return {"text": text, "buttons": [*choices("确认提交"), CANCEL_BUTTON]}
