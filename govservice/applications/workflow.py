"""Applications (办件): idempotent submission and the review state machine.

``submit_application`` opens and commits its own transaction (retrying on races). The state
machine functions and the queries take a session and only flush: the caller owns the
transaction. Every status change is checked against :data:`TRANSITIONS` and the actor's scope,
recorded as a :class:`StatusChange` and returned as a :class:`StatusEvent`. An officer's change
also puts its notification into the outbox (:mod:`govservice.notifications.outbox`) in the same
transaction, so it is never lost; the citizen's own steps are answered in their conversation.

State machine: 已提交 → 已受理 → 审核中 → 需补正 → (重新提交) 审核中 → 已办结 / 不予受理;
已提交 → 已撤回 (the citizen withdraws before acceptance). Lists and chat texts are in
:mod:`govservice.applications.queries`.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from govservice.applications.materials import MaterialSpec, add_materials, resolve_materials
from govservice.applications.models import Application
from govservice.applications.queries import next_step_text
from govservice.applications.states import (
    ACCEPTED,
    APPROVED,
    CORRECTION,
    REJECTED,
    REVIEWING,
    SUBMITTED,
    WITHDRAWN,
    ApplicationError,
    StatusEvent,
    TransitionError,
)
from govservice.applications.states import ApplicationNotFound as ApplicationNotFound
from govservice.applications.states import ScopeError as ScopeError
from govservice.applications.store import (
    Target,
    check_transition,
    load_application,
    run_idempotent,
    transition,
)
from govservice.applications.store import create_application as create_application
from govservice.applications.store import next_number as next_number
from govservice.catalog.models import ServiceItem
from govservice.certificates.library import issue_certificate
from govservice.certificates.models import Certificate
from govservice.clock import office_date, stored
from govservice.identity.models import Person
from govservice.notifications.outbox import enqueue_status_change

VALIDITY_YEARS = {"居住证": 1, "机动车驾驶证": 10, "居民身份证": 20, "社会保障卡": 10, "普通护照": 10}
"""Validity of issued certificates (居住证: one year until the next 签注); other types are 长期."""
ID_NUMBERED = ("居民身份证", "居住证", "机动车驾驶证")
"""Certificate types numbered with the holder's ID number; others get the application number."""


def submission_key(channel: str, sender: str, form_instance: str) -> str:
    """The idempotency key of a conversation's submission: one per form instance.

    The form instance is an opaque id set when the form starts, so every “确认提交” of that form,
    including a retry after an action server or Rasa server died mid-turn, maps to one application.
    """
    return f"chat:{channel}:{sender}:{form_instance}"


def submit_application(
    target: Target,
    *,
    idempotency_key: str,
    item_key: str,
    person_id: str,
    company_code: Optional[str] = None,
    channel: str,
    sender: str,
    form_data: Dict[str, Any],
    materials: Sequence[MaterialSpec] = (),
    bundle_id: Optional[str] = None,
    now: Optional[datetime.datetime] = None,
) -> Application:
    """Submit an application in ONE transaction; a retry with the same key returns the first one.

    Args:
        target: a database URL (None: the configured one) or a session factory.
        idempotency_key: unique per confirmed submission (e.g. conversation id + confirmation turn);
            a retried "确认提交" with the same key creates nothing and returns the existing application.
        item_key: the service item; the application is routed to the item's department.
        person_id: the applicant's ID number.
        company_code: the company applied for (legal-person applications), if any.
        channel: the channel to notify on (e.g. "rest", "wechat").
        sender: the sender id on that channel.
        form_data: the form fields (JSON-serializable).
        materials: ``(material_id, source, ref)`` with source "certificate" (ref: certificate id;
            records a 用证记录 and 用证授权), "upload" (ref: attachment id) or "commitment" (告知承诺).
        bundle_id: links the applications of one life event.
        now: the submission time; now (UTC, as stored) by default.

    Returns:
        The application (status 已提交), detached, with item, materials and history loaded.

    Raises:
        ApplicationError: unknown item or applicant, or invalid materials (Chinese message).
        ScopeError: a company the applicant does not represent.
    """
    moment = stored(now)

    def create(session: Session) -> List[Application]:
        app = create_application(
            session,
            idempotency_key=idempotency_key,
            item_key=item_key,
            person_id=person_id,
            company_code=company_code,
            channel=channel,
            sender=sender,
            form_data=form_data,
            materials=materials,
            bundle_id=bundle_id,
            now=moment,
        )
        return [app]

    return run_idempotent(target, [idempotency_key], create)[0]


def _event(app: Application, moment: datetime.datetime) -> StatusEvent:
    return StatusEvent(
        number=str(app.number),
        item_name=str(app.item_name),
        status=str(app.status),
        at=moment,
        channel=str(app.channel),
        sender=str(app.sender),
        reason=app.status_reason,
        next_step=next_step_text(app),
    )


def _required(reason: Optional[str], message: str) -> str:
    if not (reason or "").strip():
        raise ApplicationError(message)
    return str(reason).strip()


def _step(
    session: Session,
    app: Application,
    to_status: str,
    actor: Tuple[str, str],
    reason: Optional[str],
    now: Optional[datetime.datetime],
    from_status: Optional[str] = None,
) -> StatusEvent:
    if from_status is not None and app.status != from_status:
        raise TransitionError(f"办件{app.number}当前状态为「{app.status}」，不能变更为「{to_status}」")
    moment = stored(now)
    transition(session, app, to_status, actor[0], actor[1], reason, moment)
    event = _event(app, moment)
    if actor[0] == "officer":
        enqueue_status_change(session, app, event)
    return event


def _reasoned_step(
    session: Session,
    number: str,
    officer: str,
    department_code: str,
    to_status: str,
    reason: Optional[str],
    missing_reason: str,
    now: Optional[datetime.datetime],
) -> StatusEvent:
    """An officer's step that needs a reason (``missing_reason`` says so when there is none)."""
    app = load_application(session, number, department_code=department_code)
    check_transition(app, to_status)
    return _step(session, app, to_status, ("officer", officer), _required(reason, missing_reason), now)


def accept(
    session: Session, number: str, officer: str, department_code: str, now: Optional[datetime.datetime] = None
) -> StatusEvent:
    """已提交 → 已受理, by an officer of the application's department (another department: ScopeError)."""
    app = load_application(session, number, department_code=department_code)
    return _step(session, app, ACCEPTED, ("officer", officer), None, now)


def start_review(
    session: Session, number: str, officer: str, department_code: str, now: Optional[datetime.datetime] = None
) -> StatusEvent:
    """已受理 → 审核中, by an officer of the application's department."""
    app = load_application(session, number, department_code=department_code)
    return _step(session, app, REVIEWING, ("officer", officer), None, now, from_status=ACCEPTED)


def request_correction(
    session: Session,
    number: str,
    officer: str,
    department_code: str,
    reason: str,
    now: Optional[datetime.datetime] = None,
) -> StatusEvent:
    """审核中 → 需补正; ``reason`` (what to correct) is required."""
    missing = "请注明需补正的材料及原因"
    return _reasoned_step(session, number, officer, department_code, CORRECTION, reason, missing, now)


def resubmit(
    session: Session,
    number: str,
    person_id: str,
    attachments: Sequence[Tuple[int, str]],
    now: Optional[datetime.datetime] = None,
) -> StatusEvent:
    """需补正 → 审核中: the applicant adds ``(material_id, attachment_id)`` uploads (at least one)."""
    app = load_application(session, number, person_id=person_id)
    if app.status != CORRECTION:
        raise TransitionError(f"办件{app.number}当前状态为「{app.status}」，无需补正")
    item = session.get(ServiceItem, app.item_key)
    if not attachments or item is None:
        raise ApplicationError("请先上传补正材料，再重新提交" if item else "该事项已调整，请联系窗口办理")
    specs = [(material_id, "upload", attachment_id) for material_id, attachment_id in attachments]
    moment = stored(now)
    resolved = resolve_materials(session, item, person_id, app.company_code, specs, office_date(moment))
    event = _step(session, app, REVIEWING, ("citizen", person_id), "补正材料后重新提交", moment, CORRECTION)
    app.submission_round = (app.submission_round or 1) + 1
    add_materials(session, app, resolved, event.at)
    return event


def issue_output(session: Session, app: Application, today: datetime.date) -> Optional[Certificate]:
    """Issue the certificate an approved item outputs into the applicant's library, if any.

    Nothing is issued when the item outputs no certificate or the application is made on behalf
    of someone else (``form_data["on_behalf_of"]``, e.g. a newborn). Earlier certificates of the
    same type of the holder are marked 已注销 (superseded).
    """
    item = session.get(ServiceItem, app.item_key)
    if item is None or not item.outputs_certificate or (app.form_data or {}).get("on_behalf_of"):
        return None
    type_name = str(item.outputs_certificate)
    holder_column = Certificate.holder_company if app.company_code else Certificate.holder_id
    holder = app.company_code or app.person_id
    for old in session.query(Certificate).filter(holder_column == holder, Certificate.type_name == type_name):
        old.status = "已注销"
    attributes = {"办件编号": app.number}
    if type_name == "居住证":
        person = session.get(Person, app.person_id)
        attributes["居住地址"] = str((app.form_data or {}).get("居住地址") or (person.address if person else "") or "")
    number = app.person_id if type_name in ID_NUMBERED and not app.company_code else app.number
    return issue_certificate(
        session,
        None if app.company_code else app.person_id,
        type_name,
        number,
        valid_years=VALIDITY_YEARS.get(type_name),
        attributes=attributes,
        today=today,
        holder_company=app.company_code,
    )


def approve(
    session: Session,
    number: str,
    officer: str,
    department_code: str,
    reason: Optional[str] = None,
    now: Optional[datetime.datetime] = None,
) -> StatusEvent:
    """审核中 → 已办结; an item that outputs a certificate issues it into the applicant's library."""
    app = load_application(session, number, department_code=department_code)
    event = _step(session, app, APPROVED, ("officer", officer), reason or "审核通过", now)
    issue_output(session, app, office_date(event.at))
    return event


def reject(
    session: Session,
    number: str,
    officer: str,
    department_code: str,
    reason: str,
    now: Optional[datetime.datetime] = None,
) -> StatusEvent:
    """→ 不予受理 (from 已提交, 已受理, 审核中 or 需补正); ``reason`` is required."""
    return _reasoned_step(session, number, officer, department_code, REJECTED, reason, "请注明不予受理的理由", now)


def withdraw(
    session: Session, number: str, person_id: str, reason: Optional[str] = None, now: Optional[datetime.datetime] = None
) -> StatusEvent:
    """已提交 → 已撤回, by the applicant, before the window accepts the application."""
    app = load_application(session, number, person_id=person_id)
    if app.status != SUBMITTED:
        raise TransitionError(f"办件{app.number}当前状态为「{app.status}」，不能撤回，如需撤回请联系窗口")
    return _step(session, app, WITHDRAWN, ("citizen", person_id), reason or "申请人撤回", now, SUBMITTED)
