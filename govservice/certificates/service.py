"""The certificate library as the bot reads it for a logged-in citizen: one transaction a request.

The actions never open a database session (issue 14, item 5): :func:`answer_request` reads the
library of one holder only, with a 用证记录 for each read, and hands back the texts to say and the
certificate types whose renewal the bot may offer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, List, Sequence

from sqlalchemy.orm import Session

from govservice.certificates import library, text, uses
from govservice.certificates.text import EXPIRY_WARNING_DAYS
from govservice.db import session_scope
from govservice.identity.models import Company

PURPOSE = {
    "query_certificates": "查询证照列表",
    "query_certificate_expiry": "查询证照有效期",
    "show_certificate": "查看证照详情",
    "expiring_certificates": "查询即将到期证照",
}
"""Why the library is read, after who reads it (本人 or 本单位)."""
PERSON_SESSION_NOTE = (
    "您当前以个人身份登录，只能查看您本人的证照。查看本单位的证照，请先说“退出登录”，"
    "再说“企业登录”，用统一社会信用代码和法定代表人身份证号登录。"
)
COMPANY_SESSION_NOTE = (
    "当前为企业登录，只能查看本单位的证照；查看法定代表人本人的证照，请先说“退出登录”，再以个人身份登录。"
)


@dataclass
class LibraryAnswer:
    """What to say, in order, and the types of the certificates shown that are due for renewal."""

    texts: List[str] = field(default_factory=list)
    renewals: List[str] = field(default_factory=list)


def _renewals(session: Session, certs: Sequence[Any], today: datetime.date) -> List[str]:
    """Type names of the certificates shown that expire soon or have expired (proactive service)."""
    return [str(cert.type_name) for cert in library.renewal_due(session, certs, EXPIRY_WARNING_DAYS, today)]


def _company_name(session: Session, code: str) -> str:
    company = session.get(Company, code)
    return str(company.name) if company else "本单位"


def answer_request(
    intent: str, words: Sequence[str], holder: str, holder_kind: str, today: datetime.date
) -> LibraryAnswer:
    """Answer one request about the library of ``holder`` (a person or a company) only.

    Args:
        intent: ``query_certificates``, ``query_certificate_expiry``, ``show_certificate``,
            ``expiring_certificates`` or ``certificate_uses``.
        words: the certificate words the citizen typed (驾照, 户口本…).
        holder: the ID number or credit code whose library is read.
        holder_kind: ``person`` or ``company``.
        today: the office date.
    """
    company = holder_kind == "company"
    owner = text.owner_word(company)
    who = "本单位" if company else "本人"
    actor = ("citizen", f"{who}（智能助手）")
    answer = LibraryAnswer()
    with session_scope() as session:
        if intent == "certificate_uses":
            history = uses.use_history(session, holder, holder_kind=holder_kind)
            answer.texts.append(text.render_uses(history, company=company))
            return answer
        if intent == "expiring_certificates":
            certs = library.expiring_certificates(
                session,
                holder,
                EXPIRY_WARNING_DAYS,
                today,
                actor_type=actor[0],
                actor=actor[1],
                purpose=who + PURPOSE[intent],
                holder_kind=holder_kind,
            )
            answer.texts.append(text.render_expiring(certs, today, company=company))
            answer.renewals = _renewals(session, certs, today)
            return answer
        types = [name for name in (library.resolve_certificate_type(session, w) for w in words) if name]
        if intent == "query_certificates" or not types:
            certs = library.list_certificates(
                session, holder, *actor, who + PURPOSE["query_certificates"], today, holder_kind=holder_kind
            )
            if intent != "query_certificates":
                answer.texts.append(f"没有识别出您要查的证照类型，先为您列出{owner}名下全部证照：")
            if company:
                answer.texts.append(f"当前为企业登录：{_company_name(session, holder)}。")
            answer.texts.append(text.render_list(certs, today, company=company))
            answer.renewals = _renewals(session, certs, today)
            return answer
        certs = library.find_certificates(
            session, holder, types, *actor, who + PURPOSE[intent], today, holder_kind=holder_kind
        )
        if not certs:
            note = "证照由发证部门汇聚，如有疑问请咨询发证部门。"
            if company:
                note = COMPANY_SESSION_NOTE
            elif library.held_by_companies(session, types):
                note += PERSON_SESSION_NOTE
            answer.texts.append(f"{owner}的电子证照库中暂无{'、'.join(types)}。{note}")
            return answer
        if intent == "show_certificate":
            answer.texts += [text.render_detail(cert, today) for cert in certs]
        else:
            answer.texts.append(text.render_list(certs, today, company=company))
        answer.renewals = _renewals(session, certs, today)
        return answer
