"""主动服务: expiry reminders (订阅, 退订, showing one) and "我可以办什么" recommendations."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.backoffice import catalog
from bot.actions.login import login_first
from bot.actions.service_guide import service_button
from bot.actions.session import channel_and_sender, current_subject
from govservice.applications import recommendations
from govservice.applications.recommendations import Suggestion
from govservice.notifications import reminders

RENEW_INTENT = "apply_service"
"""The buttons start the item's application, and so set the ``service_item`` slot."""


def suggestion_buttons(suggestions: Sequence[Suggestion]) -> List[Dict[str, str]]:
    """One button per suggestion; it starts the item's application and so sets ``service_item``."""
    return [service_button(RENEW_INTENT, s.item_key, f"办理{s.item_name}") for s in suggestions]


def show_suggestions(dispatcher: CollectingDispatcher, suggestions: Sequence[Suggestion], heading: str) -> None:
    """Utter the suggestions with their reasons and a button each (nothing when there are none)."""
    if suggestions:
        text = recommendations.suggestions_text(suggestions, heading)
        dispatcher.utter_message(text=text, buttons=suggestion_buttons(suggestions))


class ActionSubscribeReminders(Action):
    """“订阅证照到期提醒”: opt in for the logged-in person (login first)."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_subscribe_reminders"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Record the consent; the reminders follow the channel of the latest login."""
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="订阅证照到期提醒需要先登录，以便核对您本人的证照。")
            return login_first("subscribe_reminders")
        changed = reminders.subscribe(subject.person_id, True)
        if changed:
            dispatcher.utter_message(response="utter_reminders_on", windows=reminders.windows_text())
        else:
            dispatcher.utter_message(response="utter_reminders_already_on")
        return []


class ActionUnsubscribeReminders(Action):
    """“退订提醒”: opt out the logged-in person, or the one a reminder went to in this conversation."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_unsubscribe_reminders"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Opting out needs no login where the reminders arrive: it only ever sends less."""
        subject = current_subject(tracker)
        person = subject.person_id if subject is not None else reminders.addressee(*channel_and_sender(tracker))
        if person is None:
            dispatcher.utter_message(text="退订提醒需要先确认您的身份，请先登录。")
            return login_first("unsubscribe_reminders")
        changed = reminders.subscribe(person, False)
        dispatcher.utter_message(response="utter_reminders_off" if changed else "utter_reminders_already_off")
        return []


class ActionShowReminders(Action):
    """Show this conversation's unshown expiry reminders (run by the outbox through Rasa's execute API)."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_show_reminders"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Each reminder once, with a button that starts its renewal.

        The renewal item becomes the item under discussion, so "那要带什么材料" right after the
        reminder is answered for it, as after pressing the button.
        """
        events: List[Dict[str, Any]] = []
        for reminder in reminders.take_reminders(*channel_and_sender(tracker)):
            buttons = None
            if reminder.item_key:
                buttons = [service_button(RENEW_INTENT, reminder.item_key, f"一键办理{reminder.item_name}")]
                events = [SlotSet("service_item", reminder.item_key)]
            dispatcher.utter_message(text=reminder.text, buttons=buttons)
        return events


class ActionRecommendServices(Action):
    """“我可以办什么”: services for the logged-in person, each with its reason (login first)."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_recommend_services"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """From the person's certificates and age, then what follows their finished applications."""
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="为您推荐可办事项需要先登录，以便查看您本人的证照。")
            return login_first("what_can_i_do")
        found = recommendations.what_i_can_do(subject.person_id, catalog().renewal_item)
        if not found:
            dispatcher.utter_message(response="utter_nothing_to_recommend")
            return []
        show_suggestions(dispatcher, found, "根据您的情况，您可以办理：")
        if not reminders.subscribed(subject.person_id):
            dispatcher.utter_message(text="如需在证照到期前收到提醒，请说“订阅证照到期提醒”。")
        return []
