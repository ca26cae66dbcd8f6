"""差评 follow-ups in the console: deadline and comment listed, the contact only by an audited click."""

from __future__ import annotations

import datetime

from sanic import Sanic

from govservice.applications.models import FollowUp
from govservice.applications.ratings import rate
from govservice.applications.workflow import accept, approve, start_review
from govservice.audit import AuditLog
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.identity.models import Person
from tests.staff.conftest import ZHANG
from tests.staff.console_helpers import Console, csrf_of
from tests.staff.workbench_helpers import permit_with_upload


def _rated_badly(url: str, at: datetime.datetime) -> int:
    number, _, _ = permit_with_upload(url, now=at)
    with session_scope(url) as s:
        accept(s, number, "王警官", "GA", now=at)
        start_review(s, number, "王警官", "GA", now=at)
        approve(s, number, "王警官", "GA", now=at)
        return int(rate(s, number, ZHANG, "非常不满意", "窗口态度差<b>", now=at).follow_up.id)


def _reveals(url: str, followup_id: int) -> int:
    with session_scope(url) as s:
        return s.query(AuditLog).filter_by(action="reveal_contact", target_id=str(followup_id)).count()


def test_followups_list_deadline_and_comment_and_reveal_the_contact_on_click(app: Sanic, db_url: str) -> None:
    old = _rated_badly(db_url, datetime.datetime(2025, 3, 3, 2, 0))
    new = _rated_badly(db_url, utc_now())
    with session_scope(db_url) as s:
        phone = str(s.get(Person, ZHANG).phone)
        deadline = s.get(FollowUp, old).deadline
    ga = Console(app)
    ga.login("ga_officer")
    page = ga.get("/console/followups")
    assert page.status == 200 and "窗口态度差&lt;b&gt;" in page.text and phone not in page.text
    row = page.text[: page.text.index(f"/console/followups/{old}/contact")].rsplit("<tr", 1)[1]
    assert deadline.isoformat() in row and "已超期" in row
    new_row = page.text[: page.text.index(f"/console/followups/{new}/contact")].rsplit("<tr", 1)[1]
    assert "已超期" not in new_row

    refused = ga.post(f"/console/followups/{old}/contact", csrf=False)
    assert refused.status == 403 and phone not in refused.text and _reveals(db_url, old) == 0
    shown = ga.post(f"/console/followups/{old}/contact", {"csrf_token": csrf_of(page.text)})
    assert shown.status == 200 and phone in shown.text and shown.headers["cache-control"] == "no-store"
    assert _reveals(db_url, old) == 1
    with session_scope(db_url) as s:
        entry = s.query(AuditLog).filter_by(action="reveal_contact", target_id=str(old)).one()
        assert entry.actor == "示范市公安局（户政）办件员（演示）（ga_officer）" and "差评回访" in entry.detail

    yb = Console(app)
    yb.login("yb_officer")
    assert f"/console/followups/{old}/contact" not in yb.get("/console/followups?status=all").text
    denied = yb.post(f"/console/followups/{old}/contact")
    assert denied.status == 404 and phone not in denied.text and _reveals(db_url, old) == 1
