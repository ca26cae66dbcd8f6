"""Requests about the logged-in person's own certificates (电子证照库)."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.backoffice import catalog
from bot.actions.service_guide import service_button
from bot.actions.session import current_subject
from govservice import auth, certificate_text, certificates
from govservice.clock import office_date
from govservice.db import session_scope

PERSONAL_INTENTS = (
    "query_certificates",
    "query_certificate_expiry",
    "show_certificate",
    "expiring_certificates",
    "certificate_uses",
)
ACTOR = ("citizen", "本人（智能助手）")
PURPOSE = {
    "query_certificates": "本人查询证照列表",
    "query_certificate_expiry": "本人查询证照有效期",
    "show_certificate": "本人查看证照详情",
    "expiring_certificates": "本人查询即将到期证照",
}
EXPIRY_WARNING_DAYS = 60


def certificate_words(tracker: Tracker) -> List[str]:
    """The certificate words as typed (synonym mapping may have changed the value)."""
    text = tracker.latest_message.get("text") or ""
    words = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "certificate":
            start, end = entity.get("start"), entity.get("end")
            words.append(text[start:end] if start is not None and end else str(entity["value"]))
    return words


def _type_names(session: Any, words: List[str]) -> List[str]:
    return [name for name in (certificates.resolve_certificate_type(session, w) for w in words) if name]


def _renewal_hint(dispatcher: CollectingDispatcher, certs: List[Any], today: date) -> None:
    """Proactive service: offer the renewal guide for what expires soon or has expired."""
    buttons: List[Dict[str, str]] = []
    for cert in certs:
        if cert.valid_until and (cert.valid_until - today).days <= EXPIRY_WARNING_DAYS:
            item = catalog().renewal_item(cert.type_name)
            if item and all(b["title"] != f"办理{item.name}" for b in buttons):
                buttons.append(service_button("ask_materials", item.key, f"办理{item.name}"))
    if buttons:
        dispatcher.utter_message(text="有证照即将到期或已过期，需要看看换证办理指南吗？", buttons=buttons[:3])


def answer_personal_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, words: List[str], subject: auth.Subject
) -> None:
    """Answer one personal request for ``subject`` only; other people's data is never read."""
    today = office_date()
    holder = subject.person_id
    with session_scope() as session:
        if intent == "certificate_uses":
            dispatcher.utter_message(text=certificate_text.render_uses(certificates.uses_for_holder(session, holder)))
            return
        if intent == "expiring_certificates":
            certs = certificates.expiring_certificates(
                session,
                holder,
                EXPIRY_WARNING_DAYS,
                today,
                actor_type=ACTOR[0],
                actor=ACTOR[1],
                purpose=PURPOSE[intent],
            )
            dispatcher.utter_message(text=certificate_text.render_expiring(certs, today))
            _renewal_hint(dispatcher, certs, today)
            return
        types = _type_names(session, words)
        if intent == "query_certificates" or not types:
            certs = certificates.list_certificates(session, holder, *ACTOR, PURPOSE["query_certificates"], today)
            if intent != "query_certificates":
                dispatcher.utter_message(text="没有识别出您要查的证照类型，先为您列出名下全部证照：")
            dispatcher.utter_message(text=certificate_text.render_list(certs, today))
            _renewal_hint(dispatcher, certs, today)
            return
        certs = certificates.find_certificates(session, holder, types, *ACTOR, PURPOSE[intent], today)
        if not certs:
            dispatcher.utter_message(
                text=f"您的电子证照库中暂无{'、'.join(types)}。证照由发证部门汇聚，如有疑问请咨询发证部门。"
            )
            return
        if intent == "show_certificate":
            for cert in certs:
                dispatcher.utter_message(text=certificate_text.render_detail(cert, today))
        else:
            dispatcher.utter_message(text=certificate_text.render_list(certs, today))
        _renewal_hint(dispatcher, certs, today)


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
