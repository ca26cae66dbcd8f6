"""Human handoff (转人工): queue the conversation for an agent and pause the bot, or take a message.

With an agent on duty within office hours (:mod:`govservice.handoff.hours`), the conversation is
queued in the back office and the action returns Rasa's own ``ConversationPaused``: Rasa then
logs the citizen's messages without answering, the agent replies from the staff console through
the conversations API, and hands back with a ``resume`` event. Otherwise the citizen may leave a
message and a contact (``handoff_message_form``), which becomes a console ticket.

On WeChat the queue is the console's as well: the agent's replies go out as customer-service
messages (docs/console.md says where WeChat's own ``transfer_customer_service`` would fit).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.session import channel_and_sender
from govservice.handoff import queue as handoff
from govservice.handoff import service as handoff_service

AVAILABLE_SLOT = "handoff_available"
MESSAGE_SLOT, CONTACT_SLOT = "handoff_message", "handoff_contact"
MIN_MESSAGE_CHARS = 2
HOTLINE = "如有急事，也可拨打12345政务服务便民热线。"


def queued_text(ahead: int) -> str:
    """What the citizen hears once queued: their position, and that the bot now stays silent."""
    wait = "客服马上为您接入" if ahead == 0 else "请耐心等候"
    return (
        f"已为您转接人工客服，您前面还有{ahead}位，{wait}。人工客服接入后会直接在这里回复您，"
        "在此期间智能助手暂停应答。"
    )


def unavailable_text(in_hours: bool, hours: str) -> str:
    """Why no person can take the conversation now, and the offer to leave a message."""
    reason = "目前暂无人工客服在线" if in_hours else f"现在是非工作时间（人工客服服务时间：{hours}）"
    return f"抱歉，{reason}。您可以留言并留下联系方式，工作人员会尽快与您联系。{HOTLINE}"


class ActionRequestHuman(Action):
    """The citizen asked for a person (intent ``request_human``)."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Queue and pause the bot, or start collecting a message (the rules branch on ``handoff_available``)."""
        outcome = handoff_service.request_human(*channel_and_sender(tracker))
        if outcome.queued:
            dispatcher.utter_message(text=queued_text(outcome.ahead))
            return [SlotSet(AVAILABLE_SLOT, True), ConversationPaused()]
        dispatcher.utter_message(text=unavailable_text(outcome.in_hours, outcome.hours))
        # Cleared, or an earlier, abandoned message would be taken as already answered by the form.
        return [SlotSet(AVAILABLE_SLOT, False), SlotSet(MESSAGE_SLOT, None), SlotSet(CONTACT_SLOT, None)]


class ValidateHandoffMessageForm(FormValidationAction):
    """Checks the message and the contact the citizen leaves."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "validate_handoff_message_form"

    async def validate_handoff_message(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A message of a few words at least, at most the length a ticket keeps."""
        if tracker.get_slot("requested_slot") != MESSAGE_SLOT:
            return {MESSAGE_SLOT: None}  # filled on activation, before the question was asked
        text = str(value or "").strip()
        if len(text) < MIN_MESSAGE_CHARS:
            dispatcher.utter_message(text="请简要说明您要咨询或反映的问题，说“取消”可放弃留言。")
            return {MESSAGE_SLOT: None}
        if len(text) > handoff.MAX_MESSAGE_CHARS:
            dispatcher.utter_message(text=f"留言请控制在{handoff.MAX_MESSAGE_CHARS}字以内，请精简后再发送。")
            return {MESSAGE_SLOT: None}
        return {MESSAGE_SLOT: text}

    async def validate_handoff_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A mobile, a landline or an e-mail address."""
        if tracker.get_slot("requested_slot") != CONTACT_SLOT:
            return {CONTACT_SLOT: None}
        contact = handoff.clean_contact(str(value or ""))
        if contact is None:
            dispatcher.utter_message(
                text="没有识别到有效的联系方式。请留下手机号、固定电话（如0591-12345678）或电子邮箱，说“取消”可放弃留言。"
            )
            return {CONTACT_SLOT: None}
        return {CONTACT_SLOT: contact}


class ActionSubmitHandoffMessage(Action):
    """Turns the completed form into a console ticket and confirms it to the citizen."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_submit_handoff_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Save the message; the contact is read in the turn it was typed, before the tracker store masks it."""
        channel, sender = channel_and_sender(tracker)
        message, contact = tracker.get_slot(MESSAGE_SLOT) or "", tracker.get_slot(CONTACT_SLOT) or ""
        try:
            number, masked = handoff_service.leave_message(channel, sender, message, contact)
        except handoff.HandoffError:
            dispatcher.utter_message(text=f"抱歉，留言未能保存，请重新说“转人工”留言。{HOTLINE}")
        else:
            dispatcher.utter_message(
                text=f"已收到您的留言（编号{number}）。工作人员将在工作时间内通过{masked}与您联系，请留意。"
            )
        return [SlotSet(MESSAGE_SLOT, None), SlotSet(CONTACT_SLOT, None)]
