"""Department API for applications (办件): the work queue, one application, and its review steps.

Every route needs a ``dept_officer`` token and acts only on the officer's department: another
department's application answers 404, exactly like a missing one. Status changes go through
:func:`govservice.applications.workbench.officer_step` (the console's buttons call it too), which
runs the state machine, queues the citizen's notification and writes the audit entry in the same
transaction; delivery then starts in the background.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import DEPT_OFFICER
from govservice.applications.models import Application
from govservice.applications.queries import applications_for_department, get_for_department
from govservice.applications.states import TRANSITIONS, ApplicationNotFound
from govservice.applications.workbench import officer_step
from govservice.clock import office_date
from staff.auth import current_user, requires
from staff.serializers import applicant_names, application_detail, application_summary, event_json
from staff.web import ApiError, date_arg, in_transaction, int_arg, json_body, optional_text, reply, required_text

STATUSES = tuple(TRANSITIONS)
MAX_PER_PAGE = 100

def _filters(request: Request) -> Dict[str, Any]:
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"未知的办件状态：{status}，可选：" + "、".join(STATUSES))
    item = request.args.get("item") or None
    if item is not None and len(item) > 60:
        raise ApiError(400, "参数 item 过长")
    date_from, date_to = date_arg(request, "date_from"), date_arg(request, "date_to")
    if date_from and date_to and date_from > date_to:
        raise ApiError(400, "开始日期不能晚于结束日期")
    return {"status": status, "item": item, "date_from": date_from, "date_to": date_to}


def _in_range(
    apps: List[Application], first: Optional[datetime.date], last: Optional[datetime.date]
) -> List[Application]:
    """Applications submitted on ``first`` … ``last`` (office days, inclusive; None: open-ended)."""
    days = [(app, office_date(app.created_at)) for app in apps]
    return [app for app, day in days if (first is None or day >= first) and (last is None or day <= last)]


@requires(DEPT_OFFICER, department=True)
async def list_applications(request: Request) -> HTTPResponse:
    """``GET /api/v1/applications``: the department's work queue, oldest first, filtered and paged."""
    filters = _filters(request)
    page = int_arg(request, "page", 1, 1, 1_000_000)
    per_page = int_arg(request, "per_page", 20, 1, MAX_PER_PAGE)
    department = str(current_user(request).department_code)

    def work(session: Session) -> Dict[str, Any]:
        queue = applications_for_department(session, department, filters["status"], filters["item"])
        matching = _in_range(queue, filters["date_from"], filters["date_to"])
        chunk = matching[(page - 1) * per_page : page * per_page]
        names = applicant_names(session, chunk)
        items = [application_summary(app, names.get(str(app.person_id), "")) for app in chunk]
        return {"items": items, "total": len(matching), "page": page, "per_page": per_page}

    return reply(await in_transaction(request, work))


def _load(session: Session, number: str, department: str) -> Application:
    app = get_for_department(session, number, department)
    if app is None:
        raise ApplicationNotFound(f"未找到办件{number}")
    return app


@requires(DEPT_OFFICER, department=True)
async def get_application(request: Request, number: str) -> HTTPResponse:
    """``GET /api/v1/applications/<number>``: one application with materials, history and notifications."""
    department = str(current_user(request).department_code)
    return reply(await in_transaction(request, lambda s: application_detail(s, _load(s, number, department))))


async def _change(request: Request, number: str, action: str, reason: Optional[str] = None) -> HTTPResponse:
    """Run one review step in one transaction, then start delivering its notification."""
    user = current_user(request)
    department = str(user.department_code)

    def work(session: Session) -> Dict[str, Any]:
        event = officer_step(session, action, number, user.actor, department, reason)
        return {
            "event": event_json(event),
            "application": application_detail(session, _load(session, number, department)),
        }

    result = await in_transaction(request, work)
    request.app.ctx.delivery.trigger()  # after the commit; returns at once and never raises
    return reply(result)


@requires(DEPT_OFFICER, department=True)
async def accept_application(request: Request, number: str) -> HTTPResponse:
    """``POST …/accept``: 已提交 → 已受理."""
    json_body(request, optional=True)
    return await _change(request, number, "accept")


@requires(DEPT_OFFICER, department=True)
async def review_application(request: Request, number: str) -> HTTPResponse:
    """``POST …/review``: 已受理 → 审核中."""
    json_body(request, optional=True)
    return await _change(request, number, "review")


@requires(DEPT_OFFICER, department=True)
async def correction_application(request: Request, number: str) -> HTTPResponse:
    """``POST …/correction`` with ``reason``: 审核中 → 需补正."""
    reason = required_text(json_body(request), "reason", "补正原因")
    return await _change(request, number, "correction", reason)


@requires(DEPT_OFFICER, department=True)
async def approve_application(request: Request, number: str) -> HTTPResponse:
    """``POST …/approve`` with an optional ``reason`` (审批意见): 审核中 → 已办结, issuing the certificate."""
    reason = optional_text(json_body(request, optional=True), "reason", "审批意见")
    return await _change(request, number, "approve", reason)


@requires(DEPT_OFFICER, department=True)
async def reject_application(request: Request, number: str) -> HTTPResponse:
    """``POST …/reject`` with ``reason``: → 不予受理."""
    reason = required_text(json_body(request), "reason", "不予受理理由")
    return await _change(request, number, "reject", reason)


def blueprint() -> Blueprint:
    """The application routes (a fresh blueprint per app)."""
    bp = Blueprint("staff_applications", url_prefix="/api/v1/applications")
    bp.add_route(list_applications, "", methods=["GET"])
    bp.add_route(get_application, "/<number>", methods=["GET"])
    for action, handler in (
        ("accept", accept_application),
        ("review", review_application),
        ("correction", correction_application),
        ("approve", approve_application),
        ("reject", reject_application),
    ):
        bp.add_route(handler, f"/<number>/{action}", methods=["POST"])
    return bp
