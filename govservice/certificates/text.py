"""Chinese chat texts for the certificate library: lists, details, expiry reminders, 用证记录.

Numbers are always masked, lines are short, and every text stays under WeChat's 2,048-byte
limit (a long list is cut and ends with "…共N项").
"""

from __future__ import annotations

import datetime
from typing import Any, List, Optional, Sequence

from govservice.certificates.library import effective_status
from govservice.certificates.models import Certificate, CertificateUse
from govservice.certificates.uses import UseHistory
from govservice.clock import office_date, office_text
from govservice.identity.masking import mask_identifier, redact_text

MAX_BYTES = 2048
"""WeChat's limit for one text message, in UTF-8 bytes."""

EXPIRY_WARNING_DAYS = 60
"""Certificates expiring within this many days get a reminder."""

_ACTOR_TEXT = {
    "citizen": "本人通过智能助手查询",
    "application": "办件{actor}调用",
    "officer": "工作人员{actor}查看",
    "system": "{actor}核对",
}


def owner_word(company: bool) -> str:
    """Whose library a text speaks of: 您 (a person's login) or 本单位 (a company's login)."""
    return "本单位" if company else "您"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _fit(header: str, blocks: Sequence[str], footer: str = "", limit: int = MAX_BYTES) -> str:
    """Join header, blocks and footer; drop trailing blocks and add "…共N项" when too long."""
    parts = [header, *blocks] + ([footer] if footer else [])
    text = "\n".join(parts)
    if _size(text) < limit:
        return text
    kept = list(blocks)
    while kept:
        kept.pop()
        more = f"…共{len(blocks)}项，已显示前{len(kept)}项"
        text = "\n".join([header, *kept, more] + ([footer] if footer else []))
        if _size(text) < limit:
            return text
    return "\n".join([header, f"…共{len(blocks)}项"])[: limit // 4]


def _date(value: Optional[datetime.date]) -> str:
    return value.isoformat() if value else "长期"


def expiry_note(cert: Certificate, today: datetime.date, within_days: int = EXPIRY_WARNING_DAYS) -> str:
    """Return "（X天后到期，请及时办理）", "（今天到期，请及时办理）", "（已过期）" or ""."""
    status = effective_status(cert, today)
    if status == "已过期":
        return "（已过期）"
    if status != "有效" or cert.valid_until is None:
        return ""
    days = (cert.valid_until - today).days
    if days == 0:
        return "（今天到期，请及时办理）"
    if days <= within_days:
        return f"（{days}天后到期，请及时办理）"
    return ""


def _validity_line(cert: Certificate, today: datetime.date) -> str:
    if cert.valid_until is None:
        return "有效期至：长期"
    return f"有效期至：{_date(cert.valid_until)}{expiry_note(cert, today)}"


def render_list(certs: Sequence[Certificate], today: Optional[datetime.date] = None, *, company: bool = False) -> str:
    """Render a numbered list: type and status, masked number, validity with reminders.

    Args:
        certs: the certificates, in display order.
        today: the reference date; the office's today by default.
        company: the library is a company's (本单位), not the person's.
    """
    today = today or office_date()
    owner = owner_word(company)
    if not certs:
        return f"{owner}的电子证照库中暂无证照。"
    blocks = [
        "\n".join(
            [
                f"{i}. {cert.type_name}｜{effective_status(cert, today)}",
                f"   编号：{mask_identifier(cert.number)}",
                f"   {_validity_line(cert, today)}",
            ]
        )
        for i, cert in enumerate(certs, start=1)
    ]
    return redact_text(_fit(f"{owner}的电子证照共{len(certs)}项：", blocks))


def _attribute_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = "、".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = "，".join(f"{k}{v}" for k, v in value.items())
    return redact_text(str(value))


def render_detail(cert: Certificate, today: Optional[datetime.date] = None) -> str:
    """Render every field of one certificate, with the number and any ID in the attributes masked.

    Args:
        cert: the certificate.
        today: the reference date; the office's today by default.
    """
    today = today or office_date()
    status = effective_status(cert, today)
    note = expiry_note(cert, today)
    if cert.valid_until is None:
        validity = f"有效期：长期（自{_date(cert.valid_from)}起）"
    else:
        validity = f"有效期：{_date(cert.valid_from)} 至 {_date(cert.valid_until)}"
    head = [
        f"【{cert.type_name}】",
        f"证照编号：{mask_identifier(cert.number)}",
        f"状态：{status}{'' if note == '（已过期）' else note}",
        f"发证机关：{cert.issuer}",
        f"签发日期：{_date(cert.issue_date)}",
        validity,
    ]
    attributes = [f"{key}：{_attribute_text(value)}" for key, value in (cert.attributes or {}).items()]
    footer = f"电子证照标识：{cert.licence_id}"
    return _fit("\n".join(head), attributes, footer)


def render_expiring(
    certs: Sequence[Certificate],
    today: Optional[datetime.date] = None,
    within_days: int = EXPIRY_WARNING_DAYS,
    *,
    company: bool = False,
) -> str:
    """Render the expiry reminder for certificates that expire soon (soonest first).

    Args:
        certs: the expiring certificates, e.g. from ``certificates.expiring_certificates``.
        today: the reference date; the office's today by default.
        within_days: the window the list was built with.
        company: the library is a company's (本单位), not the person's.
    """
    today = today or office_date()
    if not certs:
        return f"暂无{within_days}天内到期的证照。"
    blocks: List[str] = []
    for i, cert in enumerate(certs, start=1):
        days = (cert.valid_until - today).days if cert.valid_until else 0
        left = "今天到期" if days <= 0 else f"还剩{days}天"
        blocks.append(f"{i}. {cert.type_name}：{_date(cert.valid_until)}到期（{left}）")
    header = f"{owner_word(company)}有{len(certs)}项证照将在{within_days}天内到期，请及时办理："
    footer = "如需了解换领办法，可以直接问我，例如“驾照到期怎么换”。"
    return redact_text(_fit(header, blocks, footer))


def actor_text(use: CertificateUse) -> str:
    """Describe who used a certificate: 本人通过智能助手查询 / 办件XXXX调用 / 工作人员XXX查看."""
    template = _ACTOR_TEXT.get(str(use.actor_type), "{actor}使用")
    return template.format(actor=use.actor)


def render_uses(history: UseHistory, *, company: bool = False) -> str:
    """Render the 用证记录: uses by departments and applications first, own lookups folded.

    Args:
        history: from ``certificate_uses.use_history`` (uses by others, newest first, with their
            certificate loaded, and the count of the holder's own lookups).
        company: the library is a company's (本单位), not the person's.
    """
    if not history.others and not history.own_count:
        return "暂无用证记录。"
    own = ""
    if history.own_count:
        who = "本单位" if company else "本人"
        latest = f"，最近一次{office_text(history.own_latest)}" if history.own_latest else ""
        own = f"另有{who}通过智能助手查询{history.own_count}次{latest}。"
    if not history.others:
        return redact_text(f"暂无部门或办件调用{owner_word(company)}的证照。\n{own}")
    blocks = [
        "\n".join(
            [
                f"{i}. {office_text(use.used_at)} {use.certificate.type_name}",
                f"   {actor_text(use)}，用途：{use.purpose}",
            ]
        )
        for i, use in enumerate(history.others, start=1)
    ]
    header = f"最近{len(history.others)}条部门和办件用证记录（最新在前）："
    return redact_text(_fit(header, blocks, own))
