"""The window clerk's workbench (窗口工作台): what a department officer sees and does.

A queue with each application's deadline (the item's promised time limit in working days), one
application's uploads and certificates as far as they are its materials, the review steps with
an audit entry each (the department API and the console both call :func:`officer_step`), and a
差评 applicant's contact, revealed only on request and audited. Everything is scoped to the
officer's department: another department's record raises :class:`ScopeError`, like a missing one.
Functions flush but do not commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from govservice import settings
from govservice.applications import workflow
from govservice.applications.models import Application, ApplicationMaterial, Attachment, FollowUp, StatusChange
from govservice.applications.ratings import add_working_days
from govservice.applications.states import (
    ACCEPTED,
    APPROVED,
    CORRECTION,
    REJECTED,
    REVIEWING,
    TRANSITIONS,
    WITHDRAWN,
    ApplicationError,
    ScopeError,
    StatusEvent,
)
from govservice.applications.store import load_application
from govservice.audit import record_audit
from govservice.catalog.models import ServiceItem
from govservice.certificates.library import get_certificate
from govservice.certificates.models import Certificate
from govservice.clock import office_date
from govservice.identity.models import Person

FINISHED = (APPROVED, REJECTED, WITHDRAWN)
"""Statuses with no deadline left to keep."""

Step = Callable[[Session, str, str, str, Optional[str]], StatusEvent]
STEPS: Dict[str, Tuple[str, str, Step]] = {
    "accept": ("受理", ACCEPTED, lambda s, n, o, d, r: workflow.accept(s, n, o, d)),
    "review": ("开始审核", REVIEWING, lambda s, n, o, d, r: workflow.start_review(s, n, o, d)),
    "correction": ("要求补正", CORRECTION, lambda s, n, o, d, r: workflow.request_correction(s, n, o, d, r or "")),
    "approve": ("审核通过（办结）", APPROVED, lambda s, n, o, d, r: workflow.approve(s, n, o, d, reason=r)),
    "reject": ("不予受理", REJECTED, lambda s, n, o, d, r: workflow.reject(s, n, o, d, reason=r or "")),
}
"""The officer's review steps by name: (Chinese label, the status it leads to, the state-machine function)."""


def allowed_steps(app: Application) -> List[str]:
    """The review steps the application's status allows now."""
    return [name for name, (_, target, _) in STEPS.items() if target in TRANSITIONS.get(str(app.status), frozenset())]


def officer_step(
    session: Session, action: str, number: str, officer: str, department_code: str, reason: Optional[str] = None
) -> StatusEvent:
    """Run one review step of :data:`STEPS` and write its audit entry.

    Raises:
        ApplicationError: unknown step, a missing reason, or a step the status does not allow.
        ScopeError: another department's application (ApplicationNotFound: no such number).
    """
    if action not in STEPS:
        raise ApplicationError(f"未知的办理操作：{action}")
    label, _, step = STEPS[action]
    event = step(session, number, officer, department_code, (reason or "").strip() or None)
    detail = f"办件{number}：{label}，状态变为「{event.status}」" + (f"；理由：{event.reason}" if event.reason else "")
    record_audit(session, officer, f"application_{action}", "application", number, detail[:500], now=event.at)
    return event


def limit_days(item: Optional[ServiceItem]) -> Optional[int]:
    """The item's promised time limit in working days (the legal one when none is promised)."""
    if item is None:
        return None
    return int(item.promised_limit_days or item.legal_limit_days or 0) or None


def deadline(
    app: Application, item: Optional[ServiceItem], accepted_at: Optional[datetime.datetime]
) -> Optional[datetime.date]:
    """The day the application is due: the time limit counted from acceptance, else from submission."""
    days = limit_days(item)
    if days is None:
        return None
    return add_working_days(office_date(accepted_at or app.created_at), days)


@dataclass(frozen=True)
class QueueRow:
    """One application of the queue with its deadline."""

    app: Application
    applicant_name: str
    deadline: Optional[datetime.date]
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue, the total matching, and the items the department has applications for."""

    rows: List[QueueRow]
    total: int
    items: List[Tuple[str, str]]


def acceptance_times(session: Session, apps: Sequence[Application]) -> Dict[int, datetime.datetime]:
    """When each application was (first) accepted, in one query."""
    ids = [int(app.id) for app in apps]
    if not ids:
        return {}
    changes = session.query(StatusChange.application_id, StatusChange.at).filter(
        StatusChange.application_id.in_(ids), StatusChange.to_status == ACCEPTED
    )
    first: Dict[int, datetime.datetime] = {}
    for app_id, at in changes.order_by(StatusChange.id):
        first.setdefault(int(app_id), at)
    return first


def queue_rows(session: Session, apps: Sequence[Application], today: Optional[datetime.date] = None) -> List[QueueRow]:
    """``apps`` with their applicants' names, deadlines and whether they are overdue on ``today``."""
    today = today or office_date()
    accepted = acceptance_times(session, apps)
    keys = {str(app.item_key) for app in apps}
    items = {str(i.key): i for i in session.query(ServiceItem).filter(ServiceItem.key.in_(keys))} if keys else {}
    persons = {str(app.person_id) for app in apps}
    names = {str(p.id_number): str(p.name) for p in session.query(Person).filter(Person.id_number.in_(persons))}
    rows = []
    for app in apps:
        due = deadline(app, items.get(str(app.item_key)), accepted.get(int(app.id)))
        late = due is not None and app.status not in FINISHED and due < today
        rows.append(QueueRow(app, names.get(str(app.person_id), ""), due, late))
    return rows


def department_queue(
    session: Session,
    department_code: str,
    *,
    status: Optional[str] = None,
    item_key: Optional[str] = None,
    page: int = 1,
    per_page: int = 20,
    today: Optional[datetime.date] = None,
) -> QueuePage:
    """One page of the department's applications, oldest first, optionally by status and item."""
    query = session.query(Application).filter(Application.department_code == department_code)
    items = sorted({(str(k), str(n)) for k, n in query.with_entities(Application.item_key, Application.item_name)})
    if status:
        query = query.filter(Application.status == status)
    if item_key:
        query = query.filter(Application.item_key == item_key)
    total = query.count()
    apps = query.order_by(Application.created_at, Application.id).offset((page - 1) * per_page).limit(per_page).all()
    return QueuePage(queue_rows(session, apps, today), total, items)


def _material(session: Session, number: str, department_code: str, **column: object) -> Optional[ApplicationMaterial]:
    """The material of the department's application ``number`` matching ``column`` (raises ScopeError)."""
    app = load_application(session, number, department_code=department_code)
    return session.query(ApplicationMaterial).filter_by(application_id=app.id, **column).first()


def material_file(session: Session, number: str, attachment_id: str, department_code: str) -> Tuple[Attachment, bytes]:
    """An upload that is a material of the department's application ``number``, with its bytes.

    Raises:
        ScopeError: not a material of that application, or the file is not in the upload store.
    """
    material = _material(session, number, department_code, attachment_id=attachment_id)
    attachment = material.attachment if material is not None else None
    if attachment is None:
        raise ScopeError("未找到该材料文件")
    uploads = (settings.current().var_dir / "uploads").resolve()
    path = Path(str(attachment.stored_path)).resolve()
    if uploads not in path.parents or not path.is_file():  # only the upload store is ever served
        raise ScopeError("未找到该材料文件")
    return attachment, path.read_bytes()


def material_certificate(
    session: Session, number: str, certificate_id: int, department_code: str, officer: str
) -> Certificate:
    """A certificate used as a material of the department's application ``number``.

    The read goes through the certificate library, so the holder's 用证记录 shows it (工作人员…查看).

    Raises:
        ScopeError: the certificate is not a material of that application.
    """
    material = _material(session, number, department_code, certificate_id=certificate_id)
    cert = session.get(Certificate, certificate_id) if material is not None else None
    if cert is None:
        raise ScopeError("未找到该证照，或其不是本办件的材料")
    holder, kind = (cert.holder_id, "person") if cert.holder_id else (cert.holder_company, "company")
    purpose = f"审核办件{number}"
    found = get_certificate(session, str(holder), certificate_id, "officer", officer, purpose, holder_kind=kind)
    if found is None:
        raise ScopeError("未找到该证照，或其不是本办件的材料")
    return found


@dataclass(frozen=True)
class Contact:
    """The applicant to call back about a 差评."""

    application_number: str
    name: str
    phone: str


def reveal_contact(session: Session, followup_id: int, department_code: str, officer: str) -> Contact:
    """The 差评 applicant's name and phone, for the department's follow-up; audited every time.

    Raises:
        ScopeError: the follow-up belongs to another department or does not exist.
    """
    follow_up = session.get(FollowUp, followup_id)
    if follow_up is None or follow_up.department_code != department_code:
        raise ScopeError("该差评回访不存在或不属于本部门")
    app = follow_up.application
    person = session.get(Person, app.person_id)
    record_audit(session, officer, "reveal_contact", "follow_up", followup_id,
                 f"查看办件{app.number}申请人的联系方式（差评回访）")
    return Contact(str(app.number), str(person.name) if person else "", str(person.phone) if person else "")
