"""The window clerk's workbench (窗口工作台): the department's queue, one application, its review buttons.

Every page is scoped to the officer's department: another department's application, file or
certificate answers the same 404 as a missing one. The buttons call
:func:`govservice.applications.workbench.officer_step`, the function the department API calls,
which also writes the audit entry; a refused step (wrong status, no reason) shows its Chinese
message on the application's page. Uploaded files are served inline with their stored type,
``nosniff`` and a CSP that runs nothing, so a file can be looked at but never act as a page.
"""

from __future__ import annotations

from typing import Any, Dict, Optional
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import DEPT_OFFICER
from govservice.applications.models import Application
from govservice.applications.queries import get_for_department, next_step_text
from govservice.applications.states import (
    TRANSITIONS,
    ApplicationError,
    ApplicationNotFound,
    ScopeError,
    TransitionError,
)
from govservice.applications.workbench import (
    STEPS,
    allowed_steps,
    department_queue,
    material_certificate,
    material_file,
    officer_step,
    queue_rows,
)
from govservice.catalog.models import Department
from govservice.certificates.text import render_detail
from govservice.identity.masking import mask_id_number, redact_text
from staff.auth import current_user
from staff.console.forms import field
from staff.console.guard import error_page, page
from staff.console.render import redirect, render
from staff.serializers import application_detail
from staff.web import in_transaction

PER_PAGE = 20
NOT_HERE = "未找到该办件，或其不属于本部门"
INLINE_TYPES = ("image/jpeg", "image/png", "application/pdf")
"""Types a browser shows by itself; OFD and anything else is offered as a download."""
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
"""A file is shown, never run: no script, no connection, framed only by our own pages. Images are
also sandboxed; a sandbox would stop Chromium's PDF viewer, and a PDF gets no script of ours anyway."""
DONE = {"accept": "accepted", "review": "reviewing", "correction": "correction", "approve": "approved",
        "reject": "rejected"}


def _department(request: Request) -> str:
    return str(current_user(request).department_code or "")


def _page_number(request: Request) -> int:
    raw = str(request.args.get("page") or "1")
    return min(int(raw), 100_000) if raw.isdigit() and int(raw) > 0 else 1


async def queue(request: Request) -> HTTPResponse:
    """``GET /console/applications?status=&item=&page=``: the department's queue with deadlines."""
    department = _department(request)
    status = str(request.args.get("status") or "")
    status = status if status in TRANSITIONS else ""
    item = str(request.args.get("item") or "")[:60]
    number = _page_number(request)

    def work(session: Session) -> Dict[str, Any]:
        found = department_queue(session, department, status=status or None, item_key=item or None,
                                 page=number, per_page=PER_PAGE)
        unit = session.get(Department, department)
        return {"rows": found.rows, "total": found.total, "items": found.items, "unit": unit.name if unit else ""}

    data = await in_transaction(request, work)
    pages = max(1, -(-data["total"] // PER_PAGE))
    links = {n: "?" + urlencode({"status": status, "item": item, "page": n}) for n in (number - 1, number + 1)}
    return render(request, "workbench_queue.html", department=department, statuses=list(TRANSITIONS),
                  chosen=status, item=item, page=number, pages=pages, links=links, **data)


def _view(session: Session, app: Optional[Application]) -> Dict[str, Any]:
    """The application as the page shows it: personal data masked as everywhere else."""
    if app is None:
        raise ScopeError(NOT_HERE)
    detail = application_detail(session, app)
    detail["applicant"]["id_number"] = mask_id_number(str(app.person_id))
    detail["form"] = [(str(k), redact_text(str(v))) for k, v in (app.form_data or {}).items()]
    row = queue_rows(session, [app])[0]
    return {"a": detail, "deadline": row.deadline, "overdue": row.overdue, "next_step": next_step_text(app),
            "actions": allowed_steps(app)}


async def _detail_page(request: Request, number: str, error: str = "", status: int = 200) -> HTTPResponse:
    department = _department(request)
    try:
        data = await in_transaction(request, lambda s: _view(s, get_for_department(s, number, department)))
    except (ApplicationNotFound, ScopeError):
        return error_page(request, 404, NOT_HERE)
    return render(request, "workbench_application.html", status=status, error=error, labels=STEPS, **data)


async def detail(request: Request, number: str) -> HTTPResponse:
    """``GET /console/applications/<number>``: the form, the materials, the history and the buttons."""
    return await _detail_page(request, number)


async def act(request: Request, number: str, action: str) -> HTTPResponse:
    """``POST /console/applications/<number>/<action>`` (``reason`` for 补正/不予受理/审批意见)."""
    if action not in STEPS:
        return error_page(request, 404, "没有这项办理操作")
    user = current_user(request)
    reason: Optional[str] = field(request, "reason")[:500] or None
    try:
        await in_transaction(
            request, lambda s: officer_step(s, action, number, user.actor, str(user.department_code), reason)
        )
    except (ApplicationNotFound, ScopeError):
        return error_page(request, 404, NOT_HERE)
    except ApplicationError as refused:  # wrong status or no reason: said on the page, nothing changed
        status = 409 if isinstance(refused, TransitionError) else 400
        return await _detail_page(request, number, str(refused), status=status)
    request.app.ctx.delivery.trigger()  # the citizen's notification, after the commit
    return redirect(f"/console/applications/{number}", DONE[action])


async def material(request: Request, number: str, attachment_id: str) -> HTTPResponse:
    """``GET /console/applications/<number>/files/<id>``: an uploaded material, shown inline."""
    department = _department(request)
    try:
        attachment, body = await in_transaction(request, lambda s: material_file(s, number, attachment_id, department))
    except (ApplicationNotFound, ScopeError):
        return error_page(request, 404, "未找到该材料文件，或其不属于本部门的办件")
    kind = str(attachment.content_type)
    inline = "inline" if kind in INLINE_TYPES else "attachment"
    csp = FILE_CSP if kind == "application/pdf" else FILE_CSP + "; sandbox"
    disposition = f'{inline}; filename="{attachment.id}"'
    headers = {**FILE_HEADERS, "Content-Security-Policy": csp, "Content-Disposition": disposition}
    return response.raw(body, content_type=kind if kind in INLINE_TYPES else "application/octet-stream",
                        headers=headers)


async def certificate(request: Request, number: str, certificate_id: int) -> HTTPResponse:
    """``GET /console/applications/<number>/certificates/<id>``: a certificate material, read-only."""
    user = current_user(request)

    def work(session: Session) -> str:
        cert = material_certificate(session, number, certificate_id, str(user.department_code), user.actor)
        return render_detail(cert)

    try:
        text = await in_transaction(request, work)
    except (ApplicationNotFound, ScopeError):
        return error_page(request, 404, "未找到该证照，或其不是本部门办件的材料")
    return render(request, "workbench_certificate.html", number=number, text=text)


def blueprint() -> Blueprint:
    """Workbench routes (a fresh blueprint per app)."""
    bp = Blueprint("console_workbench", url_prefix="/console/applications")
    officer = page(DEPT_OFFICER)
    bp.add_route(officer(queue), "", methods=["GET"])
    bp.add_route(officer(detail), "/<number>", methods=["GET"])
    bp.add_route(officer(act), "/<number>/<action>", methods=["POST"])
    bp.add_route(officer(material), "/<number>/files/<attachment_id>", methods=["GET"])
    bp.add_route(officer(certificate), "/<number>/certificates/<certificate_id:int>", methods=["GET"])
    return bp
