"""Requests about the logged-in person's own certificates (电子证照库)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.backoffice import catalog
from bot.actions.service_guide import service_button
from bot.actions.session import current_subject, library_of
from govservice.catalog import lexicon
from govservice.certificates import library as certificates
from govservice.certificates import text as certificate_text
from govservice.certificates import uses as certificate_uses
from govservice.clock import office_date
from govservice.db import session_scope
from govservice.identity import auth
from govservice.identity.models import Company

PERSONAL_INTENTS = (
    "query_certificates",
    "query_certificate_expiry",
    "show_certificate",
    "expiring_certificates",
    "certificate_uses",
)
PURPOSE = {
    "query_certificates": "查询证照列表",
    "query_certificate_expiry": "查询证照有效期",
    "show_certificate": "查看证照详情",
    "expiring_certificates": "查询即将到期证照",
}
"""Why the library is read, after who reads it (本人 or 本单位)."""
EXPIRY_WARNING_DAYS = 60
COMPANY_PHRASE = re.compile(
    f"({lexicon.alternation('company_owner')})({lexicon.alternation('company_unit')})"
    f"|({lexicon.alternation('company_unit')})({lexicon.alternation('company_after')})"
)
"""How a citizen names a company's certificates: 本单位, 我们公司的营业执照, 企业证照."""
PERSON_SESSION_NOTE = (
    "您当前以个人身份登录，只能查看您本人的证照。查看本单位的证照，请先说“退出登录”，"
    "再说“企业登录”，用统一社会信用代码和法定代表人身份证号登录。"
)
COMPANY_SESSION_NOTE = (
    "当前为企业登录，只能查看本单位的证照；查看法定代表人本人的证照，请先说“退出登录”，再以个人身份登录。"
)


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


def _renewal_hint(dispatcher: CollectingDispatcher, session: Any, certs: List[Any], today: date) -> None:
    """Proactive service: offer the renewal guide for current certificates that expire soon or have expired."""
    buttons: List[Dict[str, str]] = []
    for cert in certificates.renewal_due(session, certs, EXPIRY_WARNING_DAYS, today):
        item = catalog().renewal_item(cert.type_name)
        if item and all(b["title"] != f"办理{item.name}" for b in buttons):
            buttons.append(service_button("ask_materials", item.key, f"办理{item.name}"))
    if buttons:
        dispatcher.utter_message(text="有证照即将到期或已过期，需要看看换证办理指南吗？", buttons=buttons[:3])


def speaks_of_company(tracker: Tracker) -> bool:
    """The latest message asks about a company's certificates (本单位, 我们公司, 企业的…)."""
    return bool(COMPANY_PHRASE.search(str(tracker.latest_message.get("text") or "")))


def _company_name(session: Any, code: str) -> str:
    company = session.get(Company, code)
    return str(company.name) if company else "本单位"


def answer_personal_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, words: List[str], subject: auth.Subject
) -> None:
    """Answer one request about the library of ``subject`` only; other holders' data is never read.

    A company login sees the company's library; a person login the person's own. A request for
    the other library gets the way to it (log out and log in as the other) instead.
    """
    today = office_date()
    holder, kind = library_of(subject)
    company = kind == "company"
    owner = certificate_text.owner_word(company)
    who = "本单位" if company else "本人"
    actor = ("citizen", f"{who}（智能助手）")

    def purpose(name: str) -> str:
        return who + PURPOSE[name]

    with session_scope() as session:
        if not company and speaks_of_company(tracker):
            dispatcher.utter_message(text=PERSON_SESSION_NOTE)
            return
        if intent == "certificate_uses":
            history = certificate_uses.use_history(session, holder, holder_kind=kind)
            dispatcher.utter_message(text=certificate_text.render_uses(history, company=company))
            return
        if intent == "expiring_certificates":
            certs = certificates.expiring_certificates(
                session,
                holder,
                EXPIRY_WARNING_DAYS,
                today,
                actor_type=actor[0],
                actor=actor[1],
                purpose=purpose(intent),
                holder_kind=kind,
            )
            dispatcher.utter_message(text=certificate_text.render_expiring(certs, today, company=company))
            _renewal_hint(dispatcher, session, certs, today)
            return
        types = _type_names(session, words)
        if intent == "query_certificates" or not types:
            certs = certificates.list_certificates(
                session, holder, *actor, purpose("query_certificates"), today, holder_kind=kind
            )
            if intent != "query_certificates":
                dispatcher.utter_message(text=f"没有识别出您要查的证照类型，先为您列出{owner}名下全部证照：")
            if company:
                dispatcher.utter_message(text=f"当前为企业登录：{_company_name(session, holder)}。")
            dispatcher.utter_message(text=certificate_text.render_list(certs, today, company=company))
            _renewal_hint(dispatcher, session, certs, today)
            return
        certs = certificates.find_certificates(session, holder, types, *actor, purpose(intent), today, holder_kind=kind)
        if not certs:
            note = "证照由发证部门汇聚，如有疑问请咨询发证部门。"
            if company:
                note = COMPANY_SESSION_NOTE
            elif certificates.held_by_companies(session, types):
                note += PERSON_SESSION_NOTE
            dispatcher.utter_message(text=f"{owner}的电子证照库中暂无{'、'.join(types)}。{note}")
            return
        if intent == "show_certificate":
            for cert in certs:
                dispatcher.utter_message(text=certificate_text.render_detail(cert, today))
        else:
            dispatcher.utter_message(text=certificate_text.render_list(certs, today, company=company))
        _renewal_hint(dispatcher, session, certs, today)


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
