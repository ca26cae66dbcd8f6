"""Logging out: ends the binding whatever form is active, and forgets the conversation's slots."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.session import channel_and_sender
from govservice.identity import service as identity

LOGIN_FORMS = ("login_form", "company_login_form")


def _form_stopped(tracker: Tracker) -> Optional[str]:
    """The form that was active when the citizen asked to log out, if the rules just stopped it."""
    active: Optional[str] = None
    at_message: Optional[str] = None
    for event in tracker.events:
        if event.get("event") == "active_loop":
            active = event.get("name")
        elif event.get("event") == "user":
            at_message = active
    return None if tracker.active_loop.get("name") else at_message


class ActionLogout(Action):
    """End the login for this channel sender, and forget the conversation's personal slots."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_logout"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Unbind and confirm; every slot goes back to its initial value (``logged_in``: false).

        A form the logout stopped (the rules deactivate it first) is said to be stopped: an
        application, rating, message or login in progress ends with the login.
        """
        channel, sender = channel_and_sender(tracker)
        was_bound = identity.logout(channel, sender)
        stopped = _form_stopped(tracker)
        if stopped and stopped not in LOGIN_FORMS:
            dispatcher.utter_message(text="已停止当前的办理，未提交的内容不会保存。")
        if was_bound:
            dispatcher.utter_message(text="已退出登录，您的个人信息不会再在本会话中显示。")
        elif stopped in LOGIN_FORMS:
            dispatcher.utter_message(response="utter_login_cancelled")
        else:
            dispatcher.utter_message(text="您当前没有登录。")
        # Slots may hold personal data (an application's prefilled fields, a rating, a message):
        # none of it stays for whoever uses this conversation next.
        return [AllSlotsReset()]
