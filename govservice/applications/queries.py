"""Applications (办件) read back: a citizen's and a department's lists, and their chat texts.

Scoped lookups return None for another person's or department's application, so callers
cannot tell it from a number that does not exist. The functions only read.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import DetachedInstanceError

from govservice.applications.materials_check import fit_message
from govservice.applications.models import Application
from govservice.applications.states import ACCEPTED, APPROVED, CORRECTION, REJECTED, REVIEWING, SUBMITTED, WITHDRAWN
from govservice.clock import office_text


def applications_for_person(
    session: Session, person_id: str, limit: int = 20, *, company_code: Optional[str] = None
) -> List[Application]:
    """The applications a login sees, newest first.

    Args:
        session: the database session.
        person_id: the logged-in person.
        limit: at most this many.
        company_code: after a company login, the company's applications; otherwise the person's
            own, without those the person made in a company's name.
    """
    query = session.query(Application)
    if company_code:
        query = query.filter(Application.company_code == company_code)
    else:
        query = query.filter(Application.person_id == person_id, Application.company_code.is_(None))
    return query.order_by(Application.created_at.desc(), Application.id.desc()).limit(limit).all()


def applications_for_department(
    session: Session, department_code: str, status: Optional[str] = None, item_key: Optional[str] = None
) -> List[Application]:
    """The department's applications, oldest first (a work queue), optionally by status and item."""
    query = session.query(Application).filter(Application.department_code == department_code)
    if status:
        query = query.filter(Application.status == status)
    if item_key:
        query = query.filter(Application.item_key == item_key)
    return query.order_by(Application.created_at, Application.id).all()


def get_for_department(session: Session, number: str, department_code: str) -> Optional[Application]:
    """The application with ``number`` if it belongs to the department, else None."""
    query = session.query(Application).filter(Application.number == number)
    return query.filter(Application.department_code == department_code).one_or_none()


def get_for_person(session: Session, number: str, person_id: str) -> Optional[Application]:
    """The application with ``number`` if the person applied for it, else None."""
    query = session.query(Application).filter(Application.number == number)
    return query.filter(Application.person_id == person_id).one_or_none()


def _rated(app: Application) -> bool:
    try:
        return app.rating is not None
    except DetachedInstanceError:
        return False


def next_step_text(app: Application) -> str:
    """What happens next, in Chinese, for the citizen."""
    status = app.status
    if status == SUBMITTED:
        return "等待窗口受理"
    if status == ACCEPTED:
        return "已受理，等待审核"
    if status == REVIEWING:
        try:
            item = app.item
        except DetachedInstanceError:
            item = None
        days = (item.promised_limit_days or item.legal_limit_days) if item is not None else 0
        return f"审核中，预计{days}个工作日内办结" if days else "审核中，请耐心等待"
    if status == CORRECTION:
        return f"需补正：{app.status_reason or '请按窗口要求补充材料'}，请上传材料后重新提交"
    if status == APPROVED:
        return "已办结，感谢您的评价" if _rated(app) else "已办结，欢迎评价"
    if status == REJECTED:
        rated = "感谢您的评价" if _rated(app) else "欢迎评价"
        return f"不予受理：{app.status_reason or '不符合受理条件'}。如有疑问请咨询窗口，{rated}"
    if status == WITHDRAWN:
        return "已撤回，如需办理请重新申请"
    return str(status)


def render_applications(apps: Sequence[Application]) -> str:
    """Render applications as a Chinese chat message (< 2048 bytes)."""
    if not apps:
        return "您暂无办件记录。"
    lines = [f"您共有{len(apps)}件办件（最新的在前）："]
    for index, app in enumerate(apps, start=1):
        lines.append(f"{index}. {app.item_name}｜{app.number}｜{office_text(app.created_at, '%Y-%m-%d')}")
        lines.append(f"   状态：{app.status}；{next_step_text(app)}")
    return fit_message(lines)
