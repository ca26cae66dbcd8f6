"""Online application (在线申请): start it, run the application form, report the result.

The form's slots take free text; ``validate_application_form`` reads each answer (yes/no,
choices, uploads, 告知承诺) and answers a question asked mid-form, after which the form asks
its question again, so the citizen resumes where they left off.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.login import login_first
from bot.actions.service_guide import resolve_service, service_button
from bot.actions.session import current_subject
from govservice.applications import service as applications
from govservice.applications.materials_check import render_check
from govservice.applications.newborn_materials import BUNDLE_ONLY_ITEM
from govservice.identity.ids import opaque_id

FORM_SLOTS = ("app_eligible", "app_prefill_ok", "app_field", "app_material", "app_confirm")
START_NOTE = "现在开始在线申请，大约需要1～3分钟。中途有问题可以直接问我，说“不办了”可随时取消。"


def reset_application() -> List[Dict[str, Any]]:
    """Forget the application in progress."""
    names = (*FORM_SLOTS, "app_plan", "app_key", "app_answers", "app_provided", "app_number", "app_cancelled")
    return [SlotSet(name, None) for name in names]


class ActionStartApplication(Action):
    """Handle “我要办居住证”: check materials, then start the application form (login first if needed)."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_start_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Resolve the item, require login, plan the application and open the form."""
        resolution = resolve_service(tracker)
        item_view = resolution.item
        if item_view is None:
            buttons = [service_button("apply_service", c.key, c.variant or c.name) for c in resolution.candidates]
            topic = resolution.topic or "该事项"
            text = f"请问您要申请“{topic}”的哪一项？" if buttons else "请问您要申请办理哪项业务？例如“我要办居住证”。"
            dispatcher.utter_message(text=text, buttons=buttons or None)
            return [SlotSet("service_topic", resolution.topic)]
        key = item_view.key
        if key == BUNDLE_ONLY_ITEM:
            dispatcher.utter_message(text=f"{item_view.name}通过“新生儿出生一件事”办理，可同时办理医保参保和社保卡。")
            return [SlotSet("service_item", key), FollowupAction("action_start_newborn")]
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text=f"在线申请{item_view.name}需要先登录，以便调取您的电子证照、免交材料。")
            return [SlotSet("service_item", key), *login_first(f"apply_service|{key}")]
        started = applications.start_application(key, subject.person_id, subject.company_code)
        if started is None:
            dispatcher.utter_message(text="该事项暂时无法在线申请，请咨询12345政务服务便民热线。")
            return []
        plan, location = started.plan, started.location
        events: List[Dict[str, Any]] = [SlotSet("service_item", key), SlotSet("service_topic", item_view.topic)]
        if plan is None:
            dispatcher.utter_message(text=started.refusal)
            return events
        check_text = render_check(plan.check)
        if not plan.online:
            dispatcher.utter_message(text=f"{plan.item_name}暂不支持网上申请，需要到窗口办理。\n{location}")
            return events
        if plan.blocking:
            dispatcher.utter_message(text=check_text + "\n" + "\n".join(plan.blocking))
            return events
        dispatcher.utter_message(text=check_text)
        dispatcher.utter_message(text=START_NOTE)
        return [
            *events,
            *reset_application(),
            SlotSet("app_plan", plan.to_slot()),
            SlotSet("app_key", opaque_id()),
            SlotSet("app_answers", {}),
            SlotSet("app_provided", {}),
            SlotSet("app_cancelled", False),
            FollowupAction("application_form"),
        ]


class ActionApplicationDone(Action):
    """After the form (or a cancel): report the number and what happens next, and clean up."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_application_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Say the outcome once; the slots of the finished application are cleared."""
        number: Optional[str] = tracker.get_slot("app_number")
        plan = tracker.get_slot("app_plan") or {}
        if number:
            dispatcher.utter_message(
                text=f"✅ 申请已提交！\n办件编号：{number}\n事项：{plan.get('item_name', '')}\n"
                f"受理部门：{plan.get('department', '')}\n"
                "您可以随时问我“我的申请到哪一步了”查看进度；窗口受理前可以说“撤回申请”。办理结果会通知您。"
            )
        elif not tracker.get_slot("app_cancelled"):
            dispatcher.utter_message(response="utter_application_cancelled")
        return reset_application()
