"""“导出我的数据”: everything the back office holds about a citizen, as one JSON file.

The chat gets a one-time link (:func:`create_export_link`); opening it (:func:`redeem_export_link`)
builds the file at that moment. The link is unguessable (256 random bits), expires after
:data:`EXPORT_LINK_TTL` and works once. The file masks the ID number and the phone: they are the
login factors, and a file is easily forwarded. Functions flush, never commit.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any, Dict, List, Optional

from sqlalchemy import update
from sqlalchemy.orm import Session

from govservice import conversation_archive
from govservice.applications.models import Application, Attachment
from govservice.certificates import library as certificates
from govservice.certificates import text as certificate_text
from govservice.certificates.models import Certificate
from govservice.identity.masking import mask_id_number, mask_identifier, mask_phone, redact_text
from govservice.identity.models import Person
from govservice.privacy.data_deletion import person_senders
from govservice.privacy.models import ExportLink

EXPORT_LINK_TTL = datetime.timedelta(minutes=10)
EXPORT_PATH = "/webhooks/upload/export/"
"""Where the Rasa server's upload channel serves the file (:mod:`connectors.uploads`)."""
ALL_ROWS = 10_000  # "all" for the list queries that take a limit; one citizen has far fewer
SPEAKERS = {"citizen": "我", "bot": "智能助手", "agent": "人工客服"}
ARCHIVE_NOTE = (
    "较早的对话记录（每段对话只在智能助手中保留最近的部分，更早的部分归档保存）；最近的对话请在聊天窗口中查看。"
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_export_link(session: Session, person_id: str, now: datetime.datetime) -> str:
    """Record a new export link for ``person_id`` and return its token (shown once, in the chat)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ExportLink(token_hash=_token_hash(token), person_id=person_id, created_at=now, expires_at=now + EXPORT_LINK_TTL)
    )
    session.flush()
    return token


def redeem_export_link(session: Session, token: str, now: datetime.datetime) -> Optional[Dict[str, Any]]:
    """The export for a valid, unused, unexpired ``token``, which is used up; else None.

    Marking the link used and checking it are one UPDATE, so two simultaneous clicks get one file.
    """
    if not token or len(token) > 100:
        return None
    digest = _token_hash(token)
    claimed = session.execute(
        update(ExportLink)
        .where(ExportLink.token_hash == digest, ExportLink.used_at.is_(None), ExportLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    link = session.get(ExportLink, digest)
    return export_person(session, link.person_id, now) if link else None


def _time(value: Optional[datetime.datetime]) -> Optional[str]:
    return value.isoformat(sep=" ", timespec="seconds") if value else None


def _date(value: Optional[datetime.date]) -> Optional[str]:
    return value.isoformat() if value else None


def _masked(value: Any) -> Any:
    """Form data as typed, with any ID number or phone inside masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _person(person: Person) -> Dict[str, Any]:
    return {
        "姓名": person.name,
        "公民身份号码": mask_id_number(person.id_number),
        "手机号码": mask_phone(person.phone),
        "性别": person.gender,
        "出生日期": _date(person.birth_date),
        "住址": person.address,
    }


def _certificate(cert: Certificate, today: datetime.date) -> Dict[str, Any]:
    return {
        "证照类型": cert.type_name,
        "证照编号": mask_identifier(cert.number),
        "发证机关": cert.issuer,
        "签发日期": _date(cert.issue_date),
        "有效期起": _date(cert.valid_from),
        "有效期至": _date(cert.valid_until) or "长期",
        "状态": certificates.effective_status(cert, today),
        "电子证照标识": cert.licence_id,
    }


def _application(app: Application) -> Dict[str, Any]:
    rating = app.rating
    return {
        "办件编号": app.number,
        "事项": app.item_name,
        "受理部门": app.department.name if app.department else app.department_code,
        "状态": app.status,
        "提交时间": _time(app.created_at),
        "填报内容": _masked(app.form_data or {}),
        "材料": [{"名称": m.material_name, "提供方式": m.source} for m in app.materials],
        "状态记录": [
            {"时间": _time(c.at), "从": c.from_status, "到": c.to_status, "说明": c.reason} for c in app.changes
        ],
        "评价": {"等级": rating.level, "意见": rating.comment, "时间": _time(rating.at)} if rating else None,
    }


def _archived_messages(session: Session, person_id: str) -> List[Dict[str, str]]:
    """The archived messages of the person's conversations, oldest first (already redacted when archived)."""
    senders = person_senders(session, person_id)
    events = [event for sender in senders for event in conversation_archive.events_of(session, sender)]
    events.sort(key=lambda event: event.get("timestamp") or 0)
    return [
        {"时间": line["time"], "发言方": SPEAKERS[line["who"]], "内容": line["text"]}
        for line in conversation_archive.transcript(events, "%Y-%m-%d %H:%M:%S")
    ]


def export_person(session: Session, person_id: str, now: datetime.datetime) -> Dict[str, Any]:
    """Everything held about the person: record, certificates, applications, 用证记录, uploads, archived chats."""
    person = session.get(Person, person_id)
    today = now.date()
    certs = session.query(Certificate).filter(Certificate.holder_id == person_id).order_by(Certificate.id).all()
    apps = (
        session.query(Application)
        .filter(Application.person_id == person_id)
        .order_by(Application.created_at, Application.id)
        .all()
    )
    uses = certificates.uses_for_holder(session, person_id, ALL_ROWS)
    uploads = session.query(Attachment).filter(Attachment.uploaded_by == person_id).order_by(Attachment.created_at)
    return {
        "说明": "这是“一号一窗一网”智能助手及其后台为您保存的个人数据（身份号码和手机号码已部分隐藏）。",
        "导出时间": _time(now),
        "个人信息": _person(person) if person else None,
        "电子证照": [_certificate(cert, today) for cert in certs],
        "办件": [_application(app) for app in apps],
        "用证记录": [
            {
                "时间": _time(use.used_at),
                "证照": use.certificate.type_name,
                "使用方": certificate_text.actor_text(use),
                "用途": use.purpose,
            }
            for use in uses
        ],
        "上传的材料": [
            {"文件名": a.filename, "类型": a.content_type, "大小（字节）": a.size, "上传时间": _time(a.created_at)}
            for a in uploads
        ],
        "归档的对话记录": {"说明": ARCHIVE_NOTE, "消息": _archived_messages(session, person_id)},
    }


def export_filename(now: datetime.datetime) -> str:
    """The download's file name."""
    return f"my-data-{now:%Y%m%d-%H%M%S}.json"

