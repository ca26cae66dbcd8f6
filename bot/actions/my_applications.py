"""The citizen's own applications: progress (and status notifications), withdrawal, correction uploads."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.application_answers import read_material
from bot.actions.login import login_first
from bot.actions.proactive import show_suggestions
from bot.actions.session import current_subject
from govservice.applications import recommendations
from govservice.applications import service as applications
from govservice.applications.states import ApplicationError


def entity(tracker: Tracker, name: str) -> Optional[str]:
    """The first value of entity ``name`` in the latest message."""
    for found in tracker.latest_message.get("entities") or []:
        if found.get("entity") == name and found.get("value"):
            return str(found["value"])
    return None


def _notification(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> List[Dict[str, Any]]:
    """A status change pushed by the back office (Rasa's trigger_intent) to the sender who applied."""
    notice = applications.status_notice(number, tracker.sender_id)
    if notice is None:
        return []  # never tell one conversation about another person's application
    text, ratable = notice
    dispatcher.utter_message(text=text)
    # 一件事: a finished application suggests what usually follows it.
    following = recommendations.after_application(number, tracker.sender_id)
    show_suggestions(dispatcher, following, "接下来您可能还需要办理：")
    if ratable:
        return [SlotSet("rating_number", number), FollowupAction("rating_form")]
    return []


class ActionMyApplications(Action):
    """Handle “我的申请到哪一步了”: the person's applications with status and next step."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_my_applications"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """A notification when the back office triggered it; the person's list otherwise (login first)."""
        number = entity(tracker, "application_no")
        if number and entity(tracker, "application_status"):
            return _notification(dispatcher, tracker, number)
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="查询办件进度需要先登录。")
            return login_first("query_applications")
        dispatcher.utter_message(text=applications.applications_text(subject.person_id, subject.company_code, number))
        if not number:
            following = recommendations.after_finished_applications(subject.person_id, subject.company_code)
            show_suggestions(dispatcher, following, "根据您已办结的事项，接下来您可能还需要办理：")
        return []


class ActionWithdrawApplication(Action):
    """Handle “撤回申请”: withdraw an application the window has not accepted yet."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_withdraw_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """The named application, or the newest one still 已提交."""
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="撤回申请需要先登录。")
            return login_first("withdraw_application")
        number = entity(tracker, "application_no")
        dispatcher.utter_message(text=applications.withdraw(subject.person_id, subject.company_code, number))
        return []


class ActionUploadOutsideForm(Action):
    """An upload outside the application form: a 补正 material for an application that needs one."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_upload_outside_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Resubmit the newest application in 需补正 with the uploaded file."""
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="上传材料需要先登录，请说“登录”。")
            return []
        target = applications.correction_target(subject.person_id, subject.company_code)
        if target is None:
            dispatcher.utter_message(text="已收到文件，但您当前没有需要补正材料的申请。如需办理新业务，请说“我要办……”。")
            return []
        number, material_id = target
        given, problem = await read_material(tracker, subject.person_id, {"name": "补正材料", "commitment": False})
        if given is None or given[0] != "upload":
            dispatcher.utter_message(text=problem or "请上传补正材料（PDF、JPG、PNG）。")
            return []
        try:
            reply = applications.resubmit(number, subject.person_id, material_id, str(given[1]))
        except ApplicationError as error:
            reply = str(error)
        dispatcher.utter_message(text=reply)
        return []
