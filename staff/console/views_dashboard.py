"""The analytics dashboard (``/console/dashboard``) and its CSV export: a thin adapter.

The figures are computed by :mod:`govservice.analytics.dashboard` (aggregates only, no personal
data); this module reads the filter from the query string and renders them. Any console role may
look: the numbers name no citizen.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Optional
from urllib.parse import quote

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import ROLES
from govservice.analytics.dashboard import DEFAULT_DAYS, Filters, dashboard, departments
from govservice.analytics.export import chart_data, to_csv
from staff.console.guard import error_page, page
from staff.console.render import render
from staff.web import in_transaction

MAX_DAYS = 366
BAD_PERIOD = f"统计期间无效：请按“年-月-日”填写起止日期，结束日期不早于开始日期，跨度不超过{MAX_DAYS}天"


def _day(request: Request, name: str) -> Optional[datetime.date]:
    text = str(request.args.get(name) or "").strip()
    return datetime.date.fromisoformat(text) if text else None


def filters_from(request: Request) -> Filters:
    """The filter of ``?start=YYYY-MM-DD&end=YYYY-MM-DD&department=GA``; the last 30 days by default.

    Raises:
        ValueError: a date that is no date, an end before the start, or a period over a year.
    """
    default = Filters.last_days(DEFAULT_DAYS)
    start, end = _day(request, "start"), _day(request, "end")
    end = end or (start + datetime.timedelta(days=DEFAULT_DAYS - 1) if start else default.end)
    start = start or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if end < start or (end - start).days >= MAX_DAYS:
        raise ValueError(BAD_PERIOD)
    department = str(request.args.get("department") or "").strip()[:16] or None
    return Filters(start, end, department)


def _page_data(session: Session, filters: Filters) -> Dict[str, Any]:
    return {"charts": chart_data(dashboard(session, filters)), "departments": departments(session)}


async def show(request: Request) -> HTTPResponse:
    """``GET /console/dashboard``: the charts for the filtered period and department."""
    try:
        filters = filters_from(request)
    except ValueError:
        return error_page(request, 400, BAD_PERIOD)
    data = await in_transaction(request, lambda session: _page_data(session, filters))
    return render(request, "dashboard.html", filters=filters, **data)


async def export(request: Request) -> HTTPResponse:
    """``GET /console/dashboard.csv``: the same figures as CSV."""
    try:
        filters = filters_from(request)
    except ValueError:
        return error_page(request, 400, BAD_PERIOD)
    body = await in_transaction(request, lambda session: to_csv(dashboard(session, filters), filters))
    name = f"统计_{filters.start:%Y%m%d}_{filters.end:%Y%m%d}.csv"
    disposition = f"attachment; filename=dashboard_{filters.start:%Y%m%d}.csv; filename*=UTF-8''{quote(name)}"
    return response.raw(body, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def blueprint() -> Blueprint:
    """Dashboard routes (a fresh blueprint per app)."""
    bp = Blueprint("console_dashboard", url_prefix="/console")
    bp.add_route(page(*ROLES)(show), "/dashboard", methods=["GET"])
    bp.add_route(page(*ROLES)(export), "/dashboard.csv", methods=["GET"])
    return bp
