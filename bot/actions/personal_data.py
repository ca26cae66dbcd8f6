"""“导出我的数据” and “删除我的数据”: thin adapters over govservice.privacy.service."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.login import login_first
from bot.actions.session import current_subject
from govservice import settings
from govservice.identity import auth
from govservice.privacy import data_deletion, personal_data
from govservice.privacy import service as privacy

CONFIRM_WINDOW_SECONDS = 600
CONFIRM_PROMPT = "删除后无法恢复。确认删除请回复“确认删除”（10分钟内有效）；不删除请说“取消”。"
COMPANY_SESSION = "您当前以企业身份登录。个人数据的导出和删除请先说“退出登录”，再用本人身份证号码登录。"


def public_url() -> str:
    """Where citizens reach the Rasa server (``RASA_PUBLIC_URL``), for the download link."""
    return settings.current().rasa_public_url


def _personal_subject(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, why: str
) -> tuple[Optional[auth.Subject], List[Dict[str, Any]]]:
    """The logged-in person, or None with the events that start a login or explain the refusal."""
    subject = current_subject(tracker)
    if subject is None:
        dispatcher.utter_message(text=f"{why}需要先登录，登录后马上为您办理。")
        return None, login_first(intent)
    if subject.company_code:
        dispatcher.utter_message(text=COMPANY_SESSION)
        return None, []
    return subject, []


class ActionExportMyData(Action):
    """Reply with a one-time download link to the citizen's data."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_export_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Create the link; the file is built when it is opened."""
        subject, events = _personal_subject(dispatcher, tracker, "export_my_data", "导出个人数据")
        if subject is None:
            return events
        token = privacy.create_export_link(subject.person_id)
        minutes = int(personal_data.EXPORT_LINK_TTL.total_seconds() // 60)
        dispatcher.utter_message(
            text=(
                "已为您准备好个人数据导出文件（个人信息、电子证照、办件及办理记录、用证记录、评价、上传的材料，"
                f"身份号码和手机号码部分隐藏）。请在{minutes}分钟内打开下面的链接下载，链接只能使用一次，"
                f"请勿转发：\n{public_url()}{personal_data.EXPORT_PATH}{token}"
            )
        )
        return []


class ActionAskDeleteMyData(Action):
    """Say what deletion removes and what is kept, and ask for an explicit confirmation."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Nothing is deleted yet; the confirmation must come within 10 minutes."""
        subject, events = _personal_subject(dispatcher, tracker, "delete_my_data", "删除个人数据")
        if subject is None:
            return events
        dispatcher.utter_message(
            text=f"{data_deletion.DELETE_PREVIEW_TEXT}\n{CONFIRM_PROMPT}",
            buttons=[
                {"title": "确认删除", "payload": "/confirm_delete_my_data"},
                {"title": "取消", "payload": "/cancel"},
            ],
        )
        return [SlotSet("delete_requested_at", time.time())]


class ActionDeleteMyData(Action):
    """Delete after the confirmation, then say what was deleted and what is kept."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Only a confirmation of a request shown in the last 10 minutes deletes anything."""
        asked = tracker.get_slot("delete_requested_at")
        done = [SlotSet("delete_requested_at", None)]
        if not isinstance(asked, (int, float)) or time.time() - asked > CONFIRM_WINDOW_SECONDS:
            dispatcher.utter_message(text="如需删除个人数据，请先说“删除我的数据”，了解将删除和保留的内容后再确认。")
            return done
        subject = current_subject(tracker)
        if subject is None or subject.company_code:
            dispatcher.utter_message(text="登录已超时，数据未删除。请重新登录后再说“删除我的数据”。")
            return [*done, SlotSet("logged_in", False)]
        report = privacy.delete_person_data(subject.person_id, tracker.sender_id)
        dispatcher.utter_message(text=report.text)
        return [*done, SlotSet("logged_in", False), SlotSet("pending_request", None)]
