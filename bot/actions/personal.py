"""Requests about the logged-in person's own certificates (电子证照库)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.backoffice import catalog
from bot.actions.service_guide import certificate_words, service_button
from bot.actions.session import current_subject, library_of
from govservice.catalog import lexicon
from govservice.certificates import service as certificates
from govservice.certificates.service import PERSON_SESSION_NOTE
from govservice.clock import office_date
from govservice.identity import auth

PERSONAL_INTENTS = (
    "query_certificates",
    "query_certificate_expiry",
    "show_certificate",
    "expiring_certificates",
    "certificate_uses",
)
COMPANY_PHRASE = re.compile(
    f"({lexicon.alternation('company_owner')})({lexicon.alternation('company_unit')})"
    f"|({lexicon.alternation('company_unit')})({lexicon.alternation('company_after')})"
)
"""How a citizen names a company's certificates: 本单位, 我们公司的营业执照, 企业证照."""


def _renewal_hint(dispatcher: CollectingDispatcher, type_names: List[str]) -> None:
    """Proactive service: offer the renewal guide for current certificates that expire soon or have expired."""
    buttons: List[Dict[str, str]] = []
    for type_name in type_names:
        item = catalog().renewal_item(type_name)
        if item and all(b["title"] != f"办理{item.name}" for b in buttons):
            buttons.append(service_button("ask_materials", item.key, f"办理{item.name}"))
    if buttons:
        dispatcher.utter_message(text="有证照即将到期或已过期，需要看看换证办理指南吗？", buttons=buttons[:3])


def speaks_of_company(tracker: Tracker) -> bool:
    """The latest message asks about a company's certificates (本单位, 我们公司, 企业的…)."""
    return bool(COMPANY_PHRASE.search(str(tracker.latest_message.get("text") or "")))


def answer_personal_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, words: List[str], subject: auth.Subject
) -> None:
    """Answer one request about the library of ``subject`` only; other holders' data is never read.

    A company login sees the company's library; a person login the person's own. A request for
    the other library gets the way to it (log out and log in as the other) instead.
    """
    holder, kind = library_of(subject)
    if kind == "person" and speaks_of_company(tracker):
        dispatcher.utter_message(text=PERSON_SESSION_NOTE)
        return
    answer = certificates.answer_request(intent, words, holder, kind, office_date())
    for text in answer.texts:
        dispatcher.utter_message(text=text)
    _renewal_hint(dispatcher, answer.renewals)


class ActionPersonalRequest(Action):
    """Answer a personal request, or start login again when the binding has ended."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_personal_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Check the binding first: the ``logged_in`` slot alone is not trusted."""
        intent = tracker.latest_message.get("intent", {}).get("name") or "query_certificates"
        words = certificate_words(tracker)
        subject: Optional[auth.Subject] = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="您的登录已超时（30分钟无操作），请重新登录。")
            return [
                SlotSet("logged_in", False),
                SlotSet("pending_request", "|".join([intent, *words])),
                FollowupAction("login_form"),
            ]
        answer_personal_request(dispatcher, tracker, intent, words, subject)
        return []
