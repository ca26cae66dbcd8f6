"""Department API for 差评 follow-ups: the items a 不满意/非常不满意 rating opened, and closing them."""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import DEPT_OFFICER
from govservice.applications.ratings import close_followup, followups_for_department
from govservice.applications.states import ScopeError
from govservice.clock import office_date
from staff.auth import current_user, requires
from staff.serializers import followup_json
from staff.web import ApiError, in_transaction, json_body, reply, required_text

STATUS_FILTERS = {"open": "open", "closed": "closed", "all": None}
MAX_ID = 2**31 - 1  # larger ids cannot exist and would overflow the database's integer type


@requires(DEPT_OFFICER, department=True)
async def list_followups(request: Request) -> HTTPResponse:
    """``GET /api/v1/followups?status=open|closed|all``: the department's items, earliest deadline first."""
    wanted = request.args.get("status") or "open"
    if wanted not in STATUS_FILTERS:
        raise ApiError(400, "参数 status 可选：open（待处理）、closed（已办结）、all（全部）")
    department = str(current_user(request).department_code)

    def work(session: Session) -> Dict[str, Any]:
        today = office_date()
        rows = followups_for_department(session, department, STATUS_FILTERS[wanted])
        return {"items": [followup_json(row, today) for row in rows], "total": len(rows)}

    return reply(await in_transaction(request, work))


@requires(DEPT_OFFICER, department=True)
async def close(request: Request, followup_id: int) -> HTTPResponse:
    """``POST /api/v1/followups/<id>/close`` with ``note`` (整改/回访情况)."""
    note = required_text(json_body(request), "note", "整改或回访情况")
    department = str(current_user(request).department_code)

    def work(session: Session) -> Dict[str, Any]:
        if not 0 < followup_id <= MAX_ID:
            raise ScopeError("该差评回访不存在或不属于本部门")
        row = close_followup(session, followup_id, department, note)
        return followup_json(row, office_date())

    return reply(await in_transaction(request, work))


def blueprint() -> Blueprint:
    """The follow-up routes (a fresh blueprint per app)."""
    bp = Blueprint("staff_followups", url_prefix="/api/v1/followups")
    bp.add_route(list_followups, "", methods=["GET"])
    bp.add_route(close, "/<followup_id:int>/close", methods=["POST"])
    return bp
