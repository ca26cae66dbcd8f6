"""新生儿出生一件事: explained first, then (logged in) the applicant's materials and the form.

The form itself (shared data, each parent's materials, the confirmation) is in
:mod:`bot.actions.newborn_form`.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.login import login_first
from bot.actions.newborn_form import NB_SLOTS
from bot.actions.session import current_subject
from govservice.applications import life_events
from govservice.applications import service as applications
from govservice.catalog import lexicon
from govservice.identity.ids import opaque_id

LOGIN_NOTE = "办理需要父母一方先登录，以便调取出生医学证明等电子证照、免交材料。"
START_BUTTON = {"title": "登录办理", "payload": "/newborn_event"}
COMPANY_NOTE = (
    "“新生儿出生一件事”由孩子的父亲或母亲以个人身份办理。当前为企业登录，请先说“退出登录”，再以个人身份登录。"
)


def is_question(tracker: Tracker) -> bool:
    """“我家宝宝刚生，要办哪些手续” asks what is needed; “帮我把手续都办了” asks to start."""
    text = str(tracker.latest_message.get("text") or "")
    return not text.startswith("/") and lexicon.is_question(text)


def follows_the_bundle(tracker: Tracker) -> bool:
    """Whether the bot's last turn, before this message, explained the bundle ("那要带什么材料" asks about it)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return bool(event.get("name") == ActionStartNewborn.NAME)
    return False


def explain_again(dispatcher: CollectingDispatcher) -> None:
    """The bundle's items and materials again, with the way to start it."""
    dispatcher.utter_message(text=applications.explain_newborn())
    dispatcher.utter_message(text=LOGIN_NOTE + "现在办理请点“登录办理”。", buttons=[START_BUTTON])


class ActionStartNewborn(Action):
    """Explain the bundle (before any login), then check the applicant's materials and open the form."""

    NAME = "action_start_newborn"

    def name(self) -> str:
        """Name registered with Rasa."""
        return self.NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """What the bundle covers first; a question is answered, a request goes on to login and the form."""
        subject = current_subject(tracker)
        if subject is not None and subject.company_code:
            dispatcher.utter_message(text=COMPANY_NOTE)
            return []
        if subject is None:
            return self._explain(dispatcher, tracker)
        start, plan = applications.start_newborn(subject.person_id)
        dispatcher.utter_message(text=plan)
        if start.birth_certificate_id is None:
            dispatcher.utter_message(
                text="出生医学证明由出生医院签发后会自动汇聚到电子证照库；目前库中还没有，请签发后再来，"
                "或携带纸质出生医学证明到户籍窗口办理。"
            )
            return []
        known = {**start.data, "birth_certificate_number": start.birth_masked}
        shown = "、".join(
            f"{label}：{known[key]}" for key, label in life_events.NEWBORN_FIELDS.items() if known.get(key)
        )
        dispatcher.utter_message(
            text=f"已从出生医学证明和您的身份信息中读取：{shown}。只需补充缺少的信息，最后确认一次即可。"
        )
        nb_start = {
            "role": start.role,
            "applicant": start.applicant,
            "held": start.held,
            "birth_id": start.birth_certificate_id,
            "birth_masked": start.birth_masked,
        }
        return [
            *[SlotSet(slot, None) for slot in NB_SLOTS],
            SlotSet("nb_data", start.data),
            SlotSet("nb_start", nb_start),
            SlotSet("nb_provided", {}),
            SlotSet("nb_key", opaque_id()),
            FollowupAction("newborn_form"),
        ]

    @staticmethod
    def _explain(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = []
        if not tracker.get_slot("nb_explained"):
            dispatcher.utter_message(text=applications.explain_newborn())
            events.append(SlotSet("nb_explained", True))
            if is_question(tracker):
                dispatcher.utter_message(text=LOGIN_NOTE + "现在办理请点“登录办理”。", buttons=[START_BUTTON])
                return events
        dispatcher.utter_message(text=LOGIN_NOTE)
        return events + login_first("newborn_event")


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
