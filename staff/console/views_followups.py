"""差评 follow-ups in the console: the department's open items with deadline and comment.

The citizen's contact is not on the list: the officer asks for it with an explicit click (a
CSRF-checked POST), every reveal is written to the audit log, and the page that shows it is
never cached.
"""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import DEPT_OFFICER
from govservice.applications.ratings import followups_for_department
from govservice.applications.states import ScopeError
from govservice.applications.workbench import reveal_contact
from govservice.clock import office_date
from staff.auth import current_user
from staff.console.guard import error_page, page
from staff.console.render import render
from staff.serializers import followup_json
from staff.web import in_transaction

FILTERS = {"open": "open", "closed": "closed", "all": None}


async def followups(request: Request) -> HTTPResponse:
    """``GET /console/followups?status=open|closed|all``: earliest deadline first, overdue marked."""
    wanted = str(request.args.get("status") or "open")
    wanted = wanted if wanted in FILTERS else "open"
    department = str(current_user(request).department_code or "")

    def work(session: Session) -> Any:
        today = office_date()
        return [followup_json(row, today) for row in followups_for_department(session, department, FILTERS[wanted])]

    rows = await in_transaction(request, work)
    return render(request, "followups.html", rows=rows, chosen=wanted)


async def contact(request: Request, followup_id: int) -> HTTPResponse:
    """``POST /console/followups/<id>/contact``: the applicant's name and phone, audited."""
    user = current_user(request)

    def work(session: Session) -> Dict[str, Any]:
        found = reveal_contact(session, followup_id, str(user.department_code or ""), user.actor)
        return {"id": followup_id, "number": found.application_number, "name": found.name, "phone": found.phone}

    try:
        shown = await in_transaction(request, work)
    except ScopeError:
        return error_page(request, 404, "该差评回访不存在或不属于本部门")
    return render(request, "followup_contact.html", contact=shown)


def blueprint() -> Blueprint:
    """Follow-up routes (a fresh blueprint per app)."""
    bp = Blueprint("console_followups", url_prefix="/console/followups")
    bp.add_route(page(DEPT_OFFICER)(followups), "", methods=["GET"])
    bp.add_route(page(DEPT_OFFICER)(contact), "/<followup_id:int>/contact", methods=["POST"])
    return bp
